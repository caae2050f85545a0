"""What a qxo object may make the operator touch: only opted-in Secrets, only allowed endpoints.

Both are checked before anything is read or sent, and each refusal names the field that caused it,
so a tenant who may create qxo objects (and not read Secrets) cannot send an unrelated Secret, or
any credential, to a host of their choosing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qxo.kube.secrets import CREDENTIALS_LABEL, ReadForbidden, SecretData
from qxo.reconcile.outcome import Refused, Waiting
from qxo.trust.endpoints import InvalidEndpoint, NotAllowed

if TYPE_CHECKING:
    from qxo.reconcile.runtime import Runtime


async def read_secret(rt: Runtime, namespace: str, field: str, name: str) -> SecretData:
    """The Secret a ref names, if it exists and opted in; Waiting while absent, Refused when not labelled."""
    try:
        secret = await rt.secrets.secret(namespace, name)
    except ReadForbidden as forbidden:
        # An install to finish, not a bug: say so, and look again at the next resync rather than retry hot.
        raise Waiting("WaitingForSecretAccess", f"{field}: Secret {name}: {forbidden}") from None
    if secret is None:
        raise Waiting("WaitingForSecret", f"{field}: Secret {name} does not exist yet")
    if not secret.opted_in:
        raise Refused("SecretNotLabelled", f'{field}: Secret {name} is not labelled {CREDENTIALS_LABEL}: "true"; '
                                           "qxo reads only Secrets that carry it (nothing was read or sent)")
    return secret


def check_endpoint(rt: Runtime, field: str, url: str, service: str) -> None:
    """Refuse, naming `field`, a URL the operator's allowlist does not allow for `service` (before any Secret
    is read): a brand's endpoint must be Qualtrics' or the administrator's, a link's Salesforce's or theirs."""
    try:
        rt.allowlist.for_service(service).check_url(url)
    except InvalidEndpoint as error:
        raise Refused("InvalidEndpoint", f"{field}: {error}") from None
    except NotAllowed as error:
        raise Refused("EndpointNotAllowed", f"{field}: {error}") from None
