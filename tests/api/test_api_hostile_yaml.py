"""Hostile YAML given to `qxo validate` / `qxo plan`: the reproducers of issue 15 and the bounds, as problems.

Every case ends as a `file: line N: message` problem and exit 1, never an exception.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qxo.api import manifest_yaml
from qxo.api.validation import validate_paths
from qxo.cli import main
from qxo.gitops.manifests import InvalidManifests, load_declared

BRAND_SPEC = """\
  brandId: acme
  credentials: {type: APIToken, apiTokenSecretRef: {name: acme-token}}
"""


def alias_bomb(levels: int = 9, fanout: int = 9) -> str:
    """The classic "billion laughs": each level lists the previous one `fanout` times."""
    names = "abcdefghijklmnopqrstuvwxyz"
    lines = ["a: &a [" + ", ".join(['"lollollollol"'] * fanout) + "]"]
    for level in range(1, levels):
        lines.append(f"{names[level]}: &{names[level]} [" + ", ".join([f"*{names[level - 1]}"] * fanout) + "]")
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(path: Path):
    report = validate_paths([path])
    assert not report.valid
    [problem] = report.problems
    assert problem.file == str(path)
    assert problem.line >= 1
    assert problem.message.startswith(f"line {problem.line}")
    return problem


def test_the_495_byte_alias_bomb_is_refused_as_excessive_aliasing(tmp_path, capsys):
    text = alias_bomb()
    assert 450 < len(text.encode()) <= 495  # 9**9 (387 million) strings once expanded
    path = write(tmp_path, "bomb.yaml", text)
    problem = only_problem(path)
    assert "excessive aliasing" in problem.message
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}: {problem.message}\n"


def test_nesting_600_deep_is_refused_with_its_line(tmp_path):
    for text in ("spec:\n  x: " + "[" * 600 + "]" * 600 + "\n",
                 "spec:\n" + "".join("  " * (depth + 1) + f"k{depth}:\n" for depth in range(600)) + "  " * 601 + "v\n",
                 "".join("  " * depth + "- \n" for depth in range(600))):
        problem = only_problem(write(tmp_path, "deep.yaml", text))
        assert f"nested deeper than {manifest_yaml.MAX_DEPTH} levels" in problem.message


def test_aliases_cannot_nest_a_document_past_the_depth_bound(tmp_path):
    # Each anchor is 60 deep and used inside the next: 60 + 60 > 100 once expanded.
    text = "a: &a " + "[" * 60 + "]" * 60 + "\nb: &b " + "[" * 50 + "*a" + "]" * 50 + "\n"
    problem = only_problem(write(tmp_path, "deep-alias.yaml", text))
    assert problem.line == 2
    assert "alias *a nests the document deeper than 100 levels" in problem.message


def test_a_set_as_a_key_or_a_value_is_refused_naming_the_tag(tmp_path):
    key = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  ? !!set {a, b}\n  : x\n"
    problem = only_problem(write(tmp_path, "set-key.yaml", key))
    assert (problem.line, "the tag !!set has no JSON form") == (5, problem.message.split(": ", 1)[1][:30])
    value = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: !!set {a, b}\n"
    assert only_problem(write(tmp_path, "set-value.yaml", value)).line == 4


@pytest.mark.parametrize(("text", "line", "words"), [
    ("a: !!binary aGVsbG8=\n", 1, "the tag !!binary has no JSON form"),
    ("a: !!omap [{x: 1}]\n", 1, "the tag !!omap has no JSON form"),
    ("a: !!pairs [{x: 1}]\n", 1, "the tag !!pairs has no JSON form"),
    ("a: 1\nb: !Ref other\n", 2, "the tag !Ref has no JSON form"),
    ("a: !!python/name:os.system\n", 1, "the tag !!python/name:os.system has no JSON form"),
    ("a: 1\n? [x, y]\n: z\n", 2, "a mapping key must be a string, number or boolean, not a list"),
    ("a: &k {x: 1}\n? *k\n: z\n", 2, "a mapping key must be a string, number or boolean, not alias *k"),
    ("a: &a [1, *a]\n", 1, "alias *a refers to the node that contains it"),
    ("a: *nowhere\n", 1, "alias *nowhere has no anchor &nowhere before it"),
    ("a: !!bool maybe\n", 1, "'maybe' is not a boolean"),
    ("a: !!float abc\n", 1, "'abc' is not a number JSON can hold"),
    ("a: 1\nb: .inf\n", 2, "'.inf' is not a number JSON can hold"),
    ("a: " + "9" * 5000 + "\n", 1, "is not an integer of at most 64 bits"),
    ("a: 18446744073709551616\n", 1, "is not an integer of at most 64 bits"),
    ("a: b\n\x00\n", 2, "YAML does not allow the character #x0000"),
    ("a: [1\nb: 2\n", 2, "YAML syntax error"),
    ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
])
def test_values_no_json_document_can_hold_are_refused_at_their_line(tmp_path, text, line, words):
    problem = only_problem(write(tmp_path, "odd.yaml", text))
    assert problem.line == line
    assert words in problem.message


def test_text_that_is_not_utf8_is_refused_at_its_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    assert only_problem(path).line == 2


def test_a_file_over_the_size_bound_is_refused_before_it_is_parsed(tmp_path):
    path = write(tmp_path, "huge.yaml", "a: '" + "x" * manifest_yaml.MAX_FILE_BYTES + "'\n")
    problem = only_problem(path)
    assert f"larger than {manifest_yaml.MAX_FILE_BYTES} bytes" in problem.message


def test_a_document_over_the_node_bound_is_refused(tmp_path):
    path = write(tmp_path, "wide.yaml", "a: [" + ",".join(["1"] * (manifest_yaml.MAX_NODES + 1)) + "]\n")
    assert f"more than {manifest_yaml.MAX_NODES} nodes" in only_problem(path).message


def test_aliases_within_the_budget_are_read_and_expanded(tmp_path):
    text = "a: &a [1, 2, {b: c}]\nd: [*a, *a]\n"
    assert list(manifest_yaml.documents(text)) == [(1, {"a": [1, 2, {"b": "c"}], "d": [[1, 2, {"b": "c"}]] * 2})]
    budget = manifest_yaml.MAX_ALIAS_NODES
    within = "a: &a [" + ",".join(["1"] * 99) + "]\nb: [" + ",".join(["*a"] * (budget // 100)) + "]\n"
    [(_, body)] = manifest_yaml.documents(within)
    assert body["b"][-1] == [1] * 99
    beyond = within.replace("*a]", "*a,*a]")
    with pytest.raises(manifest_yaml.YamlRefusal, match="excessive aliasing"):
        list(manifest_yaml.documents(beyond))


def test_merge_keys_expand_as_kubectl_reads_them(tmp_path):
    """`<<` merges a mapping in; keys written beside it win, and earlier merged mappings beat later ones."""
    text = textwrap.dedent("""\
        apiVersion: qxo.dev/v1alpha1
        kind: QualtricsBrand
        metadata: &meta {name: acme, namespace: team}
        spec:
          <<: [{datacenter: iad1, brandId: first}, {datacenter: fra1, brandId: second, resyncInterval: 1h}]
          datacenter: syd1
          credentials:
            <<: {type: APIToken}
            apiTokenSecretRef: {name: acme-token}
        """)
    [(_, body)] = manifest_yaml.documents(text)
    assert body["spec"]["datacenter"] == "syd1"
    assert body["spec"]["brandId"] == "first"
    assert body["spec"]["resyncInterval"] == "1h"
    assert body["spec"]["credentials"] == {"type": "APIToken", "apiTokenSecretRef": {"name": "acme-token"}}
    assert validate_paths([write(tmp_path, "merge.yaml", text)]).problems == []


def test_a_merge_key_with_nothing_to_merge_is_a_problem_not_a_crash(tmp_path):
    problem = only_problem(write(tmp_path, "bad-merge.yaml", "a:\n  <<: 5\n  b: 1\n"))
    assert "expected a mapping or list of mappings for merging" in problem.message


def test_timestamps_and_odd_keys_read_as_kubectl_reads_them():
    [(_, body)] = manifest_yaml.documents("when: 2001-12-14t21:59:43.10-05:00\nday: 2001-13-45\n1: one\ntrue: yes\n"
                                          "~: nothing\n")
    assert body == {"when": "2001-12-14t21:59:43.10-05:00", "day": "2001-13-45", "1": "one", "true": True,
                    "null": "nothing"}


def test_a_symbolic_link_in_a_directory_is_refused_not_followed(tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {token: FAKE-7f3a}\n")
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "link.yaml").symlink_to(secret)
    [problem] = validate_paths([manifests]).problems
    assert problem.file == str(manifests / "link.yaml")
    assert "symbolic link is not followed" in problem.message


def test_qxo_plan_refuses_hostile_files_with_the_same_problems(tmp_path):
    path = write(tmp_path, "bomb.yaml", alias_bomb())
    with pytest.raises(InvalidManifests) as refused:
        load_declared([path])
    [problem] = refused.value.problems
    assert "excessive aliasing" in problem.message


def test_the_cli_prints_json_problems_with_their_line(tmp_path):
    path = write(tmp_path, "deep.yaml", "ok: 1\nx: " + "[" * 700 + "]" * 700 + "\n")
    result = subprocess.run([sys.executable, "-m", "qxo", "validate", "-o", "json", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (1, "")
    [problem] = json.loads(result.stdout)["problems"]
    assert (problem["file"], problem["line"], problem["severity"]) == (str(path), 2, "error")


# The address space a validation subprocess may use; `qxo validate examples/` needs well under it.
MEMORY_LIMIT = 384 * 1024 * 1024
LIMITED = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
{body}
"""


def run_limited(body: str, *args: str) -> subprocess.CompletedProcess:
    code = LIMITED.format(limit=MEMORY_LIMIT, body=body)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_bomb_stays_within_a_memory_limit_that_expanding_it_would_break(tmp_path):
    path = write(tmp_path, "bomb.yaml", alias_bomb())
    # The control: reading the same file naively under the same limit runs out of memory,
    # so the limit is one the bomb would break.
    naive = run_limited("import json, yaml\njson.dumps(yaml.safe_load(open(sys.argv[1])))", str(path))
    assert naive.returncode != 0 and "MemoryError" in naive.stderr
    # qxo validate, under that limit, reads examples/ and the bomb and refuses only the bomb.
    examples = Path(__file__).resolve().parents[2] / "examples"
    limited = run_limited("from qxo.cli import main\nsys.exit(main(['validate', *sys.argv[1:]]))",
                          str(examples), str(path))
    assert (limited.returncode, limited.stderr) == (1, "")
    assert limited.stdout.startswith(f"{path}: line ") and "excessive aliasing" in limited.stdout
