"""`qxo plan` against a brand behind a private CA: trusted only through the context's `ca_bundle`."""

from __future__ import annotations

import asyncio
import json
import ssl
import sys

import pytest
import trustme
import yaml

from qxo.sandbox.brand import BrandSandbox


@pytest.fixture
async def tls_brand(tmp_path):
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    sandbox = BrandSandbox(str(tmp_path / "brand.db"))
    await sandbox.start(ssl_context=server_context)
    yield sandbox
    await sandbox.stop()


async def qxo_plan(tmp_path, context: dict) -> tuple[int, str]:
    (tmp_path / "ctx.json").write_text(json.dumps(context))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "qxo", "plan", "-f", str(tmp_path / "m"), "--brand-context", str(tmp_path / "ctx.json"),
        "--allow-endpoint", "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_a_private_brand_is_planned_with_the_context_ca_bundle(tls_brand, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "brand.yaml").write_text(yaml.safe_dump({
        "apiVersion": "qxo.dev/v1alpha1", "kind": "QualtricsBrand", "metadata": {"name": "acme", "namespace": "q"},
        "spec": {"brandId": "acme", "baseURL": tls_brand.base_url,
                 "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "t"}}}}))
    context = {"base_url": tls_brand.base_url, "brand_id": "acme", "token": tls_brand.admin_token}
    code, out = await qxo_plan(tmp_path, context)
    assert code == 1 and "cannot reach the brand" in out and "ca_bundle" in out
    code, out = await qxo_plan(tmp_path, {**context, "ca_bundle": "ca.pem"})
    assert code == 0, out
    assert "No changes" in out and tls_brand.admin_token not in out
