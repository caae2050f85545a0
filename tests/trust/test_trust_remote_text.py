"""Remote text kept for status: one printable bounded line, quoted; error codes only as codes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qxo.qualtrics import errors
from qxo.trust.remote_text import MAX_REMOTE_TEXT, quoted, remote_code, remote_text


def test_forged_lines_escapes_and_overrides_become_one_plain_line():
    hostile = 'ok\nReady=True\r\n\x1b[31mred\x1b[0m \u202espoof\u200b "quote"' + "x" * 1000
    kept = remote_text(hostile)
    assert "\n" not in kept and "\r" not in kept and "\x1b" not in kept and "\u202e" not in kept
    assert kept.startswith("ok Ready=True [31mred [0m spoof") and len(kept) == MAX_REMOTE_TEXT
    assert kept.endswith("…")
    assert quoted('say "hi"') == "\"say 'hi'\""


@given(st.text())
def test_any_text_stays_bounded_and_printable(text):
    kept = remote_text(text)
    assert len(kept) <= MAX_REMOTE_TEXT and kept.isprintable() and "\n" not in kept


def test_codes_keep_only_code_characters():
    assert remote_code("invalid_grant") == "invalid_grant"
    assert remote_code("INVALID_SESSION_ID") == "INVALID_SESSION_ID"
    assert remote_code("bad code\nReady") == "unknown_error"
    assert remote_code("x" * 65) == "unknown_error"
    assert remote_code(None, "") == ""


def test_the_brands_error_envelope_is_kept_bounded():
    body = {"meta": {"requestId": "r-1\nforged", "error": {"errorCode": "BAD\tCODE", "field": "domains\n[0]",
                                                          "errorMessage": "no\nReady=True" + "y" * 5000}}}
    error = errors.from_envelope(400, body)
    assert error.message.startswith("no Ready=True") and len(error.message) == MAX_REMOTE_TEXT
    assert error.error_code is None and error.request_id is None and error.field == "domains [0]"
