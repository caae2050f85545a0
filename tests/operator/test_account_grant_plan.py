"""plan() for ExtensionAccount and AccountGrant, as tables."""

from datetime import UTC, datetime

import pytest

from qxo.qualtrics.models import Access, Account, Identity
from qxo.reconcile import account as accounts
from qxo.reconcile import grant as grants
from qxo.reconcile.outcome import Refused

NOW = datetime.now(UTC)
V1 = accounts.SecretVersion("creds", "100")
V2 = accounts.SecretVersion("creds", "101")
CREDS = accounts.Credentials(V2, {"password": "s3cr3t-value"})


def acct(**overrides) -> Account:
    fields = dict(id="AC_1", extension_id="webservice", name="Ticketing", creator_id="UR_op", owners=("UR_op",),
                  created_at=NOW, updated_at=NOW, credentials_updated_at=NOW, access=Access())
    fields.update(overrides)
    return Account(**fields)


def test_missing_account_is_created_with_a_stable_request_id():
    first = accounts.plan(extension_id="webservice", name="Ticketing", credentials=CREDS, account=None,
                          applied=None, uid="uid-1", previous_id=None)
    again = accounts.plan(extension_id="webservice", name="Ticketing", credentials=CREDS, account=None,
                          applied=None, uid="uid-1", previous_id=None)
    assert len(first) == 1 and isinstance(first[0], accounts.CreateAccount)
    assert first == again  # a retry after a lost response replays the same create
    recreate = accounts.plan(extension_id="webservice", name="Ticketing", credentials=CREDS, account=None,
                             applied=V2, uid="uid-1", previous_id="AC_gone")
    assert recreate[0].client_request_id != first[0].client_request_id


@pytest.mark.parametrize(("account", "applied", "expected"), [
    (acct(), V2, ()),
    (acct(), V1, (accounts.RotateCredentials("AC_1", CREDS),)),
    (acct(), None, (accounts.RotateCredentials("AC_1", CREDS),)),
    (acct(name="Old"), V2, (accounts.RenameAccount("AC_1", "Ticketing"),)),
], ids=["in sync", "secret rotated", "adopted: credentials unknown", "renamed in the UI"])
def test_account_plan(account, applied, expected):
    assert accounts.plan(extension_id="webservice", name="Ticketing", credentials=CREDS, account=account,
                         applied=applied, uid="uid-1", previous_id=None) == expected


def test_no_credential_value_in_any_action_text():
    actions = accounts.plan(extension_id="webservice", name="Ticketing", credentials=CREDS, account=None,
                            applied=None, uid="u", previous_id=None)
    actions += (accounts.RotateCredentials("AC_1", CREDS),)
    for action in actions:
        assert "s3cr3t-value" not in action.describe()
        assert "s3cr3t-value" not in repr(action)


OPERATOR = Identity(brand_id="acme", user_id="UR_op", user_name="admin@acme.example", account_type="BrandAdmin")


def test_grant_plan_sets_exactly_the_declared_entries_and_reports_removals():
    desired = Access.of(users=[("UR_ana", "User")], groups=[("GR_cx", "Owner")])
    observed = acct(access=Access.of(users=[("UR_ana", "User"), ("UR_ui", "Owner")]))
    (action,) = grants.plan(desired, observed, OPERATOR)
    assert action.access == desired
    assert action.added == ("group:GR_cx=Owner",)
    assert action.removed == ("user:UR_ui=Owner",)


def test_grant_plan_is_empty_when_in_sync():
    desired = Access.of(all_users=True, users=[("UR_ana", "Owner")])
    assert grants.plan(desired, acct(access=desired), OPERATOR) == ()


def test_only_an_owner_or_the_creator_may_change_access():
    stranger_account = acct(creator_id="UR_other", owners=("UR_other",))
    with pytest.raises(Refused) as refused:
        grants.plan(Access.of(users=[("UR_ana", "User")]), stranger_account, OPERATOR)
    assert refused.value.reason == "NotOwnerOrCreator"
    owner_not_creator = acct(creator_id="UR_other", owners=("UR_other", "UR_op"))
    assert grants.plan(Access.of(users=[("UR_ana", "User")]), owner_not_creator, OPERATOR)


