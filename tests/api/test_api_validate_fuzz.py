"""Property: whatever file a pull request holds, `qxo validate` (and `qxo plan`) answer with problems, never a crash.

Hypothesis writes generated and corrupted manifests: examples and malformed fixtures with
YAML-significant text spliced in, documents built from random data with shared parts (which
the dumper writes as anchors and aliases), deep nesting and alias fans. For each, in process
and through the CLI: no exception escapes, the exit code is 0 or 1, and every problem names
its file and a line or a field.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from api_support import EXAMPLES, MALFORMED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qxo.api.validation import validate_paths
from qxo.cli import main
from qxo.gitops.manifests import InvalidManifests, load_declared

SEEDS = [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.yaml"))]
SEEDS += [path.read_text(encoding="utf-8") for path in sorted(MALFORMED.glob("*.yaml"))[::7]]
# Text that means something to a YAML parser, and values kubectl and PyYAML read differently.
TOKENS = ["&a ", "*a", "&b ", "*b", "<<: ", "<<: *a", "!!set ", "!!binary ", "!!omap ", "!!python/tuple ", "!foo ",
          "!!str ", "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!null ", "!!merge ", "? ", "- ", ": ", "{", "}",
          "[", "]", ",", "\n", "\n  ", "\t", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "|\n", ">-\n",
          "'", '"', "#", "\x00", "\x07", "\ufeff", "\u2028", "9" * 30, ".inf", ".nan", "~", "yes", "0x", "0o17",
          "1:30", "2001-13-45", "=", "null", "apiVersion: qxo.dev/v1alpha1\n", "kind: List\nitems:\n- ",
          "kind: QualtricsBrand\n", "spec:\n  baseURL: https://x.example:99999\n", "\U0001f600", "é"]
# Whole lines, spliced in at a line start (where they mean most to the parser).
LINES = ["? !!set {a, b}\n: x\n", "odd: !!set {a, b}\n", "? [k, l]\n: v\n", "? {k: l}\n: v\n", "bin: !!binary aGk=\n",
         "base: &a {brandId: acme, datacenter: iad1}\n", "<<: *a\n", "<<: [*a, {x: 1}]\n", "<<: 5\n", "loop: &l [*l]\n",
         "pairs: !!omap [{a: 1}]\n", "tuple: !!python/tuple [1, 2]\n", "1: one\n", "true: yes\n", "~: null\n",
         "when: 2001-12-14t21:59:43.10-05:00\n", "big: " + "7" * 5000 + "\n", "inf: -.inf\n", "eq: =\n",
         "spec: {baseURL: 'https://*.co.uk', domains: ['https://*.amazonaws.com:70000']}\n"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["qxo.dev/v1alpha1", "QualtricsBrand", "Secret", "v1"]))


@st.composite
def corrupted(draw: st.DrawFn) -> str:
    """A seed manifest with tokens spliced in, parts cut out or repeated."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "line", "cut", "repeat"]))
        if edit == "line":
            at = text.rfind("\n", 0, at) + 1
            text = text[:at] + draw(st.sampled_from(LINES)) + text[at:]
        elif edit == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS) | st.text(max_size=6)) + text[at:]
        elif edit == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        else:
            text = text[:at] + text[at:at + draw(st.integers(1, 80))] * draw(st.integers(2, 4)) + text[at:]
    return text


@st.composite
def shared_structures(draw: st.DrawFn) -> str:
    """Random data whose parts are reused (the dumper writes anchors and aliases for them)."""
    pool: list = []

    def build(depth: int):
        if depth > 5 or draw(st.integers(0, 3)) == 0:
            return draw(scalars)
        if pool and draw(st.integers(0, 3)) == 0:
            return draw(st.sampled_from(pool))
        if draw(st.booleans()):
            value = [build(depth + 1) for _ in range(draw(st.integers(0, 4)))]
        else:
            value = {draw(st.text(max_size=8) | scalars): build(depth + 1) for _ in range(draw(st.integers(0, 4)))}
        pool.append(value)
        return value

    top = {"apiVersion": draw(st.sampled_from(["qxo.dev/v1alpha1", "v1"])),
           "kind": draw(st.sampled_from(["QualtricsBrand", "ExtensionInstall", "ConfigMap", "List"])),
           "metadata": {"name": draw(st.sampled_from(["acme", "x" * 70, ""]))}, "spec": build(0), "items": build(0)}
    try:
        return yaml.dump(top, sort_keys=False)
    except (yaml.YAMLError, ValueError, TypeError):
        return yaml.dump(str(top))


@st.composite
def nestings(draw: st.DrawFn) -> str:
    depth = draw(st.integers(0, 1500))
    style = draw(st.sampled_from(["flow-list", "flow-map", "block"]))
    if style == "flow-list":
        return "spec: " + "[" * depth + "]" * depth + "\n"
    if style == "flow-map":
        return "spec: " + "{a: " * depth + "1" + "}" * depth + "\n"
    return "spec:\n" + "".join("  " * (level + 1) + "k:\n" for level in range(depth)) + "  " * (depth + 1) + "v\n"


@st.composite
def alias_fans(draw: st.DrawFn) -> str:
    levels, fanout = draw(st.integers(1, 10)), draw(st.integers(1, 12))
    lines = ["l0: &l0 [" + ",".join(["x"] * fanout) + "]"]
    lines += [f"l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * fanout) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


hostile_files = st.one_of(corrupted(), shared_structures(), nestings(), alias_fans())


def assert_problems_are_located(problems, files: set[str]) -> None:
    for problem in problems:
        assert problem.file in files
        assert problem.message
        assert problem.line >= 1 or problem.field, problem


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts=st.lists(hostile_files, min_size=1, max_size=3))
def test_validate_in_process_answers_every_file_with_located_problems(texts):
    with tempfile.TemporaryDirectory() as directory:
        paths = []
        for index, text in enumerate(texts):
            path = Path(directory) / f"m{index}.yaml"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            paths.append(path)
        report = validate_paths(paths)
        assert isinstance(report.valid, bool)
        assert_problems_are_located(report.problems, {str(path) for path in paths})
        json.dumps(report.as_json())
        assert main(["validate", "-o", "json", *map(str, paths)]) == (0 if report.valid else 1)
        try:
            load_declared(paths)
        except InvalidManifests as invalid:
            assert not report.valid
            assert_problems_are_located(invalid.problems, {str(path) for path in paths})


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts=st.lists(hostile_files, min_size=8, max_size=12))
def test_validate_through_the_cli_exits_0_or_1_with_located_problems(texts):
    with tempfile.TemporaryDirectory() as directory:
        for index, text in enumerate(texts):
            (Path(directory) / f"m{index:02d}.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        result = subprocess.run([sys.executable, "-m", "qxo", "validate", "-o", "json", directory],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode in (0, 1), result.stderr
        assert result.stderr == ""
        report = json.loads(result.stdout)
        assert report["valid"] is (result.returncode == 0)
        for problem in report["problems"]:
            assert problem["file"].startswith(directory) and problem["message"]
            assert problem["line"] >= 1 or problem["field"], problem
