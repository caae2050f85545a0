"""Running `qxo demo` as a real subprocess, and finding every process it started by its work directory.

Every child of the demo names the work directory in its command line (sandbox files) or its
environment (the operator's KUBECONFIG), so scanning /proc for it finds them without trusting
the demo to report its own children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def processes_mentioning(marker: str) -> dict[int, str]:
    """pid -> command line of every live process whose command line or environment contains `marker`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (entry / "environ").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "Z":
            continue  # a zombie has exited; only its parent's wait is missing
        if marker in cmdline or marker in environ:
            found[int(entry.name)] = cmdline
    return found


def wait_until(predicate, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


class DemoRun:
    """`python -m qxo demo ARGS --workdir W` with stdout and stderr in files, so nothing blocks on a pipe."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.workdir = workdir
        self.stdout_path = workdir.parent / f"{workdir.name}.stdout"
        self.stderr_path = workdir.parent / f"{workdir.name}.stderr"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "qxo", "demo", *args, "--workdir", str(workdir)],
                                            stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def children(self) -> dict[int, str]:
        return processes_mentioning(str(self.workdir))

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"qxo demo still running after {timeout}s; stderr ends:\n"
                                 f"{self.stderr[-3000:]}") from None

    def interrupt(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def kill_everything(self) -> None:
        """Safety net for a failing test: nothing the demo started may outlive the test run."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in self.children():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


