"""Calls into one org through simple-salesforce, off the event loop, with the token kept fresh.

Every call: take a current token, run the blocking request in a thread, translate the failure
into a typed error, retry 5xx/timeouts/REQUEST_LIMIT_EXCEEDED with backoff, and on
INVALID_SESSION_ID refresh the token once and try again.

simple-salesforce (with zeep, lxml and jwt) is imported by the first call, not with this module:
the operator imports it at start whether or not any SalesforceLink exists.
"""

from __future__ import annotations

import asyncio
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from xml.sax.saxutils import escape

import requests

from qxo.salesforce.errors import (
    RequestLimitExceeded,
    SalesforceApiError,
    SalesforceError,
    SalesforceUnavailable,
    SessionExpired,
    TlsVerificationFailed,
    redact,
)
from qxo.salesforce.errors import (
    tls_message as _tls_message,
)
from qxo.salesforce.http import build_session
from qxo.salesforce.oauth import AccessToken
from qxo.salesforce.settings import ConnectionSettings
from qxo.salesforce.tokens import TokenHolder
from qxo.trust.remote_text import remote_code, remote_text

if TYPE_CHECKING:
    from simple_salesforce import Salesforce

log = logging.getLogger("qxo.salesforce.connection")
T = TypeVar("T")
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
METADATA_NS = "http://soap.sforce.com/2006/04/metadata"


class SalesforceConnection:
    """One org, one integration user: queries, describes, userinfo and Metadata API reads."""

    def __init__(self, settings: ConnectionSettings, *, tokens: TokenHolder | None = None):
        self.settings = settings
        self.session = build_session(settings.ca_bundle, settings.timeout_seconds, settings.allowlist)
        self.tokens = tokens or TokenHolder(settings, session=self.session)

    def __repr__(self) -> str:
        return f"SalesforceConnection(login={self.settings.login_base!r}, client_id={self.settings.client_id!r})"

    def close(self) -> None:
        self.session.close()

    async def query(self, soql: str) -> list[dict]:
        result = await self._call(lambda sf, _token: sf.query_all(soql))
        return [{k: v for k, v in record.items() if k != "attributes"} for record in result["records"]]

    async def describe(self, sobject: str) -> dict:
        return await self._call(lambda sf, _token: getattr(sf, sobject).describe())

    async def limits(self) -> dict:
        return await self._call(lambda sf, _token: sf.restful("limits"))

    async def userinfo(self) -> dict:
        def fetch(_sf, token: AccessToken) -> dict:
            response = self.session.get(f"{token.instance_url}/services/oauth2/userinfo", headers=_bearer(token))
            if response.status_code in (401, 403):
                raise SessionExpired(f"userinfo refused the access token (HTTP {response.status_code})")
            _raise_for_status(response)
            return response.json()

        return await self._call(fetch)

    async def read_metadata(self, metadata_type: str, full_name: str) -> ET.Element | None:
        """Metadata API readMetadata of one component; None when the org has no such component."""

        def fetch(_sf, token: AccessToken) -> ET.Element | None:
            url = f"{token.instance_url}/services/Soap/m/{self.settings.api_version}"
            body = _read_metadata_envelope(token.access_token, metadata_type, full_name)
            response = self.session.post(
                url, data=body.encode(), headers={"Content-Type": "text/xml", "SOAPAction": '""'}
            )
            root = _parse_soap(response)
            for records in root.iter(f"{{{METADATA_NS}}}records"):
                if records.find(f"{{{METADATA_NS}}}fullName") is not None:
                    return records
            return None

        return await self._call(fetch)

    async def _call(self, fetch: Callable[[Salesforce, AccessToken], T]) -> T:
        retried_session = False
        attempt = 0
        while True:
            token = await self.tokens.current()
            try:
                return await asyncio.to_thread(self._run, fetch, token)
            except SessionExpired:
                if retried_session:
                    raise
                retried_session = True
                log.info("Salesforce reported INVALID_SESSION_ID; refreshing the access token once")
                await self.tokens.refresh(stale=token)
            except (SalesforceUnavailable, RequestLimitExceeded) as error:
                attempt += 1
                if attempt >= self.settings.retry.attempts:
                    raise
                delay = self.settings.retry.delay(attempt - 1)
                log.warning("Salesforce call failed (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)

    def _run(self, fetch: Callable[[Salesforce, AccessToken], T], token: AccessToken) -> T:
        import simple_salesforce
        from simple_salesforce.exceptions import SalesforceError as LibraryError

        sf = simple_salesforce.Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token,
            session=self.session,
            version=self.settings.api_version,
        )
        secrets = (*self.settings.secrets, token.access_token)
        try:
            return fetch(sf, token)
        except LibraryError as error:
            raise _translate(error.status, error.content, secrets) from None
        except requests.exceptions.SSLError as error:
            raise TlsVerificationFailed(_tls_message(error)) from None
        except requests.RequestException as error:
            raise SalesforceUnavailable(redact(f"{type(error).__name__}: {error}", secrets)) from None
        except SalesforceError as error:
            # Built here from server text: scrub before it travels.
            error.args = tuple(redact(str(a), secrets) for a in error.args)
            raise


