"""Reading manifest YAML that may be hostile: bounded in size, depth and aliasing, read as kubectl reads it.

`qxo validate` and `qxo plan` run on pull requests, so a file may be written to hurt the
reader. Every file is first scanned as a stream of parser events (libyaml when present), which
costs memory in proportion to the text only, and refused before anything is built when:

- it is larger than `MAX_FILE_BYTES` (the API server refuses bigger request bodies anyway);
- a document nests deeper than `MAX_DEPTH`, counting what its aliases stand for;
- a document's aliases stand for more than `MAX_ALIAS_NODES` nodes, or the document as its
  aliases expand for more than `MAX_NODES` (an alias bomb of a few hundred bytes would
  otherwise expand to billions; kubectl refuses it as "excessive aliasing" with a larger budget);
- an alias refers to the node that contains it (a cycle no JSON document can hold);
- a node carries a tag no JSON document can hold (`!!set`, `!!omap`, `!!pairs`, `!!binary`,
  custom tags) or a mapping key is not a scalar (kubectl refuses those keys too).

Only then are the documents built, with libyaml's composer, into JSON-shaped data the way
kubectl's YAML-to-JSON conversion sees them: merge keys (`<<`) expand (explicit keys win,
earlier merged mappings before later ones), duplicate keys are refused, timestamps stay the
strings they were written as, keys become strings, integers must fit 64 bits and floats be
finite. Every refusal is a `YamlRefusal` carrying the line it is about.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 3 * 1024 * 1024
MAX_DEPTH = 100
MAX_ALIAS_NODES = 10_000
MAX_NODES = 200_000

_TAG = "tag:yaml.org,2002:"
MERGE_TAG = _TAG + "merge"
# What JSON can hold, plus merge keys and timestamps (kept as their text); `!` is YAML's "just a string".
ALLOWED_TAGS = frozenset({None, "!", *(_TAG + name for name in (
    "str", "int", "float", "bool", "null", "map", "seq", "merge", "timestamp"))})
INT64 = (-(2**63), 2**64 - 1)  # kubectl reads integers as int64, or uint64 when positive

# Only events are read from it, so the base loader is enough (libyaml's, when installed).
_EventSource = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class YamlRefusal(Exception):
    """A file that cannot be read as manifests, at a 1-based line (and column, when known)."""

    def __init__(self, line: int, message: str, column: int | None = None) -> None:
        self.line, self.column, self.message = line, column, message
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """`line 3, column 7: message`."""
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


_OPEN = object()  # an anchor whose node is still being read: an alias to it is a cycle


@dataclass
class _Node:
    """An open collection during the scan: what it expands to so far."""

    anchor: str | None
    mapping: bool
    size: int = 1
    height: int = 1
    expect_key: bool = True


@dataclass
class _Shape:
    """What a finished anchored node expands to."""

    size: int
    height: int
    collection: bool


@dataclass
class _Scan:
    """The bounds of one document, checked event by event."""

    stack: list[_Node] = field(default_factory=list)
    anchors: dict[str, _Shape | object] = field(default_factory=dict)
    nodes: int = 0
    alias_nodes: int = 0

    def check(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1
        if isinstance(event, yaml.DocumentStartEvent):
            self.stack, self.anchors, self.nodes, self.alias_nodes = [], {}, 0, 0
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event, line)
        elif isinstance(event, yaml.ScalarEvent):
            self._tag(event.tag, line)
            self._count(1, line)
            self._finish(_Shape(1, 1, False), event.anchor)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._tag(event.tag, line)
            mapping = isinstance(event, yaml.MappingStartEvent)
            self._key_must_be_scalar(line, "a mapping" if mapping else "a list")
            if len(self.stack) + 1 > MAX_DEPTH:
                raise YamlRefusal(line, f"nested deeper than {MAX_DEPTH} levels")
            self._count(1, line)
            if event.anchor is not None:
                self.anchors[event.anchor] = _OPEN
            self.stack.append(_Node(event.anchor, mapping))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            done = self.stack.pop()
            self._finish(_Shape(done.size, done.height, True), done.anchor)

    def _alias(self, event: yaml.AliasEvent, line: int) -> None:
        shape = self.anchors.get(event.anchor)
        if shape is _OPEN:
            raise YamlRefusal(line, f"alias *{event.anchor} refers to the node that contains it")
        if not isinstance(shape, _Shape):
            raise YamlRefusal(line, f"alias *{event.anchor} has no anchor &{event.anchor} before it")
        if shape.collection:
            self._key_must_be_scalar(line, f"alias *{event.anchor} (a mapping or list)")
        if len(self.stack) + shape.height > MAX_DEPTH:
            raise YamlRefusal(line, f"alias *{event.anchor} nests the document deeper than {MAX_DEPTH} levels")
        self.alias_nodes += shape.size
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise YamlRefusal(line, f"document contains excessive aliasing: its aliases stand for more than "
                                    f"{MAX_ALIAS_NODES} nodes")
        self._count(shape.size, line)
        self._finish(shape, None)

    def _count(self, nodes: int, line: int) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise YamlRefusal(line, f"document has more than {MAX_NODES} nodes (aliases expanded)")

    def _finish(self, shape: _Shape, anchor: str | None) -> None:
        if anchor is not None:
            self.anchors[anchor] = shape
        if self.stack:
            parent = self.stack[-1]
            parent.size += shape.size
            parent.height = max(parent.height, shape.height + 1)
            if parent.mapping:
                parent.expect_key = not parent.expect_key

    def _key_must_be_scalar(self, line: int, what: str) -> None:
        if self.stack and self.stack[-1].mapping and self.stack[-1].expect_key:
            raise YamlRefusal(line, f"a mapping key must be a string, number or boolean, not {what}")

    @staticmethod
    def _tag(tag: str | None, line: int) -> None:
        if tag not in ALLOWED_TAGS:
            shown = tag.replace(_TAG, "!!") if tag.startswith(_TAG) else tag
            raise YamlRefusal(line, f"the tag {shown} has no JSON form: a Kubernetes manifest holds only strings, "
                                    f"numbers, booleans, null, mappings and lists")


def check_bounds(text: str) -> None:
    """Raise YamlRefusal for the first bound `text` breaks (or its first syntax error); build nothing."""
    scan = _Scan()
    parser = None
    try:
        parser = _EventSource(text)  # the reader refuses characters YAML does not allow already here
        while parser.check_event():
            scan.check(parser.get_event())
    except yaml.YAMLError as error:
        raise _located(error, text) from None
    finally:
        if parser is not None:
            parser.dispose()


class _ManifestLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's parser and composer when present) with kubectl's reading of the values."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[str, Any]:
        """Keys as kubectl's strings; duplicates refused; `<<` merges with the written keys winning.

        Merged mappings are read in order and never overwrite a key already there, so earlier
        ones beat later ones (the YAML merge-key rule, which go-yaml follows). PyYAML's own
        merge compares keys by object identity, which lets a later mapping win: not used.
        """
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, f"expected a mapping, found {node.id}",
                                                    node.start_mark)
        result: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            key = "<<" if key_node.tag == MERGE_TAG else _key_text(self.construct_object(key_node, deep=True))
            if key in result or (key == "<<" and merges):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
            if key_node.tag == MERGE_TAG:
                merges.append(value_node)
            else:
                result[key] = self.construct_object(value_node, deep=deep)
        for value_node in merges:
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"expected a mapping or list of mappings for merging, found {source.id}", source.start_mark)
                for key, value in self.construct_mapping(source, deep=deep).items():
                    result.setdefault(key, value)
        return result

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # an explicit !!int on other text, or more digits than Python converts
            value = None
        if value is None or not INT64[0] <= value <= INT64[1]:
            raise _refused(node, "is not an integer of at most 64 bits")
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        try:
            value = super().construct_yaml_float(node)
        except ValueError:  # an explicit !!float on other text
            value = math.nan
        if not math.isfinite(value):
            raise _refused(node, "is not a number JSON can hold")
        return value

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> bool:
        value = self.construct_scalar(node)
        if not isinstance(value, str) or value.lower() not in self.bool_values:
            raise _refused(node, "is not a boolean")
        return self.bool_values[value.lower()]

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> str:
        # kubectl's YAML reader keeps an unquoted timestamp as the string it was written as.
        return str(self.construct_scalar(node))


def _refused(node: yaml.ScalarNode, why: str) -> yaml.constructor.ConstructorError:
    shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
    return yaml.constructor.ConstructorError(None, None, f"{shown!r} {why}", node.start_mark)


_ManifestLoader.add_constructor(_TAG + "bool", _ManifestLoader.construct_yaml_bool)
# A plain `=` resolves to YAML 1.1's "value" tag, which kubectl reads as the string "=".
_ManifestLoader.add_constructor(_TAG + "value", _ManifestLoader.construct_yaml_str)
_ManifestLoader.add_constructor(_TAG + "int", _ManifestLoader.construct_yaml_int)
_ManifestLoader.add_constructor(_TAG + "float", _ManifestLoader.construct_yaml_float)
_ManifestLoader.add_constructor(_TAG + "timestamp", _ManifestLoader.construct_yaml_timestamp)


def read_manifest(path: Path) -> str:
    """The text of a manifest file, read no further than MAX_FILE_BYTES; raises YamlRefusal or OSError."""
    with path.open("rb") as stream:
        data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise YamlRefusal(1, f"file is larger than {MAX_FILE_BYTES} bytes (the API server's limit for one request)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise YamlRefusal(data.count(b"\n", 0, error.start) + 1, "not UTF-8 text (YAML manifests are UTF-8)") from None


def documents(text: str) -> Iterator[tuple[int, Any]]:
    """(first line, JSON-shaped value) of every document of `text`; raises YamlRefusal."""
    if len(text) > MAX_FILE_BYTES:
        raise YamlRefusal(1, f"file is larger than {MAX_FILE_BYTES} bytes (the API server's limit for one request)")
    check_bounds(text)
    loader = _ManifestLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            yield node.start_mark.line + 1, _plain(loader.construct_document(node))
    except yaml.YAMLError as error:
        raise _located(error, text) from None
    finally:
        loader.dispose()


def _key_text(key: Any) -> Any:
    """A scalar key as the string kubectl makes of it (true, 1, null, 1.5)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int | float):
        return str(key)
    return key


def _plain(value: Any) -> Any:
    """JSON-shaped data with string keys; depth is bounded by the scan, so recursion is safe."""
    if isinstance(value, dict):
        return {str(_key_text(key)): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _located(error: yaml.YAMLError, text: str) -> YamlRefusal:
    """The refusal for a reader, parser, composer or constructor error, at its line."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if not isinstance(error, yaml.constructor.ConstructorError):
        problem = f"YAML syntax error: {problem}"
    if mark is not None:
        return YamlRefusal(mark.line + 1, problem, mark.column + 1)
    position = getattr(error, "position", None)  # a ReaderError: a character YAML does not allow
    if isinstance(position, int):
        character = getattr(error, "character", 0)
        code = ord(character) if isinstance(character, str) and len(character) == 1 else character
        shown = f"#x{code:04x}" if isinstance(code, int) else repr(code)
        return YamlRefusal(text.count("\n", 0, position) + 1, f"YAML does not allow the character {shown}")
    return YamlRefusal(1, problem)
