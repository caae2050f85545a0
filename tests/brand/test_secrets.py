"""No token or credential value in logs, errors, reprs, responses or the audit log."""

from __future__ import annotations

import json
import logging

import pytest
from brandkit import ADMIN, audit, fast_config, set_faults

from qxo.qualtrics import BrandClient, errors

SECRET = "s3cr3t-credential-value"


async def test_credentials_and_tokens_never_reach_logs_errors_or_the_audit_log(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    token = sandbox.tokens[ADMIN]
    config = fast_config(sandbox, max_attempts=3)
    async with BrandClient(config) as brand:
        await brand.install("slack")
        account = await brand.create_account("slack", "bot", {"password": SECRET})
        await brand.update_account(account.id, credentials={"password": SECRET + "-2"})
        await set_faults(sandbox, {"503": 1.0})
        with pytest.raises(errors.Unavailable) as failed:
            await brand.update_account(account.id, credentials={"password": SECRET + "-3"})
        await set_faults(sandbox, {})
        with pytest.raises(errors.Invalid) as refused:
            await brand.create_account("slack", "bad", {"password": SECRET, "nested": {"x": SECRET}})
        conn = await brand.create_salesforce_connection(
            account.creator_id, name="o", environment="Production", instance_url="https://o.my.salesforce.com",
            org_id="00D000000000001", credentials={"refreshToken": SECRET})
        await brand.delete_salesforce_connection(account.creator_id, conn.id)
    log = await audit(sandbox)
    texts = {
        "logs": caplog.text, "errors": f"{failed.value!s} {failed.value!r} {refused.value!s} {refused.value!r}",
        "config": repr(config) + str(config), "client": repr(brand), "audit": json.dumps(log),
    }
    for where, text in texts.items():
        assert SECRET not in text, where
        assert token not in text, where
    redacted = [e["request"] for e in log["entries"] if e["method"] in ("POST", "PATCH") and e.get("request")]
    assert redacted and all(set(r["credentials"].values()) == {"***"} for r in redacted if "credentials" in r)
    assert log["totals"]["writes"] >= 6


async def test_oauth_secret_and_access_token_stay_out_of_reprs_and_logs(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = sandbox.oauth_clients[ADMIN]
    config = fast_config(sandbox, api_token=None, oauth_client_id=client["client_id"],
                         oauth_client_secret=client["client_secret"])
    async with BrandClient(config) as brand:
        await brand.whoami()
        access_token = brand._transport._auth._access_token
    assert access_token
    for text in (repr(config), str(config), caplog.text, json.dumps(await audit(sandbox))):
        assert client["client_secret"] not in text and access_token not in text