def test_grant_removal_revokes_every_entry():
    (action,) = grants.plan_removal(acct(access=Access.of(all_users=True)), OPERATOR)
    assert action.access == Access()
    assert grants.plan_removal(acct(access=Access()), OPERATOR) == ()


LATER = NOW.replace(year=NOW.year + 1)
STAMPED = accounts.SecretVersion("creds", "101", brand_stamp=NOW)


def test_credentials_changed_outside_qxo_are_sent_again_without_showing_them():
    # Same Secret version as the brand had, but the brand's credentialsUpdatedAt moved: someone edited them.
    (action,) = accounts.plan(extension_id="webservice", name="Ticketing", credentials=CREDS,
                              account=acct(credentials_updated_at=LATER), applied=STAMPED, uid="u", previous_id=None)
    assert action == accounts.RestoreCredentials("AC_1", CREDS, LATER)
    assert "changed in the brand outside qxo" in action.describe()
    assert "s3cr3t-value" not in action.describe() + repr(action)
    assert accounts.plan(extension_id="webservice", name="Ticketing", credentials=CREDS, account=acct(),
                         applied=STAMPED, uid="u", previous_id=None) == ()


def test_the_stamp_is_not_part_of_the_version():
    assert STAMPED == V2 and accounts.changed_outside(acct(), V2) is None


OTHER = "UR_other"


def test_owner_access_through_a_group_lets_the_operator_change_access():
    through_group = acct(creator_id=OTHER, owners=(OTHER,), access=Access.of(groups=[("GR_leads", "Owner")]))
    desired = Access.of(groups=[("GR_leads", "Owner")], users=[("UR_ana", "User")])
    with pytest.raises(Refused):
        grants.plan(desired, through_group, OPERATOR)
    (action,) = grants.plan(desired, through_group, OPERATOR, frozenset({"GR_leads"}))
    assert action.access == desired and not action.kept_own_access


def test_the_operator_never_removes_its_own_way_to_manage_an_account_it_did_not_create():
    adopted = acct(creator_id=OTHER, owners=(OTHER, "UR_op"),
                   access=Access.of(users=[("UR_op", "Owner"), ("UR_ui", "User")]))
    (action,) = grants.plan(Access.of(users=[("UR_ana", "User")]), adopted, OPERATOR)
    assert action.kept_own_access
    assert action.access == Access.of(users=[("UR_ana", "User"), ("UR_op", "Owner")])
    assert action.removed == ("user:UR_ui=User",)
    # Declared as a mere user: kept as an owner all the same.
    (downgrade,) = grants.plan(Access.of(users=[("UR_op", "User")]), adopted, OPERATOR)
    assert downgrade.access == Access.of(users=[("UR_op", "Owner")])
    # Ownership through a group the spec keeps needs no entry of its own.
    via_group = acct(creator_id=OTHER, owners=(OTHER,), access=Access.of(groups=[("GR_leads", "Owner")]))
    assert grants.plan(Access.of(groups=[("GR_leads", "Owner")]), via_group, OPERATOR, frozenset({"GR_leads"})) == ()
    (dropped,) = grants.plan(Access.of(all_users=True), via_group, OPERATOR, frozenset({"GR_leads"}))
    assert dropped.access == Access.of(all_users=True, users=[("UR_op", "Owner")]) and dropped.kept_own_access


def test_removal_keeps_the_operators_own_access_on_accounts_it_did_not_create():
    adopted = acct(creator_id=OTHER, owners=(OTHER, "UR_op"),
                   access=Access.of(all_users=True, users=[("UR_op", "Owner")]))
    (action,) = grants.plan_removal(adopted, OPERATOR)
    assert action.access == Access.of(users=[("UR_op", "Owner")]) and action.removed == ("allUsers=User",)
    assert grants.plan_removal(acct(creator_id=OTHER, owners=(OTHER, "UR_op"),
                                    access=Access.of(users=[("UR_op", "Owner")])), OPERATOR) == ()


def test_an_observation_older_than_qxos_own_send_is_not_drift():
    earlier = NOW.replace(year=NOW.year - 1)
    assert accounts.changed_outside(acct(credentials_updated_at=earlier), STAMPED) is None
    assert accounts.changed_outside(acct(credentials_updated_at=LATER), STAMPED) == LATER
