"""QualtricsBrand: connect with the referenced credentials, check who we are, and own the shared observation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pydantic

from qxo.api.brand import CredentialsType, QualtricsBrandSpec
from qxo.kube.secrets import ReadForbidden
from qxo.qualtrics import BrandClient, BrandConfig, errors
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Refused, Waiting
from qxo.reconcile.session import BrandSession, BrandState
from qxo.reconcile.trust import check_endpoint, read_secret

if TYPE_CHECKING:
    from qxo.reconcile.runtime import Runtime

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration such as `10m` or `1h30m`."""
    parts = _DURATION_PART.findall(text or "")
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def resync_seconds(body: Mapping[str, Any]) -> float:
    try:
        return max(parse_duration((body.get("spec") or {}).get("resyncInterval") or "10m"), 1.0)
    except ValueError:
        return 600.0


def endpoint_of(spec: QualtricsBrandSpec) -> tuple[str, str]:
    """The field that says where the brand is, and the URL it means."""
    if spec.base_url:
        return "spec.baseURL", str(spec.base_url)
    return "spec.datacenter", f"https://{spec.datacenter}.qualtrics.com"


async def _secret_value(rt: Runtime, namespace: str, field: str, name: str, key: str) -> tuple[str, str]:
    secret = await read_secret(rt, namespace, field, name)
    if not secret.values.get(key):
        raise Refused("SecretKeyMissing", f"{field}.key: Secret {name} has no key {key!r}")
    return secret.values[key], secret.resource_version


async def _config(rt: Runtime, key: ObjectKey, spec: QualtricsBrandSpec) -> tuple[BrandConfig, tuple]:
    credentials = spec.credentials
    secrets: dict[str, Any] = {}
    versions: list[str] = []
    if credentials.type is CredentialsType.API_TOKEN:
        ref = credentials.api_token_secret_ref
        token, version = await _secret_value(rt, key.namespace, "spec.credentials.apiTokenSecretRef", ref.name, ref.key)
        secrets["api_token"] = token
        versions.append(version)
    else:
        ref = credentials.oauth_client_secret_ref
        field = "spec.credentials.oauthClientSecretRef"
        client_id, version = await _secret_value(rt, key.namespace, field, ref.name, ref.client_id_key)
        client_secret, _ = await _secret_value(rt, key.namespace, field, ref.name, ref.client_secret_key)
        secrets.update(oauth_client_id=client_id, oauth_client_secret=client_secret)
        if credentials.scopes:
            secrets["oauth_scopes"] = tuple(credentials.scopes)
        versions.append(version)
    ca_bundle = None
    if spec.ca_bundle_ref is not None:
        ca_bundle = await ca_bundle_pem(rt, key.namespace, spec.ca_bundle_ref)
    try:
        config = BrandConfig(
            base_url=str(spec.base_url) if spec.base_url else None,
            datacenter=spec.datacenter,
            brand_id=spec.brand_id,
            requests_per_minute=spec.rate_limit.requests_per_minute,
            ca_bundle=rt.ca_files.file_for(ca_bundle, "spec.caBundleRef") if ca_bundle else None,
            allowlist=rt.allowlist,
            **secrets,
        )
    except pydantic.ValidationError as invalid:
        # What the client cannot use (a path, a port out of range): refused, naming the spec's field.
        message = str(invalid.errors()[0]["msg"]).removeprefix("Value error, ")
        for client_field, spec_field in (("base_url:", "spec.baseURL:"), ("datacenter:", "spec.datacenter:")):
            message = message.replace(client_field, spec_field, 1)
        raise Refused("InvalidSpec", message if message.startswith("spec.") else f"spec: {message}") from None
    fingerprint = (spec.model_dump_json(), tuple(versions), ca_bundle)
    return config, fingerprint


async def ca_bundle_pem(rt: Runtime, namespace: str, ref: Any) -> str:
    """The PEM text a caBundleRef names, from a ConfigMap or a Secret."""
    if str(ref.kind) == "Secret":
        data = (await read_secret(rt, namespace, "spec.caBundleRef", ref.name)).values
    else:
        try:
            data = await rt.secrets.config_map(namespace, ref.name)
        except ReadForbidden as forbidden:
            raise Waiting("WaitingForCABundleAccess", f"spec.caBundleRef: ConfigMap {ref.name}: {forbidden}") from None
    if data is None:
        raise Waiting("WaitingForCABundle", f"spec.caBundleRef: {ref.kind} {ref.name} does not exist yet")
    if not data.get(ref.key):
        raise Refused("CABundleKeyMissing", f"spec.caBundleRef.key: {ref.kind} {ref.name} has no key {ref.key!r}")
    return data[ref.key]


async def connect(rt: Runtime, key: ObjectKey, spec: QualtricsBrandSpec) -> BrandSession:
    """The brand's session, rebuilt (and whoami checked) whenever the spec or the Secret changed.

    The endpoint is checked before any Secret is read: a refused one gets nothing, not even a connection.
    """
    field, url = endpoint_of(spec)
    check_endpoint(rt, field, url, "qualtrics")
    config, fingerprint = await _config(rt, key, spec)
    session = rt.sessions.get(key)
    if session is not None and session.fingerprint == fingerprint:
        return session
    client = rt.client_factory(config) if rt.client_factory else BrandClient(config)
    try:
        identity = await client.whoami()
    except errors.EndpointRefused as refused:
        await client.close()
        raise Refused(refused.reason, f"{field}: {refused.message}") from None
    except errors.AuthenticationFailed as denied:
        await client.close()
        why = denied.error_code or denied.status
        raise Refused("AuthenticationFailed", f"spec.credentials: the brand refused them ({why})") from None
    except BaseException:
        await client.close()
        raise
    if identity.brand_id != spec.brand_id:
        await client.close()
        raise Refused("BrandMismatch",
                      f"spec.brandId: the credentials belong to brand {identity.brand_id!r}, not {spec.brand_id!r}")
    client.share_rate_limit()  # authenticated, and for this brand: its rate may now count for everyone
    session = BrandSession(client, identity, fingerprint)
    await rt.replace_session(key, session)
    return session


def status_of(session: BrandSession, state: BrandState) -> dict[str, Any]:
    identity = session.identity
    status: dict[str, Any] = {
        "identity": {
            "userId": identity.user_id,
            "userName": identity.user_name,
            "brandId": identity.brand_id,
            "accountType": identity.account_type,
            **({"datacenter": identity.datacenter_id} if identity.datacenter_id else {}),
        },
        "observed": {
            "installedExtensions": sum(1 for e in state.extensions.values() if e.installed),
            "accounts": len(state.accounts),
        },
    }
    if session.observed_time is not None:
        status["lastObservedTime"] = session.observed_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    return status
