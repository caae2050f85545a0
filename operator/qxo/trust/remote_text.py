"""Text a remote server chose (error messages, error codes), made safe to copy into status, Events and logs.

A server can answer anything: newlines that forge log lines or condition text, terminal escapes,
right-to-left overrides, megabytes. What qxo keeps of it is one printable line, bounded, and quoted
so a reader sees whose words they are; error codes keep only the characters codes are made of.
"""

from __future__ import annotations

import re

MAX_REMOTE_TEXT = 200
_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def remote_text(text: object, limit: int = MAX_REMOTE_TEXT) -> str:
    """One printable line of at most `limit` characters (control, format and escape characters become spaces)."""
    raw = "" if text is None else str(text)
    raw = raw[: limit * 4]  # what is cut anyway need not be scanned
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in raw).split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def quoted(text: object, limit: int = MAX_REMOTE_TEXT) -> str:
    """`remote_text` in double quotes (inner double quotes become single ones): plainly the server's words."""
    return '"' + remote_text(text, limit).replace('"', "'") + '"'


def remote_code(code: object, fallback: str = "unknown_error") -> str:
    """An error code as sent when it looks like one (letters, digits, `_.:-`, at most 64), else `fallback`."""
    text = "" if code is None else str(code)
    return text if _CODE.match(text) else fallback
