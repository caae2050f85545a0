"""Sealed status fields: what a restarted operator trusts instead of asking the brand again, and only while the
seal matches what it covers (qxo.reconcile.session.seal)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from qxo.qualtrics.models import Access, Account, Enablement, Extension, Identity
from qxo.reconcile import grant, install
from qxo.reconcile.brand import identity_fields, identity_parts, recorded_identity
from qxo.reconcile.session import BrandSession, seal, seal_key

KEY = seal_key("token-of-the-brand")
FINGERPRINT = ('{"brandId":"acme"}', "41", None)
IDENTITY = Identity(brand_id="acme", user_id="UR_1", user_name="admin@acme.example", account_type="BrandAdmin")


def identity_status(key: bytes = KEY, fingerprint: tuple = FINGERPRINT, **changed: str) -> dict:
    fields = identity_fields(IDENTITY)
    return {"identity": {**fields, "seal": seal(key, *identity_parts(fingerprint, fields)), **changed}}


def test_an_identity_is_trusted_for_the_spec_and_secret_version_it_was_asked_with_only():
    assert recorded_identity(identity_status(), FINGERPRINT, KEY) == IDENTITY
    assert recorded_identity(identity_status(), (FINGERPRINT[0], "42", None), KEY) is None  # the Secret changed
    assert recorded_identity(identity_status(), ('{"brandId":"globex"}', "41", None), KEY) is None
    assert recorded_identity(identity_status(), FINGERPRINT, seal_key("another-token")) is None
    assert recorded_identity(identity_status(userId="UR_forged"), FINGERPRINT, KEY) is None
    assert recorded_identity(identity_status(key=seal_key("a-guess")), FINGERPRINT, KEY) is None
    assert recorded_identity({"identity": identity_fields(IDENTITY)}, FINGERPRINT, KEY) is None
    assert recorded_identity({}, FINGERPRINT, KEY) is None


def session(key: bytes = KEY) -> BrandSession:
    return BrandSession(client=object(), identity=IDENTITY, fingerprint=FINGERPRINT, seal_key=key)


def _object(body: dict) -> SimpleNamespace:
    """What left_as_sealed reads of an Object: its body and its status."""
    return SimpleNamespace(body=body, status=body["status"])


ACCESS = Access.of(users=[("UR_2", "User"), ("UR_1", "Owner")])


def account(access: Access = ACCESS) -> Account:
    when = datetime(2026, 12, 1, tzinfo=UTC)
    return Account(id="EA_1", extension_id="webservice", name="ticketing", creator_id="UR_1", access=access,
                   created_at=when, updated_at=when, credentials_updated_at=when)


def test_a_grant_is_left_as_sealed_while_the_access_and_its_generation_are_what_it_sealed():
    sealed = session().seal(*grant.access_parts(3, account()))
    status = {"observedGeneration": 3, "accessSeal": sealed}
    assert grant.left_as_sealed(_object({"metadata": {"generation": 3}, "status": status}), session(), account())
    # Another order of the same entries is the same access list.
    reordered = Access.of(users=[("UR_1", "Owner"), ("UR_2", "User")])
    assert grant.left_as_sealed(_object({"metadata": {"generation": 3}, "status": status}), session(),
                                account(reordered))
    changed = Access.of(users=[("UR_2", "Owner"), ("UR_1", "Owner")])
    assert not grant.left_as_sealed(_object({"metadata": {"generation": 3}, "status": status}), session(),
                                    account(changed))
    assert not grant.left_as_sealed(_object({"metadata": {"generation": 4}, "status": status}), session(), account())
    assert not grant.left_as_sealed(_object({"metadata": {"generation": 3}, "status": status}),
                                    session(seal_key("another-token")), account())
    assert not grant.left_as_sealed(_object({"metadata": {"generation": 3}, "status": {"observedGeneration": 3}}),
                                    session(), account())


def test_an_install_is_left_as_sealed_only_while_the_extension_is_enabled_as_it_left_it():
    def extension(enablement: Enablement, installed: bool = True) -> Extension:
        return Extension(id="webservice", name="Web Service", publisher="Qualtrics", first_party=True, preview=False,
                         domains_editable=True, privacy_policy_url="https://p.example", terms_url="https://t.example",
                         support_contact="s@example.com", installed=installed, enablement=enablement)

    enabled = Enablement(users=("UR_2", "UR_1"), groups=("GR_1",))
    sealed = session().seal(*install.enablement_parts(2, extension(enabled)))
    found = _object({"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "enablementSeal": sealed}})
    assert install.left_as_sealed(found, session(), extension(Enablement(users=("UR_1", "UR_2"), groups=("GR_1",))))
    assert install.left_as_sealed(found, session(), extension(Enablement(users=("UR_1",), groups=("GR_1",)))) is None
    assert install.left_as_sealed(found, session(), extension(enabled, installed=False)) is None
    assert install.left_as_sealed(found, session(), None) is None
