"""No secret reaches the log output: not under a secret key, not registered, not in either format."""

from __future__ import annotations

import io
import json
import logging

import kopf
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from kopf._core.actions.loggers import ObjectLogger

from qxo.observability import logs
from qxo.observability.formatting import JsonFormatter
from qxo.observability.redaction import MASK, MAX_SECRETS, Redactor, is_secret_key

log = logging.getLogger("qxo.clients.test")

SECRET_KEYS = ("token", "apiToken", "access_token", "refresh_token", "client_secret", "password", "X-API-TOKEN",
               "Authorization", "clientSecret", "id_token", "sessionId", "Cookie", "private_key", "api-key")
NOT_SECRET_KEYS = ("tokens_total", "token_type", "expires_in", "name", "brandId", "username", "secretRef",
                   "token_expiry")


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(params=["json", "human"])
def output(request, restore_root_logger):
    stream = io.StringIO() if request.param == "json" else TerminalStream()
    logs.configure(stream=stream, level="DEBUG")
    return stream


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_keys_are_recognised(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", NOT_SECRET_KEYS)
def test_ordinary_keys_are_left_alone(key):
    assert not is_secret_key(key)


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_values_under_secret_keys_are_masked_in_structured_extras(output, key):
    value = f"v4lue-of-{key}-Zq9"
    log.info("request sent", extra={"request": {"headers": {key: value, "Accept": "application/json"},
                                                "body": [{"nested": {key: value}}]}})

    text = output.getvalue()
    assert value not in text
    assert "application/json" in text  # only the secret is masked, not its neighbours


@pytest.mark.parametrize("key", SECRET_KEYS)
@pytest.mark.parametrize("shape", ['{key}={value}', '{key}: {value}', '"{key}": "{value}"', "'{key}': '{value}'",
                                   "?a=1&{key}={value}&b=2", "{{'{key}': '{value}', 'x': 1}}"])
def test_values_under_secret_keys_are_masked_in_messages(output, key, shape):
    value = "s3cr3t/Value+with=symbols"
    log.warning("sent " + shape.format(key=key, value=value))

    text = output.getvalue()
    assert "s3cr3t" not in text
    assert MASK in text


def test_bearer_credentials_are_masked_without_any_key(output):
    log.info("calling with Bearer eyJhbGciOi.J9eyJzdWIi.OiIxMjM0 now")
    log.info("Bearer token refreshed")

    text = output.getvalue()
    assert "eyJhbGciOi" not in text
    assert "Bearer token refreshed" in text  # plain words after the scheme stay readable


def test_registered_values_are_masked_everywhere(output):
    secret = 'pa"ss\\word-8842'
    logs.redact_values([secret, None, "abc"])  # None and too-short values are ignored, not errors
    with logs.bind(kind="ExtensionAccount", namespace="ns", name="acct", request_id="rq"):
        log.info("credential is %s", secret, extra={"note": f"echo {secret}", "list": [secret]})
        try:
            raise RuntimeError(f"brand refused {secret}")
        except RuntimeError:
            log.exception("failed")
    ObjectLogger(body=kopf.Body({"kind": "ExtensionAccount", "metadata": {"name": "a", "namespace": "n"}}),
                 settings=kopf.OperatorSettings()).warning("kopf saw %s", secret)

    text = output.getvalue()
    assert secret not in text
    assert json.dumps(secret)[1:-1] not in text  # nor its JSON-escaped form
    assert text.count(MASK) >= 5


def test_registered_values_are_masked_url_encoded():
    redactor = Redactor()
    redactor.register(["a b/c?d"])

    assert "a%20b%2Fc%3Fd" not in redactor.text("GET /x?q=a%20b%2Fc%3Fd")


def test_a_longer_registered_secret_is_masked_whole_not_around_a_shorter_one():
    redactor = Redactor()
    redactor.register(["abcd", "xxabcdyy"])

    assert redactor.values("token xxabcdyy end") == f"token {MASK} end"


def test_the_registry_is_bounded_oldest_first():
    redactor = Redactor()
    redactor.register(f"secret-{i:06d}" for i in range(MAX_SECRETS + 10))

    assert redactor.values(f"secret-{MAX_SECRETS + 9:06d}") == MASK
    assert redactor.values("secret-000000") == "secret-000000"
    assert redactor.values("secret-000010") == MASK  # exactly the ten oldest went


def test_the_credentials_of_ten_thousand_objects_are_all_masked():
    # Each account's values are registered as it reads them; at N=10,000 that is thousands of values
    # sharing a prefix (benchmark credentials, or JWTs, which all begin "eyJ"), and every one must stay masked.
    redactor = Redactor()
    tokens = [f"eyJhbGciOi.account-{i:05d}.sig" for i in range(12_000)]
    for token in tokens:
        redactor.register([token])
    assert all(redactor.values(f"token={token}") == f"token={MASK}" for token in tokens[::997])


@example(secret="0000", before="\x00", after="")
@settings(max_examples=60)
@given(secret=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="*", exclude_categories=("Cs",)),
                      min_size=4, max_size=40).filter(lambda s: s.strip()),
       before=st.text(max_size=20), after=st.text(max_size=20))
def test_no_registered_secret_survives_in_json_output(secret, before, after):
    # A private redactor and logger: random secrets registered process-wide would mask words
    # in every later test's output.
    redactor, stream = Redactor(), io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(redactor))
    redactor.register([secret])
    record = logging.LogRecord("qxo.test", logging.ERROR, __file__, 1, "%s%s%s", (before, secret, after), None)
    record.detail = {"value": f"{before}{secret}", secret: 1}
    handler.handle(record)

    fields = json.loads(stream.getvalue())  # still valid JSON whatever the secret looks like
    # The fixed skeleton (field names, level, logger) may contain a short secret by chance; what
    # must never contain it are the fields carrying the caller's data.
    # Checked on the decoded strings: the raw line escapes control characters (a NUL is
    # written \u0000), which would make a secret such as "0000" seem to survive.
    assert secret not in fields["message"]
    assert not any(secret in text for text in _strings(fields["detail"]))


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_re_registering_a_value_makes_it_the_newest_so_it_outlives_the_bound():
    redactor = Redactor()
    redactor.register(["secret-keep"])
    redactor.register(f"secret-{i:05d}" for i in range(MAX_SECRETS - 1))  # full, nothing dropped yet
    redactor.register(["secret-keep"])  # read again, e.g. the Secret was converged again
    redactor.register(f"secret-{i:05d}" for i in range(MAX_SECRETS - 1, MAX_SECRETS + 9))

    assert redactor.values("secret-keep") == MASK
    assert redactor.values("secret-00000") == "secret-00000"  # the oldest went


def test_every_one_of_thousands_of_values_sharing_a_prefix_is_masked():
    redactor = Redactor()
    secrets = [f"tok-{i:06d}-{'x' * (i % 7)}" for i in range(3000)]
    redactor.register(secrets)

    line = f"a={secrets[5]} b={secrets[2999]}, c={secrets[1234]}!"
    assert redactor.values(line) == f"a={MASK} b={MASK}, c={MASK}!"
    assert redactor.values("tok-nothing-here") == "tok-nothing-here"
