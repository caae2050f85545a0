"""`qxo export` against the brand sandbox: manifests that validate, adopt by external id, carry no credential
value, and round-trip through `qxo plan` to "no changes"."""

from __future__ import annotations

import yaml
from gitopskit import OPS, SETUP_SECRET_VALUES, qxo

from qxo.qualtrics import Access, Enablement


async def existing_brand(client):
    """A brand set up by hand before qxo: what a team brings under management."""
    users = {u.username: u.id for u in await client.users()}
    groups = {g.name: g.id for g in await client.groups()}
    await client.install("servicenow")
    await client.put_enablement("servicenow", Enablement(all_users=True))
    await client.install("sms-sinch-livelink", accept_terms=True, preview_opt_in=True)
    await client.install("whatsapp-twilio", accept_terms=True)
    await client.put_domains("whatsapp-twilio", ["https://api.twilio.com", "https://*.twilio.example:*"])
    await client.put_enablement("whatsapp-twilio", Enablement(users=(users["ben.okafor@acme.example"],),
                                                              groups=(groups["Support Leads"],)))
    desk = await client.create_account("servicenow", "Support desk", {"username": "svc", "password": "s3cr3t-desk"})
    await client.put_access(desk.id, Access.of(groups=[(groups["CX Analysts"], "Owner")],
                                               users=[(users["chen.wei@acme.example"], "User")]))
    sinch = await client.create_account("sms-sinch-livelink", "Alerts", {"apiKey": "s3cr3t-sinch"})
    await client.put_access(sinch.id, Access.of(all_users=True))
    twilio = await client.create_account("whatsapp-twilio", "Alerts", {"sid": "AC1", "token": "s3cr3t-twilio"})
    return {"desk": desk.id, "sinch": sinch.id, "twilio": twilio.id}


EXPORT_SECRETS = ("s3cr3t-desk", "s3cr3t-sinch", "s3cr3t-twilio", "s3cr3t-ops-account")


def export(brand, *extra):
    return qxo("export", "--brand-context", str(brand.context), "--namespace", "acme-prod", *extra)


def documents(directory, name):
    return [d for d in yaml.safe_load_all((directory / name).read_text()) if d]


def test_export_validates_and_plans_to_no_change(brand, tmp_path):
    ids = brand.call(existing_brand)

    async def ops_account(client):  # someone else's account, with access the operator leaves as it is
        account = await client.create_account("servicenow", "Ops escalations", {"password": "s3cr3t-ops-account"})
        await client.put_access(account.id, Access.of(users=[((await client.whoami()).user_id, "Owner")]))
    brand.call(ops_account, user=OPS)
    before = len(brand.audit())
    out = tmp_path / "exported"
    run = export(brand, "-o", str(out))
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == ["00-brand.yaml", "10-installs.yaml", "20-accounts.yaml",
                                                     "30-grants.yaml"]
    validated = qxo("validate", str(out))
    assert validated.code == 0, validated.out
    planned = qxo("plan", "-f", str(out), "--brand-context", str(brand.context))
    assert planned.code == 0, planned.out + planned.err
    assert planned.out.endswith("No changes: the brand matches the manifests.\n")
    assert planned.out.count(": no changes\n") == 3 + 4 + 3
    assert brand.writes(since=before) == []
    texts = [run.out, run.err, planned.out, planned.err] + [p.read_text() for p in out.iterdir()]
    for secret in (*brand.secrets(), *EXPORT_SECRETS, *SETUP_SECRET_VALUES):
        assert not any(secret in text for text in texts)

    installs = {d["metadata"]["name"]: d["spec"] for d in documents(out, "10-installs.yaml")}
    assert installs["servicenow"] == {"brandRef": {"name": "acme"}, "extensionId": "servicenow",
                                      "enablement": {"allUsers": True}, "deletionPolicy": "Orphan"}
    assert installs["sms-sinch-livelink"]["previewOptIn"] is True and "domains" not in installs["sms-sinch-livelink"]
    assert installs["whatsapp-twilio"]["domains"] == ["https://*.twilio.example:*", "https://api.twilio.com"]
    assert installs["whatsapp-twilio"]["enablement"] == {"users": ["ben.okafor@acme.example"],
                                                         "groups": ["Support Leads"]}

    accounts = documents(out, "20-accounts.yaml")
    secrets = {d["metadata"]["name"]: d["stringData"] for d in accounts if d["kind"] == "Secret"}
    assert secrets == {"alerts-credentials": {"apiKey": ""}, "alerts-2-credentials": {"sid": "", "token": ""},
                       "support-desk-credentials": {"password": "", "username": ""},
                       "ops-escalations-credentials": {"password": ""}}
    adopted = {d["metadata"]["name"]: d["metadata"]["annotations"]["qxo.dev/external-id"]
               for d in accounts if d["kind"] == "ExtensionAccount"}
    assert adopted["alerts"] == ids["sinch"] and adopted["alerts-2"] == ids["twilio"]
    assert adopted["support-desk"] == ids["desk"]

    grants = {d["metadata"]["name"]: d["spec"] for d in documents(out, "30-grants.yaml")}
    assert sorted(grants) == ["alerts", "ops-escalations", "support-desk"]  # alerts-2: nobody has access
    assert grants["support-desk"]["groups"] == [{"group": "CX Analysts", "access": "Owner"}]
    assert grants["alerts"]["allUsers"] == {"access": "User"}
    assert grants["ops-escalations"]["users"] == [{"user": OPS, "access": "Owner"}]

    brand_docs = documents(out, "00-brand.yaml")
    assert brand_docs[0]["stringData"] == {"token": ""}
    # The operator reads only Secrets that opt in: every placeholder carries the label, ready to fill.
    placeholders = [d for d in (*accounts, *brand_docs) if d["kind"] == "Secret"]
    assert len(placeholders) == 5
    assert all(d["metadata"]["labels"] == {"qxo.dev/credentials": "true"} for d in placeholders)
    assert brand_docs[1]["spec"]["baseURL"] == brand.sandbox.base_url