def _bearer(token: AccessToken) -> dict:
    return {"Authorization": f"Bearer {token.access_token}", "Accept": "application/json"}


def _translate(status: int, content: Any, secrets) -> SalesforceError:
    code, message = "UNKNOWN_ERROR", ""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        code = remote_code(content[0].get("errorCode"), code)
        message = str(content[0].get("message", ""))
    elif content:
        message = str(content)[:1000]
    # Server text reaches status through check messages: secrets masked, then one bounded printable line.
    message = remote_text(redact(message, secrets))
    if status == 401 or code == "INVALID_SESSION_ID":
        return SessionExpired(message or "Session expired or invalid", status)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return RequestLimitExceeded(f"REQUEST_LIMIT_EXCEEDED: {message}")
    if status >= 500 or status == 429:
        return SalesforceUnavailable(f"HTTP {status}: {code} {message}".strip())
    return SalesforceApiError(code, message, status)


def _raise_for_status(response: requests.Response) -> None:
    if response.status_code >= 300:
        try:
            content = response.json()
        except ValueError:
            content = response.text
        raise _translate(response.status_code, content, ())


def _read_metadata_envelope(session_id: str, metadata_type: str, full_name: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:met="{METADATA_NS}">'
        f"<soapenv:Header><met:SessionHeader><met:sessionId>{escape(session_id)}</met:sessionId>"
        f"</met:SessionHeader></soapenv:Header>"
        f"<soapenv:Body><met:readMetadata><met:type>{escape(metadata_type)}</met:type>"
        f"<met:fullNames>{escape(full_name)}</met:fullNames></met:readMetadata></soapenv:Body>"
        f"</soapenv:Envelope>"
    )


def _parse_soap(response: requests.Response) -> ET.Element:
    if response.status_code >= 500 and "Fault" not in response.text:
        raise SalesforceUnavailable(f"HTTP {response.status_code} from the Metadata API")
    try:
        root = ET.fromstring(response.content)  # noqa: S314 - a Salesforce response over verified TLS
    except ET.ParseError:
        _raise_for_status(response)
        raise SalesforceApiError(
            "INVALID_RESPONSE", "the Metadata API answered with something that is not XML"
        ) from None
    fault = root.find(f".//{{{SOAP_NS}}}Fault")
    if fault is not None:
        code = remote_code((fault.findtext("faultcode") or "").split(":")[-1], "UNKNOWN_ERROR")
        message = remote_text(fault.findtext("faultstring") or "")
        if code == "INVALID_SESSION_ID":
            raise SessionExpired(message)
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise RequestLimitExceeded(f"REQUEST_LIMIT_EXCEEDED: {message}")
        raise SalesforceApiError(code, message, response.status_code)
    _raise_for_status(response)
    return root
