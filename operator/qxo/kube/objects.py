"""qxo's own objects listed from the API server: the truth for the few decisions the watches cannot make alone
(after a restart, a watch may not have listed an object yet)."""

from __future__ import annotations

import asyncio
from typing import Any

from kubernetes.client.exceptions import ApiException

from qxo.api.common import GROUP, VERSION
from qxo.kube.config import call_json
from qxo.kube.secrets import ReadForbidden

PAGE = 500


class KubeObjects:
    def __init__(self, api_client: Any) -> None:
        self._api = api_client

    async def list_objects(self, plural: str, namespace: str | None) -> list[dict[str, Any]]:
        """Every object of `plural` in `namespace` (all namespaces when None), page by page."""
        where = f"namespaces/{namespace}/" if namespace else ""
        path = f"/apis/{GROUP}/{VERSION}/{where}{plural}"
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = [("limit", str(PAGE))] + ([("continue", token)] if token else [])
            try:
                page = await asyncio.to_thread(call_json, self._api, "GET", path, {}, query=query)
            except ApiException as error:
                if error.status == 403:
                    raise ReadForbidden(f"the operator may not list {plural} in "
                                        f"{'namespace ' + namespace if namespace else 'the cluster'} "
                                        "(HTTP 403)") from None
                raise
            items += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return items
