"""Who keeps a claimed remote thing when creationTimestamp cannot tell: it counts whole seconds.

Runtime-level: an ExtensionAccount on a ClusterQualtricsBrand is refused as a duplicate before any
brand call, so no server is needed.
"""

from __future__ import annotations

import pytest

from qxo.reconcile.conditions import State
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Outcome
from qxo.reconcile.registry import KINDS
from qxo.reconcile.runtime import Runtime

SAME_SECOND = "2026-12-07T19:39:40Z"
BRAND = {"apiVersion": "qxo.dev/v1alpha1", "kind": "ClusterQualtricsBrand",
         "metadata": {"name": "acme", "generation": 1, "creationTimestamp": "2026-12-01T00:00:00Z"},
         "spec": {"brandId": "acme", "datacenter": "iad1",
                  "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "acme-brand-admin"}},
                  "namespaceSelector": {"matchLabels": {"qxo.dev/brand-acme": "true"}}}}


def account(namespace: str, name: str, *, holds: str | None = None) -> dict:
    body = {"metadata": {"namespace": namespace, "name": name, "generation": 1, "resourceVersion": "1",
                         "creationTimestamp": SAME_SECOND},
            "spec": {"brandRef": {"kind": "ClusterQualtricsBrand", "name": "acme"}, "extensionId": "whatsapp-twilio",
                     "displayName": "Marketing WhatsApp", "credentials": {"secretRef": {"name": "twilio"}}}}
    if holds is not None:
        body["status"] = {"externalId": holds, "observedGeneration": 1,
                          "conditions": [{"type": "Ready", "status": "True", "reason": "Ready"}]}
    return body


class NoSecrets:
    async def secret(self, namespace, name):
        raise AssertionError("no Secret is read before the claim is settled")


@pytest.fixture
def rt() -> Runtime:
    runtime = Runtime(NoSecrets(), kinds=KINDS)
    runtime.saw("ClusterQualtricsBrand", BRAND)
    for namespace in ("team-marketing", "team-support", "team-a", "team-b"):
        runtime.saw_namespace(namespace, {"metadata": {"name": namespace, "labels": {"qxo.dev/brand-acme": "true"}}})
    return runtime


def duplicate(outcome) -> bool:
    return outcome.state is State.REFUSED and outcome.verdict.reason == "DuplicateAccount"


async def test_a_claimant_created_in_the_same_second_never_takes_over_what_another_holds(rt):
    # Marketing's account manages the brand's account; support declares the same one within the same second,
    # under a name that sorts first.
    rt.saw("ExtensionAccount", account("team-marketing", "whatsapp", holds="EA_marketing"))
    rt.saw("ExtensionAccount", account("team-support", "not-mine"))

    outcome = await rt.converge("ExtensionAccount", account("team-support", "not-mine"))

    assert duplicate(outcome)
    assert "ExtensionAccount team-marketing/whatsapp already declares account 'Marketing WhatsApp'" \
        in outcome.verdict.message
    assert not duplicate(await rt.converge("ExtensionAccount", account("team-marketing", "whatsapp",
                                                                        holds="EA_marketing")))


async def test_claimants_created_in_one_second_agree_on_one_holder(rt):
    # Same name, same second, neither holding yet: each must name the same holder, not itself.
    bodies = [account("team-a", "whatsapp"), account("team-b", "whatsapp")]
    for body in bodies:
        rt.saw("ExtensionAccount", body)

    refused = [duplicate(await rt.converge("ExtensionAccount", body)) for body in bodies]

    assert refused == [False, True]
    assert refused == [duplicate(await rt.converge("ExtensionAccount", body)) for body in reversed(bodies)][::-1]


async def test_holding_is_read_from_the_latest_converge_before_the_watch_shows_it(rt):
    # team-b's account sorts last, but it converged and holds the account (its status patch not yet watched).
    holder, rival = account("team-b", "whatsapp"), account("team-a", "whatsapp")
    rt.saw("ExtensionAccount", holder)
    rt.saw("ExtensionAccount", rival)
    rt.record_verdict(ObjectKey("ExtensionAccount", "team-b", "whatsapp"),
                      Outcome.ready(status={"externalId": "EA_b"}))

    assert duplicate(await rt.converge("ExtensionAccount", rival))


async def test_an_install_holds_its_extension_once_its_status_says_whether_it_is_installed(rt):
    # An install holding the extension writes `installed` (false until the brand installs it); a rival does not.
    def install(namespace: str, installed: bool | None = None) -> dict:
        body = {"metadata": {"namespace": namespace, "name": "smtp-relay", "generation": 1,
                             "creationTimestamp": SAME_SECOND},
                "spec": {"brandRef": {"kind": "ClusterQualtricsBrand", "name": "acme"}, "extensionId": "smtp-relay"}}
        if installed is not None:
            body["status"] = {"installed": installed, "observedGeneration": 1}
        return body

    rt.saw("ExtensionInstall", install("team-b", installed=False))
    rt.saw("ExtensionInstall", install("team-a"))

    outcome = await rt.converge("ExtensionInstall", install("team-a"))

    assert outcome.state is State.REFUSED and outcome.verdict.reason == "DuplicateInstall"
    assert "ExtensionInstall team-b/smtp-relay already manages smtp-relay" in outcome.verdict.message