def test_export_is_deterministic_and_plans_drift_made_after_it(brand, tmp_path):
    brand.call(existing_brand)
    first, second = export(brand), export(brand)
    assert first.code == 0 and first.out == second.out
    for secret in (*brand.secrets(), *EXPORT_SECRETS):
        assert secret not in first.out + first.err
    assert [d["kind"] for d in yaml.safe_load_all(first.out) if d][:2] == ["Secret", "QualtricsBrand"]
    out = tmp_path / "exported"
    export(brand, "-o", str(out))

    async def ui_edit(client):
        await client.put_domains("whatsapp-twilio", ["https://api.twilio.com"])
    brand.call(ui_edit, user=OPS)
    planned = qxo("plan", "-f", str(out), "--brand-context", str(brand.context))
    assert planned.code == 2
    assert "~ ExtensionInstall acme-prod/whatsapp-twilio (update)\n    + domain https://*.twilio.example:*\n" \
        in planned.out


def test_export_of_an_empty_brand_is_just_the_brand(brand, tmp_path):
    out = tmp_path / "exported"
    assert export(brand, "-o", str(out), "--brand-name", "acme-eu").code == 0
    assert sorted(p.name for p in out.iterdir()) == ["00-brand.yaml"]
    assert [d["metadata"]["name"] for d in documents(out, "00-brand.yaml")] == ["acme-eu-api-token", "acme-eu"]
    assert brand.writes() == []


def test_export_refuses_bad_names_and_incomplete_contexts(brand, tmp_path):
    run = export(brand, "--brand-name", "Acme EU")
    assert run.code == 1 and "--brand-name" in run.err
    assert qxo("export", "--brand-context", str(brand.context), "--namespace", "Bad_NS").code == 1
    partial = tmp_path / "partial.json"
    partial.write_text('{"token": "abc12345"}')
    run = qxo("export", "--brand-context", str(partial))
    assert run.code == 1 and "base_url" in run.err and "abc12345" not in run.err
    assert brand.audit() == []


def test_an_adopted_account_renamed_in_the_brand_is_renamed_back(brand, tmp_path):
    ids = brand.call(existing_brand)
    out = tmp_path / "exported"
    assert export(brand, "-o", str(out)).code == 0

    async def ui_rename(client):
        await client.update_account(ids["desk"], name="Helpdesk (old)")
    brand.call(ui_rename)
    before = len(brand.audit())
    planned = qxo("plan", "-f", str(out), "--brand-context", str(brand.context), "-o", "json")
    assert planned.code == 2
    changed = [r for r in planned.json()["resources"] if r["changes"]]
    assert [(r["kind"], r["name"], r["action"]) for r in changed] == [("ExtensionAccount", "support-desk", "update")]
    assert changed[0]["changes"] == [{"op": "update", "field": "displayName",
                                      "value": {"from": "Helpdesk (old)", "to": "Support desk"},
                                      "description": "rename account 'Helpdesk (old)' -> 'Support desk'"}]
    assert brand.writes(since=before) == []


def test_an_adopted_account_missing_from_the_brand_is_refused(brand, tmp_path):
    ids = brand.call(existing_brand)
    out = tmp_path / "exported"
    assert export(brand, "-o", str(out)).code == 0

    async def ui_delete(client):
        await client.delete_account(ids["desk"])
    brand.call(ui_delete)
    planned = qxo("plan", "-f", str(out), "--brand-context", str(brand.context))
    assert planned.code == 1
    assert f"! ExtensionAccount acme-prod/support-desk: refused (ExternalObjectNotFound): " \
           f"metadata.annotations[qxo.dev/external-id]: the brand has no account '{ids['desk']}' to adopt\n" \
        in planned.out
    assert "? AccountGrant acme-prod/support-desk: blocked" in planned.out
