"""The one requests.Session per connection: CA bundle, default timeout, nothing else.

simple-salesforce takes this session, so queries, describes and the token endpoint all trust
the same CA bundle (the sandbox's CA, or a corporate TLS-inspection CA on real networks).
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


class _PinnedAdapter(HTTPAdapter):
    """Applies the configured CA bundle and a default timeout to every request.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override `Session.verify`, so a configured
    bundle is enforced here, at send time; and simple-salesforce does not pass a timeout on every
    call, while a hung socket must not hang a reconcile.
    """

    def __init__(self, ca_bundle: str | None, timeout: float):
        super().__init__(max_retries=0)
        self._ca_bundle = ca_bundle
        self._timeout = timeout

    def send(self, request, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        if self._ca_bundle:
            kwargs["verify"] = self._ca_bundle
        return super().send(request, **kwargs)


def build_session(ca_bundle: str | None, timeout: float) -> requests.Session:
    session = requests.Session()
    session.verify = ca_bundle if ca_bundle else True
    adapter = _PinnedAdapter(ca_bundle, timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
