"""The demo's live progress: a table redrawn in place on a terminal, plain lines otherwise.

Narrative lines (what each step did) go to `out`; the live table goes to stderr. On a terminal
the table is erased before a narrative line is written and drawn again below it, so the two
never interleave; when stderr is not a terminal every change is one line instead.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from qxo.demo.brand import Audit
from qxo.demo.tracker import Resource, Tracker

_UP_AND_CLEAR = "\x1b[{n}F\x1b[J"


class Display:
    def __init__(self, out: TextIO, live: TextIO | None = None, tty: bool | None = None) -> None:
        self.out = out
        self.live = live or sys.stderr
        self.tty = self.live.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.step = "starting"
        self._drawn = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str = "") -> None:
        """A narrative line: stays on screen."""
        self._erase()
        print(text, file=self.out, flush=True)

    def begin(self, step: str, title: str) -> None:
        self.step = step
        self.say()
        self.say(f"== {title}")

    def changes(self, changed: list[Resource]) -> None:
        """Without a terminal: one line per resource whose state moved."""
        if self.tty:
            return
        for resource in changed:
            ready, synced, why = resource.summary()
            print(f"  [{self.elapsed():6.1f}s] {resource.kind}/{resource.name}: Ready={ready} Synced={synced} {why}",
                  file=self.live, flush=True)

    def draw(self, tracker: Tracker, audit: Audit) -> None:
        """On a terminal: redraw the table of resources and the brand call counts."""
        if not self.tty:
            return
        width = _width(self.live)
        header = (f"-- {self.step} | {self.elapsed():5.1f}s | operator's brand calls: {audit.operator.reads} reads, "
                  f"{audit.operator.writes} writes | out-of-band: {audit.others.reads + audit.others.writes}")
        # A line wider than the terminal would wrap and break the count of lines to erase.
        lines = [_fit(header, width), *table_lines(tracker.ordered(), width=width)]
        self._erase()
        self.live.write("\n".join(lines) + "\n")
        self.live.flush()
        self._drawn = len(lines)

    def _erase(self) -> None:
        if self.tty and self._drawn:
            self.live.write(_UP_AND_CLEAR.format(n=self._drawn))
            self.live.flush()
            self._drawn = 0


def _width(stream: TextIO) -> int:
    import shutil

    return max(60, shutil.get_terminal_size((120, 24)).columns) if stream.isatty() else 160


def table_lines(resources: list[Resource], width: int = 160) -> list[str]:
    rows = [("KIND", "NAME", "READY", "SYNCED", "REASON")]
    rows += [(r.kind, r.name, *r.summary()) for r in resources]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        lines.append(_fit(line, width))
    return lines


def _fit(line: str, width: int) -> str:
    return line if len(line) < width else line[:width - 2] + "…"
