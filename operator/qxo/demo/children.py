"""The demo's child processes: each in its own process group, all of them stopped on the way out.

Every child runs `python -m qxo ...` with its output in a log file of the work directory, so a
failure can point at the log instead of interleaving five programs on the terminal.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1


class DemoError(Exception):
    """A step of the demo could not be carried out; the message says which and why."""


def _die_with_parent() -> None:
    # Linux only: if the demo itself is killed with SIGKILL (no chance to clean up), the kernel
    # still sends the child SIGTERM, so no sandbox outlives the demo.
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Children:
    """Starts `python -m qxo ...` processes and guarantees they are gone after `stop_all`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.children: list[Child] = []

    def start(self, name: str, args: list[str], env: Mapping[str, str] | None = None) -> Child:
        """`python -m qxo ARGS` (this interpreter, so the demo works from any virtualenv)."""
        return self.spawn(name, [sys.executable, "-m", "qxo", *args], env)

    def spawn(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> Child:
        log = self.workdir / f"{name}.log"
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        with log.open("ab") as out:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, env=environment, start_new_session=True,
                                       preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def pids(self) -> list[int]:
        return [child.pid for child in self.children]

    def stop_all(self, grace: float = 10.0) -> None:
        """Stop the last started first (the operator needs the sandboxes to shut down quietly), then the rest
        together; SIGTERM first, SIGKILL to the whole group for whatever is still there after `grace`."""
        if self.children:
            *rest, last = self.children
            _stop([last], grace)
            _stop(rest, grace)
        self.children.clear()


def _stop(children: list[Child], grace: float) -> None:
    for child in children:
        if child.alive():
            _signal_group(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for child in children:
        # The group too: a child's own children (if any) must not outlive it.
        _signal_group(child.pid, signal.SIGKILL)
        if child.alive():
            child.process.wait(timeout=5)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def wait_for_file(child: Child, path: Path, parse: Callable[[str], T | None], timeout: float = 30.0) -> T:
    """Wait until the child has written `path` completely (`parse` returns a value), or explain why not.

    The sandboxes write their file once they are listening; the file may be seen half written, so
    a parse that fails just means "not yet".
    """
    deadline = time.monotonic() + timeout
    while True:
        if path.exists():
            with contextlib.suppress(ValueError, OSError):
                value = parse(path.read_text())
                if value is not None:
                    return value
        if not child.alive():
            raise DemoError(f"the {child.name} exited with code {child.process.returncode} before writing "
                            f"{path.name}; its log ({child.log}) ends with:\n{child.log_tail()}")
        if time.monotonic() > deadline:
            raise DemoError(f"the {child.name} did not write {path.name} within {timeout:.0f}s; its log "
                            f"({child.log}) ends with:\n{child.log_tail()}")
        time.sleep(0.05)


def json_with(*keys: str) -> Callable[[str], dict[str, Any] | None]:
    """A parser accepting a JSON object only once it has all of `keys`."""
    import json

    def parse(text: str) -> dict[str, Any] | None:
        document = json.loads(text)
        return document if isinstance(document, dict) and all(k in document for k in keys) else None
    return parse
