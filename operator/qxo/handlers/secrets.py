"""Secrets: note their resourceVersions so rotation reaches the objects that reference them."""

from __future__ import annotations

import kopf


@kopf.on.event("", "v1", "secrets", id="secrets-seen")
def secret_seen(body: kopf.Body, type: str | None, memo: kopf.Memo, **_) -> None:
    meta = body.get("metadata") or {}
    memo.runtime.saw_secret(meta.get("namespace") or "", meta.get("name") or "", meta.get("resourceVersion"),
                            deleted=type == "DELETED")
