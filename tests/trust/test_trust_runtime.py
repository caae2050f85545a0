"""The reconcilers' side of the trust boundary, one converge at a time against a real brand sandbox:
configuration errors are refusals naming the field (no traceback, no retry), rates count only once
authenticated and stop counting when their object goes, CA bundle files are bounded and cleaned up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trustme

from qxo.kube.secrets import ReadForbidden, SecretData
from qxo.qualtrics.ratelimit import claimed_rate
from qxo.reconcile.cafiles import MAX_BYTES, CAFiles
from qxo.reconcile.conditions import State
from qxo.reconcile.outcome import Refused
from qxo.reconcile.runtime import Runtime
from qxo.sandbox.brand import BrandSandbox
from qxo.trust.endpoints import Allowlist

NS = "team"
LOOPBACK = Allowlist.with_defaults(["127.0.0.1"])


class Namespace:
    """Secrets and ConfigMaps as the API server would serve them, counting every read."""

    def __init__(self) -> None:
        self.secrets: dict[str, tuple[dict[str, str], bool]] = {}
        self.config_maps: dict[str, dict[str, str]] = {}
        self.reads = 0
        self.writes: list[str] = []
        self.forbidden = False  # the kube sandbox has no RBAC: this stands for a namespace without the tenant Role

    async def secret(self, namespace, name):
        self.reads += 1
        if self.forbidden:
            raise ReadForbidden(f"the operator may not read secrets in namespace {namespace} (HTTP 403): bind ...")
        if name not in self.secrets:
            return None
        values, labelled = self.secrets[name]
        return SecretData(name, "1", dict(values) if labelled else {}, opted_in=labelled)

    async def config_map(self, namespace, name):
        self.reads += 1
        return self.config_maps.get(name)

    async def write_secret(self, namespace, name, values, owner=None):
        self.writes.append(name)


@pytest.fixture
async def brand():
    sandbox = BrandSandbox(":memory:")
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def world(brand):
    namespace = Namespace()
    namespace.secrets["token"] = ({"token": brand.admin_token}, True)
    runtime = Runtime(namespace, allowlist=LOOPBACK)
    yield runtime, namespace, brand
    await runtime.close()


def brand_body(name: str = "acme", *, base_url: str, secret: str = "token", rate: int | None = None,
               ca: str | None = None) -> dict:
    spec = {"brandId": "acme", "baseURL": base_url,
            "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": secret, "key": "token"}}}
    if rate:
        spec["rateLimit"] = {"requestsPerMinute": rate}
    if ca:
        spec["caBundleRef"] = {"kind": "ConfigMap", "name": ca, "key": "ca.crt"}
    return {"metadata": {"namespace": NS, "name": name, "generation": 1, "uid": f"uid-{name}"}, "spec": spec}


async def converge(rt: Runtime, body: dict, kind: str = "QualtricsBrand"):
    rt.saw(kind, body)
    return await rt.converge(kind, body)


# -- configuration errors are refusals naming the field ---------------------------------------------------

@pytest.mark.parametrize(("base_url", "reason", "words"), [
    # The spec's own pattern refuses a port out of range before the allowlist is asked.
    ("https://127.0.0.1:99999", "InvalidSpec", "spec.baseURL"),
    ("https://brand.example.com", "EndpointNotAllowed", "is not an allowed endpoint"),
    # Salesforce's hosts are for SalesforceLinks' credentials; a brand token never goes there.
    ("https://attacker-dev-ed.my.salesforce.com", "EndpointNotAllowed", "is not an allowed endpoint"),
    ("https://169.254.169.254", "EndpointNotAllowed", "never calls"),
    ("https://localhost:8443", "EndpointNotAllowed", "is not an allowed endpoint"),
])
async def test_an_endpoint_that_cannot_or_may_not_be_used_is_refused_before_any_secret_is_read(world, base_url,
                                                                                                reason, words):
    rt, namespace, _ = world
    outcome = await converge(rt, brand_body(base_url=base_url))
    assert (outcome.state, outcome.verdict.reason) == (State.REFUSED, reason)
    assert outcome.verdict.message.startswith("spec.baseURL: ") and words in outcome.verdict.message
    assert namespace.reads == 0 and not outcome.retry


async def test_a_base_url_with_a_path_is_refused_naming_the_field(world):
    rt, _, brand = world
    outcome = await converge(rt, brand_body(base_url=brand.base_url + "/API/v3"))
    assert (outcome.state, outcome.verdict.reason) == (State.REFUSED, "InvalidSpec")
    assert outcome.verdict.message.startswith("spec.baseURL: ") and "without a path" in outcome.verdict.message


@pytest.mark.parametrize(("pem", "words"), [
    ("not a certificate", "not a PEM bundle of CA certificates"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a PEM bundle"),
    ("x" * (MAX_BYTES + 1), f"at most {MAX_BYTES}"),
])
async def test_a_ca_bundle_that_is_garbage_or_too_large_is_refused_naming_the_field(world, pem, words):
    rt, namespace, brand = world
    namespace.config_maps["ca"] = {"ca.crt": pem}
    outcome = await converge(rt, brand_body(base_url=brand.base_url, ca="ca"))
    assert (outcome.state, outcome.verdict.reason) == (State.REFUSED, "InvalidCABundle")
    assert outcome.verdict.message.startswith("spec.caBundleRef: ") and words in outcome.verdict.message
    assert rt.ca_files.paths == []


async def test_an_unlabelled_secret_is_refused_naming_the_ref_and_the_secret(world):
    rt, namespace, brand = world
    namespace.secrets["stolen"] = ({"token": brand.admin_token}, False)
    outcome = await converge(rt, brand_body(base_url=brand.base_url, secret="stolen"))
    assert (outcome.state, outcome.verdict.reason) == (State.REFUSED, "SecretNotLabelled")
    assert outcome.verdict.message.startswith("spec.credentials.apiTokenSecretRef: Secret stolen is not labelled "
                                              'qxo.dev/credentials: "true"')
    assert rt.sessions == {}


def link_body(login_url: str, refresh: str = "refresh") -> dict:
    return {"metadata": {"namespace": NS, "name": "link", "generation": 1, "uid": "uid-link"},
            "spec": {"brandRef": {"name": "acme"}, "owner": "ana.lima@acme.example", "environment": "Production",
                     "loginURL": login_url,
                     "oauth": {"clientSecretRef": {"name": "app"}, "refreshTokenSecretRef": {"name": refresh}}}}


@pytest.mark.parametrize("brand_ready", [True, False])
async def test_a_link_login_url_off_the_allowlist_is_refused_naming_the_field(world, brand_ready):
    rt, namespace, brand = world
    if brand_ready:
        assert (await converge(rt, brand_body(base_url=brand.base_url))).state is State.READY
    namespace.secrets["app"] = ({"client_id": "c", "client_secret": "s"}, True)
    namespace.secrets["refresh"] = ({"refresh_token": "r"}, True)
    reads = namespace.reads
    outcome = await converge(rt, link_body("https://login.example.com"), "SalesforceLink")
    assert (outcome.state, outcome.verdict.reason) == (State.REFUSED, "EndpointNotAllowed")
    assert outcome.verdict.message.startswith("spec.loginURL: https://login.example.com:443 is not an allowed")
    assert namespace.reads == reads  # neither the client secret nor the refresh token was read


async def test_a_link_whose_refresh_token_did_not_opt_in_says_so_before_waiting_for_its_brand(world):
    rt, namespace, _ = world
    namespace.secrets["app"] = ({"client_id": "c", "client_secret": "s"}, True)
    namespace.secrets["theirs"] = ({"refresh_token": "FAKE-someone-elses"}, False)
    outcome = await converge(rt, link_body("https://acme.my.salesforce.com", refresh="theirs"), "SalesforceLink")
    assert (outcome.state, outcome.verdict.reason) == (State.REFUSED, "SecretNotLabelled")
    assert outcome.verdict.message.startswith("spec.oauth.refreshTokenSecretRef: Secret theirs is not labelled")


async def test_a_secret_rbac_forbids_is_reported_and_waited_for_not_retried_with_a_traceback(world):
    rt, namespace, brand = world
    namespace.forbidden = True
    outcome = await converge(rt, brand_body(base_url=brand.base_url))
    assert (outcome.state, outcome.verdict.reason) == (State.WAITING, "WaitingForSecretAccess")
    assert outcome.verdict.message.startswith("spec.credentials.apiTokenSecretRef: Secret token: the operator may "
                                              "not read secrets") and not outcome.retry


# -- rate limits per identity -----------------------------------------------------------------------------

async def test_only_authenticated_sessions_set_the_shared_rate_and_a_deleted_ones_rate_stops_counting(world):
    rt, namespace, brand = world
    key = (brand.base_url, "acme")
    namespace.secrets["bogus"] = ({"token": "FAKE-bogus-token"}, True)
    bogus = brand_body("bogus", base_url=brand.base_url, secret="bogus", rate=1)
    assert (await converge(rt, bogus)).verdict.reason == "AuthenticationFailed"
    assert claimed_rate(key) == 3000  # a token the brand refused changes nothing for anyone

    careful = brand_body("careful", base_url=brand.base_url, rate=600)
    assert (await converge(rt, careful)).state is State.READY
    assert (await converge(rt, brand_body("usual", base_url=brand.base_url, rate=2400))).state is State.READY
    assert claimed_rate(key) == 600  # the lowest among the authenticated

    rt.saw("QualtricsBrand", careful, deleted=True)
    assert (await rt.finalize("QualtricsBrand", careful)).state is State.READY
    assert claimed_rate(key) == 2400  # its rate went with it


# -- CA bundle files --------------------------------------------------------------------------------------

async def test_ca_files_are_shared_replaced_and_removed_with_their_sessions_and_at_close(world):
    rt, namespace, brand = world
    first, second = trustme.CA().cert_pem.bytes().decode(), trustme.CA().cert_pem.bytes().decode()
    namespace.config_maps["ca"] = {"ca.crt": first}
    for name in ("one", "two"):
        assert (await converge(rt, brand_body(name, base_url=brand.base_url, ca="ca"))).state is State.READY
    [shared] = rt.ca_files.paths
    assert contents(shared) == first

    namespace.config_maps["ca"] = {"ca.crt": second}  # rotated: both sessions rebuilt on the new bundle
    for name in ("one", "two"):
        assert (await converge(rt, brand_body(name, base_url=brand.base_url, ca="ca"))).state is State.READY
    [rotated] = rt.ca_files.paths
    assert rotated != shared and contents(shared) is None and contents(rotated) == second

    await rt.close()
    assert contents(rotated) is None and contents(str(Path(rotated).parent)) is None


def contents(path: str) -> str | None:
    """The file's text, or None when neither it nor a directory of that name exists."""
    target = Path(path)
    if target.is_dir():
        return ""
    return target.read_text() if target.exists() else None


def test_ca_files_stay_under_their_total_budget(monkeypatch):
    files = CAFiles()
    pems = [trustme.CA().cert_pem.bytes().decode() for _ in range(3)]
    monkeypatch.setattr("qxo.reconcile.cafiles.MAX_TOTAL_BYTES", len(pems[0]) * 2 + 10)
    try:
        kept = [files.file_for(pem, "spec.caBundleRef") for pem in pems[:2]]
        with pytest.raises(Exception, match="already take") as waiting:
            files.file_for(pems[2], "spec.caBundleRef")
        assert not isinstance(waiting.value, Refused)  # waits for space; the spec is not wrong
        files.keep_only(kept[:1])  # one session went: its file goes, and the third fits
        assert not os.path.exists(kept[1])
        files.file_for(pems[2], "spec.caBundleRef")
    finally:
        files.close()
