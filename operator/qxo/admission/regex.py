"""Regular expressions as the API server runs them: RE2 syntax and semantics, through google-re2.

Kubernetes checks a CRD's `pattern` and CEL's `matches()`, `find()` and `findAll()` with Go's
regexp package, which implements RE2. google-re2 binds Google's C++ RE2, the same language: `$`
and `\\z` end only at the end of text, `\\d`, `\\w` and `\\s` are ASCII, POSIX classes such as
`[[:alpha:]]` and `\\Q...\\E` quoting work, and look-arounds and back-references are refused as
they are by the server. Matching takes time linear in the input, so a hostile pattern or value
cannot stall admission or `qxo validate`.
"""

from __future__ import annotations

import functools

import re2


class RegexError(ValueError):
    """A pattern RE2 refuses; the message follows Go's `error parsing regexp: ...` prefix."""


def _options() -> re2.Options:
    options = re2.Options()
    # A refused pattern is reported to the caller (a CRD compile error, a CEL evaluation error);
    # RE2 would otherwise also log it on stderr.
    options.log_errors = False
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=1024)
def compile_go_regex(pattern: str) -> re2._Regexp:
    """Compile an RE2 pattern (with `search`, `match`, `fullmatch`, `finditer`); RegexError if RE2 refuses it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        detail = error.args[0] if error.args else error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise RegexError(f"error parsing regexp: {detail}") from None
