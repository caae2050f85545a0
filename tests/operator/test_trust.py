"""Trust boundaries with the operator in the loop (`--allow-endpoint 127.0.0.1`), tried as a hostile tenant
would: capture servers record every connection and byte, and each refusal must show as Ready=False naming
the field. Zero bytes of an unlabelled Secret sent anywhere, zero connections to an unlisted host, zero
credentials through a redirect, and one tenant's bogus brand object slows nobody."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import trustme
from test_lifecycle import KINDS_IN_EXAMPLES, find
from tests.trust.capture import CaptureServer, redirect_to

from qxo.sandbox.salesforce import SalesforceSandbox

pytestmark = pytest.mark.slow

LABEL = {"qxo.dev/credentials": "true"}


def secret(name: str, values: dict[str, str], *, labelled: bool = True) -> dict:
    meta = {"name": name, "namespace": "qxo-demo", **({"labels": dict(LABEL)} if labelled else {})}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "stringData": values}


def brand(name: str, base_url: str, token_secret: str, **spec) -> dict:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "QualtricsBrand",
            "metadata": {"name": name, "namespace": "qxo-demo"},
            "spec": {"brandId": "acme", "baseURL": base_url,
                     "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": token_secret}}, **spec}}


def refused(world, kind: str, name: str, reason: str, field: str) -> dict:
    condition = world.wait_condition(kind, name, status="False", reason=reason)
    assert condition["message"].startswith(f"{field}: "), condition
    return condition


@pytest.fixture
def elsewhere():
    with CaptureServer.running() as server:
        yield server


def test_a_brand_pointed_at_an_unlisted_host_gets_no_connection(world, elsewhere):
    token = "FAKE-token-for-an-unlisted-host"
    world.apply([secret("t", {"token": token}), brand("listed-nowhere", f"http://localhost:{elsewhere.port}", "t")])
    condition = refused(world, "QualtricsBrand", "listed-nowhere", "EndpointNotAllowed", "spec.baseURL")
    assert "--allow-endpoint" in condition["message"]
    assert elsewhere.connections == 0


def test_an_unlabelled_secret_is_sent_nowhere_and_the_condition_names_it(world, examples, elsewhere):
    token = "FAKE-token-of-an-unrelated-secret"
    world.apply([secret("unrelated", {"token": token}, labelled=False),
                 brand("thief", elsewhere.url, "unrelated")])
    condition = refused(world, "QualtricsBrand", "thief", "SecretNotLabelled", "spec.credentials.apiTokenSecretRef")
    assert "Secret unrelated" in condition["message"] and token not in condition["message"]
    assert elsewhere.connections == 0

    # An account whose Secret did not opt in: the brand gets no account and no value.
    documents = copy.deepcopy(examples)
    find(documents, "Secret", "ticketing-credentials")["metadata"].pop("labels")
    world.apply(documents)
    refused(world, "ExtensionAccount", "ticketing", "SecretNotLabelled", "spec.credentials.secretRef")
    world.wait_condition("ExtensionAccount", "brandwatch-social")
    created = [w for w in world.writes() if w["method"] == "POST" and w["route"].endswith("/accounts")]
    assert len(created) == 1  # brandwatch-social's only

    # Labelling it is the opt-in: the Secret watch (selecting on the label) sees it and the account goes ahead.
    world.core.patch_namespaced_secret("ticketing-credentials", "qxo-demo", {"metadata": {"labels": LABEL}})
    world.wait_condition("ExtensionAccount", "ticketing")
    assert token not in world.log_text()


def test_no_credential_follows_a_brand_redirect(world, elsewhere):
    with CaptureServer.running(redirect_to(f"{elsewhere.url}/API/v3/whoami")) as hop:
        world.apply([secret("t", {"token": "FAKE-token-not-to-be-redirected"}), brand("hop", hop.url, "t")])
        condition = refused(world, "QualtricsBrand", "hop", "EndpointRedirected", "spec.baseURL")
        assert "never follows redirects" in condition["message"]
        time.sleep(2)  # a refusal waits for the object to change: no retry storm at the endpoint
        assert len(hop.requests) == 1
    assert elsewhere.connections == 0


def test_a_garbage_ca_bundle_is_refused_naming_the_field_without_a_traceback(world, examples):
    documents = copy.deepcopy(examples)
    find(documents, "QualtricsBrand", "acme")["spec"]["caBundleRef"] = {"kind": "ConfigMap", "name": "ca",
                                                                        "key": "ca.crt"}
    world.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ca", "namespace": "qxo-demo"},
                  "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n"}},
                 *documents])
    refused(world, "QualtricsBrand", "acme", "InvalidCABundle", "spec.caBundleRef")
    # The world fixture checks at teardown that the operator logged no traceback.


def test_a_bogus_token_with_a_tiny_rate_slows_nobody_else(world, examples):
    # Same brand, same base URL: it would share the brand's rate limiter, and once set every other user's rate.
    world.apply([secret("bogus", {"token": "FAKE-bogus-token"}),
                 brand("slowpoke", world.brand.base_url, "bogus", rateLimit={"requestsPerMinute": 1})])
    world.wait_condition("QualtricsBrand", "slowpoke", status="False", reason="AuthenticationFailed")
    # At one request a minute the examples would take an hour; at the brand's own rate, seconds.
    world.apply(examples)
    for kind, name in KINDS_IN_EXAMPLES:
        world.wait_condition(kind, name, timeout=60)
    world.delete("QualtricsBrand", "slowpoke")
    world.wait_gone("QualtricsBrand", "slowpoke")


# -- SalesforceLink -----------------------------------------------------------------------------------------

@pytest.fixture
def salesforce():
    with SalesforceSandbox.run_in_thread() as sandbox:
        yield sandbox


@pytest.fixture
def documents(salesforce, examples_with_salesforce):
    return examples_with_salesforce({**salesforce.credentials, "ca_pem": Path(salesforce.ca_path).read_text()})


def test_no_salesforce_credential_follows_a_redirect_or_leaves_an_unlabelled_secret(world, documents, elsewhere):
    ca = trustme.CA()
    with CaptureServer.running(redirect_to(f"{elsewhere.url}/services/oauth2/token"), tls=ca) as login:
        documents = copy.deepcopy(documents)
        documents.insert(1, {"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "capture-ca", "namespace": "qxo-demo"},
                             "data": {"ca.crt": ca.cert_pem.bytes().decode()}})
        ana = find(documents, "SalesforceLink", "ana-lima-production")["spec"]
        ana["loginURL"], ana["caBundleRef"]["name"] = login.url, "capture-ca"
        ben = find(documents, "SalesforceLink", "ben-okafor-sandbox")["spec"]
        ben["loginURL"], ben["caBundleRef"]["name"] = login.url, "capture-ca"
        bens = find(documents, "Secret", "salesforce-ben-okafor")
        bens["metadata"].pop("labels")
        bens["stringData"]["refresh_token"] = "FAKE-bens-refresh-token-never-labelled"
        world.apply(documents)

        condition = refused(world, "SalesforceLink", "ana-lima-production", "EndpointRedirected", "spec.loginURL")
        assert "never follows redirects" in condition["message"]
        refused(world, "SalesforceLink", "ben-okafor-sandbox", "SecretNotLabelled", "spec.oauth.refreshTokenSecretRef")
        # ana's token request, refused at the redirect (asked again whenever the link is woken, and never
        # followed); nothing of ben's.
        assert login.requests
        assert all(request.raw.startswith(b"POST /services/oauth2/token ") for request in login.requests)
        assert b"FAKE-bens-refresh-token-never-labelled" not in login.received
    assert elsewhere.connections == 0


def test_the_token_secret_is_owned_by_its_link_and_never_someone_elses(world, documents):
    theirs = secret("ana-lima-production-salesforce-token", {"access_token": "FAKE-theirs"}, labelled=False)
    world.apply([theirs, *documents])
    condition = refused(world, "SalesforceLink", "ana-lima-production", "TokenSecretNotOwned", "metadata.name")
    assert "Secret ana-lima-production-salesforce-token already exists" in condition["message"]
    kept = world.core.read_namespaced_secret("ana-lima-production-salesforce-token", "qxo-demo")
    assert kept.metadata.owner_references is None and set(kept.data) == {"access_token"}

    world.wait_condition("SalesforceLink", "ben-okafor-sandbox", timeout=90)
    link = world.get("SalesforceLink", "ben-okafor-sandbox")
    token = world.core.read_namespaced_secret(link["status"]["tokenSecretName"], "qxo-demo")
    [owner] = token.metadata.owner_references
    assert (owner.kind, owner.name, owner.uid, owner.controller) == ("SalesforceLink", "ben-okafor-sandbox",
                                                                     link["metadata"]["uid"], True)
    assert token.metadata.labels == {"app.kubernetes.io/managed-by": "qxo"}

    world.delete("SalesforceLink", "ben-okafor-sandbox")
    world.wait_gone("SalesforceLink", "ben-okafor-sandbox")
    # Garbage-collected with its owner: no live access token left behind.
    assert link["status"]["tokenSecretName"] not in {s.metadata.name for s in
                                                     world.core.list_namespaced_secret("qxo-demo").items}
