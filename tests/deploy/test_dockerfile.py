"""The Dockerfile and .dockerignore, linted by parsing (no Docker engine runs here)."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field

import pytest
from deploykit import ROOT

BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|make|build-essential|cc|clang|apt-get|apk|pip|git|curl|wget)\b")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [argument for instruction, argument in self.instructions if instruction == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Split a Dockerfile into global ARG defaults and stages of (INSTRUCTION, argument)."""
    logical, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a line continuation"
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        instruction, _, argument = line.partition(" ")
        instruction, argument = instruction.upper(), argument.strip()
        if instruction == "FROM":
            parts = argument.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=parts[0], name=name))
        elif not stages:
            assert instruction == "ARG", f"only ARG may precede the first FROM, not {instruction}"
            key, _, default = argument.partition("=")
            global_args[key] = default
        else:
            stages[-1].instructions.append((instruction, argument))
    return global_args, stages


@pytest.fixture(scope="module")
def dockerfile():
    return parse_dockerfile((ROOT / "Dockerfile").read_text())


def resolve(base: str, global_args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], base)


def test_is_multi_stage_with_a_named_builder(dockerfile):
    _, stages = dockerfile
    assert len(stages) >= 2
    assert stages[0].name == "builder"


def test_base_images_are_pinned_by_version_tag_and_digest(dockerfile):
    global_args, stages = dockerfile
    for stage in stages:
        image = resolve(stage.base, global_args)
        reference, _, digest = image.partition("@")
        _repository, _, tag = reference.partition(":")
        assert tag, f"{image} has no tag"
        assert tag != "latest" and "latest" not in tag
        assert re.match(r"3\.11\.\d+-slim", tag), f"{image}: pin the Python patch release on a slim base"
        # A tag can be pushed again; a digest names the bytes (the tag stays to say which Python it is).
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"{image}: pin the base image by digest"


def test_runtime_uses_the_builder_base_so_the_venv_interpreter_resolves(dockerfile):
    global_args, stages = dockerfile
    assert resolve(stages[0].base, global_args) == resolve(stages[-1].base, global_args)


def test_final_stage_copies_only_from_the_builder(dockerfile):
    _, stages = dockerfile
    final = stages[-1]
    copies = final.all("COPY")
    assert copies and all(copy.startswith("--from=builder ") for copy in copies)
    assert not final.all("ADD")


def test_no_build_tools_or_installs_in_the_final_stage(dockerfile):
    _, stages = dockerfile
    for command in stages[-1].all("RUN"):
        assert not BUILD_TOOLS.search(command), f"final stage runs build tooling: {command}"


def test_final_user_is_numeric_and_not_root(dockerfile):
    _, stages = dockerfile
    users = stages[-1].all("USER")
    assert users, "the final stage must set USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) == 65532
    assert not gid or (gid.isdigit() and int(gid) != 0)


def test_entrypoint_and_cmd_run_the_operator_in_exec_form(dockerfile):
    _, stages = dockerfile
    final = stages[-1]
    assert json.loads(final.all("ENTRYPOINT")[-1]) == ["qxo"]
    assert json.loads(final.all("CMD")[-1]) == ["operator", "--all-namespaces"]


def test_no_healthcheck_since_kubernetes_probes(dockerfile):
    _, stages = dockerfile
    assert not any(stage.all("HEALTHCHECK") for stage in stages)


def test_nothing_is_added_from_urls(dockerfile):
    _, stages = dockerfile
    for stage in stages:
        for argument in stage.all("ADD") + stage.all("COPY"):
            assert "://" not in argument


def test_builder_builds_a_wheel_into_a_virtualenv(dockerfile):
    _, stages = dockerfile
    commands = " ".join(stages[0].all("RUN"))
    assert "pip wheel" in commands and "-m venv /opt/qxo" in commands


def pip_installs(stage: Stage) -> list[str]:
    """Every `pip install ...` of a stage's RUN commands, one string each."""
    found = []
    for command in stage.all("RUN"):
        for part in re.split(r"&&|;", command):
            if re.search(r"\bpip install\b", part):
                found.append(" ".join(part.split()))
    return found


def test_every_dependency_is_installed_from_a_lock_with_hashes(dockerfile):
    _, stages = dockerfile
    installs = pip_installs(stages[0])
    locked = [command for command in installs if "-r requirements/" in command]
    assert {re.search(r"-r (requirements/\S+)", c).group(1) for c in locked} == {"requirements/runtime.txt",
                                                                                  "requirements/build.txt"}
    for command in locked:
        assert "--require-hashes" in command and "--no-deps" in command, command
    # The one install without hashes is qxo's own wheel, built here, and it brings nothing with it.
    for command in set(installs) - set(locked):
        assert re.search(r"--no-deps /wheels/\S*\.whl$", command), f"unlocked install: {command}"
    wheel = " ".join(command for command in stages[0].all("RUN") if "pip wheel" in command)
    assert "--no-build-isolation" in wheel, "build isolation would fetch setuptools without a hash"


def test_the_locks_are_copied_before_the_sources(dockerfile):
    _, stages = dockerfile
    copies = [copy.split()[:-1] for copy in stages[0].all("COPY")]
    first_source = next(i for i, sources in enumerate(copies) if "operator" in sources)
    assert any("requirements/runtime.txt" in sources for sources in copies[:first_source])


@pytest.mark.parametrize("module", ["qxo.sandbox", "qxo.demo", "trustme"])
def test_the_image_leaves_out_the_sandboxes_the_demo_and_trustme(dockerfile, module):
    _, stages = dockerfile
    # The build fails when one is found in the virtualenv that becomes the image.
    check = " ".join(command for command in stages[0].all("RUN") if "find_spec" in command)
    assert f"'{module}'" in check and "sys.exit(" in check
    if module.startswith("qxo."):
        package = "operator/" + module.replace(".", "/")
        assert dockerignored(package + "/__init__.py", dockerignore_patterns())
    else:
        assert not any(re.match(rf"{module}\b", line, re.I) for line in (ROOT / "requirements" / "runtime.txt")
                       .read_text().splitlines())


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins, `!` re-includes, a directory match covers its files."""
    excluded = False
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates):
            excluded = not negate
    return excluded


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_copied_sources_exist_and_reach_the_build_context(dockerfile):
    _, stages = dockerfile
    patterns = dockerignore_patterns()
    sources = []
    for copy in stages[0].all("COPY"):
        *paths, _destination = copy.split()
        sources += [path for path in paths if not path.startswith("--")]
    assert sources
    left_out = ("operator/qxo/sandbox/", "operator/qxo/demo/")  # by design: not in the image
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such path"
        files = [p for p in (ROOT / source).rglob("*.py")] if (ROOT / source).is_dir() else [ROOT / source]
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            if "__pycache__" not in relative:
                excluded = dockerignored(relative, patterns)
                assert excluded == relative.startswith(left_out), f"{relative}: excluded={excluded}"


def test_the_readme_named_by_pyproject_reaches_the_build_context():
    assert not dockerignored("README.md", dockerignore_patterns())


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        "tests/deploy/conftest.py",
        "docs/deploy.md",
        "operator/qxo/__pycache__/x.pyc",
        ".env",
    ],
)
def test_context_leaves_out_what_the_image_does_not_need(path):
    assert dockerignored(path, dockerignore_patterns())
