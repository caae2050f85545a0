"""Secrets: note each one so rotation reaches the objects that reference it at once.

The watch asks for Secrets labelled qxo.dev/credentials: "true" only (a server-side label selector set
in qxo.handlers.lifecycle), and delivers their data anyway, so Opaque ones are kept (as an informer
cache keeps them) and reconcilers read them without a GET (qxo.kube.secrets.WatchedSecrets). A Secret
losing the label leaves the selection: the watch says DELETED, and its values are forgotten.

Watching Secrets needs list/watch on Secrets wherever the operator watches: per namespace in
namespaced mode, cluster-wide in all-namespaces mode. The default install grants Secrets per
namespace only, so the watch is opt-in there (`--watch-secrets`); without it, accounts and links
read their Secrets by name when they converge, and a rotation lands at the next brand resync.
"""

from __future__ import annotations

import kopf


async def secret_seen(body: kopf.Body, type: str | None, memo: kopf.Memo, **_) -> None:
    # async, though it never awaits: kopf runs a sync handler in a thread pool, a hop per event.
    meta = body.get("metadata") or {}
    memo.runtime.saw_secret(meta.get("namespace") or "", meta.get("name") or "", meta.get("resourceVersion"),
                            deleted=type == "DELETED", body=body)


def watch_secrets(registry: kopf.OperatorRegistry | None = None) -> None:
    kopf.on.event("", "v1", "secrets", id="secrets-seen", registry=registry)(secret_seen)
