"""Where plan may send the brand token, and every way of failing before or while reaching the brand: exit 1,
one clear line, never the token."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
import yaml
from gitopskit import qxo

from qxo.gitops.context import GitopsError, ReadOnlyBrandClient, WriteRefused, brand_config, load_context
from qxo.trust.endpoints import Allowlist


def plan(manifests, *extra):
    return qxo("plan", "-f", str(manifests), *extra)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pointing_at(url):
    def edit(document):
        if document["kind"] == "QualtricsBrand":
            document["spec"]["baseURL"] = url
    return edit


def test_the_token_is_never_sent_where_the_context_does_not_say_the_brand_is(brand):
    run = plan(brand.examples(pointing_at("http://127.0.0.1:9")), "--brand-context", str(brand.context))
    assert run.code == 1
    assert "spec.baseURL" in run.err and "refusing to send the token" in run.err
    assert brand.audit() == []


def test_an_unreachable_brand_exits_1(brand, tmp_path):
    url = f"http://127.0.0.1:{closed_port()}"
    context = tmp_path / "down.json"
    context.write_text(json.dumps({"base_url": url, "brand_id": "acme", "token": brand.sandbox.admin_token}))
    run = plan(brand.examples(pointing_at(url)), "--brand-context", str(context), "-o", "json")
    assert run.code == 1
    assert run.json()["exitCode"] == 1 and "cannot reach the brand" in run.json()["error"]
    assert brand.sandbox.admin_token not in run.out


def test_a_refused_token_exits_1_without_echoing_it(brand, tmp_path):
    context = tmp_path / "wrong.json"
    context.write_text(json.dumps({"base_url": brand.sandbox.base_url, "brand_id": "acme",
                                   "token": "not-a-real-token-0123456789"}))
    run = plan(brand.examples(), "--brand-context", str(context))
    assert run.code == 1 and "refused the token" in run.err
    assert "not-a-real-token-0123456789" not in run.out + run.err


def test_the_token_can_come_from_the_environment(brand, monkeypatch):
    monkeypatch.setenv("QXO_BRAND_TOKEN", brand.sandbox.admin_token)
    run = plan(brand.examples())
    assert run.code == 2, run.err
    monkeypatch.delenv("QXO_BRAND_TOKEN")
    run = plan(brand.examples())
    assert run.code == 1 and "QXO_BRAND_TOKEN" in run.err


def test_a_token_of_another_brand_is_refused(brand, monkeypatch):
    def other_brand(document):
        if document["kind"] == "QualtricsBrand":
            document["spec"]["brandId"] = "globex"
    monkeypatch.setenv("QXO_BRAND_TOKEN", brand.sandbox.admin_token)
    run = plan(brand.examples(other_brand))
    assert run.code == 1
    assert "spec.brandId: the token belongs to brand 'acme', not 'globex'" in run.err
    run = plan(brand.examples(other_brand), "--brand-context", str(brand.context))
    assert run.code == 1 and "spec.brandId" in run.err


def test_plan_needs_exactly_one_brand(brand, tmp_path):
    single = brand.examples()
    second = yaml_brand_copy(single / "01-brand.yaml", "acme-2")
    (single / "02-second-brand.yaml").write_text(second)
    run = plan(single, "--brand-context", str(brand.context))
    assert run.code == 1 and "exactly one QualtricsBrand" in run.err


def yaml_brand_copy(path, name):
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    brand = next(d for d in documents if d["kind"] == "QualtricsBrand")
    brand["metadata"]["name"] = name
    return yaml.safe_dump(brand)


@pytest.mark.parametrize("content, message", [
    ("not json", "is not a JSON document"),
    ("[1, 2]", "must hold a JSON object"),
    ('{"token": 42}', "token must be a string"),
    ('{"token": "abcdefgh", "brand_id": 7}', "brand_id must be a string"),
])
def test_a_bad_context_file_is_named(tmp_path, content, message):
    path = tmp_path / "ctx.json"
    path.write_text(content)
    with pytest.raises(GitopsError, match=message):
        load_context(str(path), environ={})


def test_context_reads_the_sandbox_credentials_file_and_hides_the_token(brand):
    context = load_context(str(brand.context), environ={})
    assert context.brand_id == "acme" and context.root_url() == brand.sandbox.base_url
    assert context.token.get_secret_value() == brand.sandbox.admin_token
    assert brand.sandbox.admin_token not in repr(context)


def test_the_read_only_client_refuses_every_write_before_any_request(brand):
    config = brand_config(load_context(str(brand.context), environ={}), base_url=brand.sandbox.base_url,
                          datacenter=None, brand_id="acme", allowlist=Allowlist.with_defaults(["127.0.0.1"]))

    async def attempt():
        async with ReadOnlyBrandClient(config) as client:
            for call in (client.install("webservice"), client.uninstall("webservice"),
                         client.put_domains("webservice", []), client.delete_account("EA_1"),
                         client.create_account("webservice", "x", {}), client.update_account("EA_1", name="y")):
                with pytest.raises(WriteRefused):
                    await call
    asyncio.run(attempt())
    assert brand.audit() == []
