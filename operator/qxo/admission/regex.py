"""Go (RE2) regular expressions on Python's `re`: `$` and `\\z` end only at the end of text, classes stay ASCII.

Python's `$` also matches before a trailing newline and its `\\d`, `\\w`, `\\s` accept any Unicode digit,
letter or space; RE2's do not, so a pattern like `^[a-z]+$` must refuse "abc\\n" here as it does there.
"""

from __future__ import annotations

import functools
import re

_MULTILINE_FLAG = re.compile(r"\(\?[a-zA-Z]*m[a-zA-Z]*[):]")


def translate(pattern: str) -> str:
    """Rewrite the end anchors of an RE2 pattern into Python's end-of-text anchor."""
    # in multi-line mode RE2's $ means end of line, which Python's $ already does
    multiline = _MULTILINE_FLAG.search(pattern) is not None
    out: list[str] = []
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escape = pattern[index : index + 2]
            out.append("\\Z" if escape == "\\z" and not in_class else escape)
            index += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            # a ']' right after '[' or '[^' is a literal member, not the end of the class
            if pattern[index + 1 : index + 2] == "^":
                out.append("^")
                index += 1
            if pattern[index + 1 : index + 2] == "]":
                out.append("]")
                index += 1
        elif char == "$" and not multiline:
            out.append("\\Z")
        else:
            out.append(char)
        index += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def compile_go_regex(pattern: str) -> re.Pattern[str]:
    """Compile an RE2 pattern with RE2's anchors and ASCII classes; re.error if Python cannot."""
    return re.compile(translate(pattern), re.ASCII)
