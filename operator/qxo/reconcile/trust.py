"""What a qxo object may make the operator touch: only opted-in Secrets, only allowed endpoints.

Both are checked before anything is read or sent, and each refusal names the field that caused it,
so a tenant who may create qxo objects (and not read Secrets) cannot send an unrelated Secret, or
any credential, to a host of their choosing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qxo.kube.secrets import CREDENTIALS_LABEL, ReadForbidden, SecretData
from qxo.reconcile.keys import SECRET, ObjectKey
from qxo.reconcile.outcome import Refused, Waiting
from qxo.trust.endpoints import InvalidEndpoint, NotAllowed

if TYPE_CHECKING:
    from qxo.reconcile.protocol import Context


async def read_secret(ctx: Context, namespace: str, field: str, name: str) -> SecretData:
    """The Secret a ref names, if it exists and opted in; Waiting while absent, Refused when not labelled."""
    if ctx.secret_arriving(namespace, name):
        # The Secret watch is still listing: its event wakes us, where a GET now would cost a request per account.
        raise Waiting("WaitingForSecret", f"{field}: Secret {name} is not on the watch yet",
                      dependency=ObjectKey(SECRET, namespace, name))
    try:
        secret = await ctx.secrets.secret(namespace, name)
    except ReadForbidden as forbidden:
        # An install to finish, not a bug: say so, and look again at the next resync rather than retry hot.
        raise Waiting("WaitingForSecretAccess", f"{field}: Secret {name}: {forbidden}") from None
    if secret is None:
        raise Waiting("WaitingForSecret", f"{field}: Secret {name} does not exist yet")
    if not secret.opted_in:
        raise Refused("SecretNotLabelled", f'{field}: Secret {name} is not labelled {CREDENTIALS_LABEL}: "true"; '
                                           "qxo reads only Secrets that carry it (nothing was read or sent)")
    return secret


async def read_secret_keys(ctx: Context, namespace: str, field: str, name: str,
                           keys: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """The values of `keys` (each mapped to the field that names it) in the Secret a ref names, and its
    resourceVersion; Refused, naming that field, for a key missing or empty."""
    secret = await read_secret(ctx, namespace, field, name)
    for key, key_field in keys.items():
        if not secret.values.get(key):
            raise Refused("SecretKeyMissing", f"{key_field}: Secret {name} has no key {key!r}")
    return {key: secret.values[key] for key in keys}, secret.resource_version


async def read_ca_bundle(ctx: Context, namespace: str, ref: Any) -> str:
    """The PEM text a caBundleRef names, from a ConfigMap or a Secret."""
    if str(ref.kind) == "Secret":
        data = (await read_secret(ctx, namespace, "spec.caBundleRef", ref.name)).values
    else:
        try:
            data = await ctx.secrets.config_map(namespace, ref.name)
        except ReadForbidden as forbidden:
            raise Waiting("WaitingForCABundleAccess", f"spec.caBundleRef: ConfigMap {ref.name}: {forbidden}") from None
    if data is None:
        raise Waiting("WaitingForCABundle", f"spec.caBundleRef: {ref.kind} {ref.name} does not exist yet")
    if not data.get(ref.key):
        raise Refused("CABundleKeyMissing", f"spec.caBundleRef.key: {ref.kind} {ref.name} has no key {ref.key!r}")
    return data[ref.key]


def check_endpoint(ctx: Context, field: str, url: str, service: str) -> None:
    """Refuse, naming `field`, a URL the operator's allowlist does not allow for `service` (before any Secret
    is read): a brand's endpoint must be Qualtrics' or the administrator's, a link's Salesforce's or theirs."""
    try:
        ctx.allowlist.for_service(service).check_url(url)
    except InvalidEndpoint as error:
        raise Refused("InvalidEndpoint", f"{field}: {error}") from None
    except NotAllowed as error:
        raise Refused("EndpointNotAllowed", f"{field}: {error}") from None
