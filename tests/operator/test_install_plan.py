"""plan() for ExtensionInstall, as a table: (desired, observed extension) -> actions or refusal."""

from datetime import UTC, datetime

import pytest

from qxo.qualtrics.models import Enablement, Extension, Installation
from qxo.reconcile.install import DesiredInstall, Install, PutDomains, PutEnablement, Uninstall, plan, plan_removal
from qxo.reconcile.outcome import Refused


def ext(**overrides) -> Extension:
    fields = dict(id="brandwatch", name="Brandwatch", publisher="Brandwatch", first_party=False, preview=False,
                  domains_editable=True, default_domains=("https://api.brandwatch.com",),
                  privacy_policy_url="https://x.example/privacy", terms_url="https://x.example/terms",
                  support_contact="support@brandwatch.example", installed=False)
    fields.update(overrides)
    return Extension(**fields)


def installed(**overrides) -> Extension:
    installation = Installation(extension_id="brandwatch", installed_at=datetime.now(UTC), installed_by="UR_1")
    base = dict(installed=True, installation=installation, domains=("https://api.brandwatch.com",),
                enablement=Enablement())
    base.update(overrides)
    return ext(**base)


def want(**overrides) -> DesiredInstall:
    fields = dict(extension_id="brandwatch", terms_accepted=True, preview_opt_in=False, domains=None, enablement=None)
    fields.update(overrides)
    return DesiredInstall(**fields)


DOMAINS = frozenset({"https://api.brandwatch.com", "https://*.acme.example"})

CASES = [
    ("fresh third-party install", want(), ext(),
     (Install("brandwatch", True, False),)),
    ("already installed, nothing declared", want(), installed(), ()),
    ("install and set domains", want(domains=DOMAINS), ext(),
     (Install("brandwatch", True, False),
      PutDomains("brandwatch", tuple(sorted(DOMAINS)), ("https://*.acme.example",), ()))),
    ("domains equal as sets", want(domains=frozenset({"https://api.brandwatch.com"})), installed(), ()),
    ("empty list blocks every domain", want(domains=frozenset()), installed(),
     (PutDomains("brandwatch", (), (), ("https://api.brandwatch.com",)),)),
    ("enablement drift corrected", want(enablement=Enablement(users=("UR_1",))), installed(),
     (PutEnablement("brandwatch", Enablement(users=("UR_1",))),)),
    ("enablement equal in another order",
     want(enablement=Enablement(users=("UR_2", "UR_1"))), installed(enablement=Enablement(users=("UR_1", "UR_2"))),
     ()),
    ("first party needs no terms", want(terms_accepted=False, extension_id="webservice"),
     ext(id="webservice", publisher="Qualtrics", first_party=True), (Install("webservice", False, False),)),
    ("preview with opt-in", want(preview_opt_in=True), ext(preview=True), (Install("brandwatch", True, True),)),
]


@pytest.mark.parametrize(("desired", "observed", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan(desired, observed, expected):
    assert plan(desired, observed) == expected


REFUSALS = [
    ("unknown extension", want(), None, "UnknownExtension", "spec.extensionId"),
    ("third party without terms", want(terms_accepted=False), ext(), "TermsNotAccepted", "spec.termsAccepted"),
    ("preview without opt-in", want(), ext(preview=True), "PreviewNotOptedIn", "spec.previewOptIn"),
    ("domains on a non-editable extension", want(domains=DOMAINS), ext(domains_editable=False),
     "DomainsNotEditable", "spec.domains"),
]


@pytest.mark.parametrize(("desired", "observed", "reason", "field"), [c[1:] for c in REFUSALS],
                         ids=[c[0] for c in REFUSALS])
def test_refusals_name_the_field_and_plan_no_write(desired, observed, reason, field):
    with pytest.raises(Refused) as refused:
        plan(desired, observed)
    assert refused.value.reason == reason
    assert refused.value.message.startswith(f"{field}:")


def test_non_editable_domains_may_be_declared_when_they_match():
    assert plan(want(domains=frozenset({"https://api.brandwatch.com"})), installed(domains_editable=False)) == ()


def test_removal_uninstalls_only_what_is_installed():
    assert plan_removal(installed()) == (Uninstall("brandwatch"),)
    assert plan_removal(ext()) == ()
    assert plan_removal(None) == ()
