"""`qxo operator`: run the kopf operator for the qxo kinds, namespaced or across all namespaces."""

from __future__ import annotations

import argparse
import asyncio
import logging


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "operator",
        help="run the operator (reconciles the qxo custom resources)",
        description="Run the qxo operator against the cluster of the current kubeconfig (or in-cluster).",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--namespace", "-n", action="append", default=[], metavar="NS",
                       help="watch this namespace (repeatable); the default is all namespaces")
    scope.add_argument("--all-namespaces", "-A", action="store_true", help="watch every namespace")
    parser.add_argument("--liveness", metavar="URL", default=None,
                        help="serve a liveness probe, e.g. http://0.0.0.0:8080/healthz")
    parser.add_argument("--watch-secrets", choices=("auto", "yes", "no"), default="auto",
                        help="watch Secrets so credential rotation applies at once (needs list/watch on Secrets "
                             "where the operator watches); auto: yes with --namespace, no cluster-wide")
    parser.add_argument("--log-format", choices=("auto", "json", "text"), default="auto",
                        help="auto: JSON lines unless stderr is a terminal")
    parser.add_argument("--metrics-port", type=int, default=0, metavar="PORT",
                        help="serve Prometheus metrics at :PORT/metrics (default 0: off; the Deployment uses 9090)")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import kopf

    import qxo.handlers  # noqa: F401  (registers the handlers)
    from qxo.observability import logs, metrics

    logs.configure(json_output={"auto": None, "json": True, "text": False}[args.log_format],
                   level="DEBUG" if args.verbose else "INFO")
    if not args.verbose:
        # kopf says "Handler ... succeeded" for every event and timer run: keep its warnings only.
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    clusterwide = args.all_namespaces or not args.namespace
    if args.watch_secrets == "yes" or (args.watch_secrets == "auto" and not clusterwide):
        from qxo.handlers.secrets import watch_secrets

        watch_secrets()
    server = metrics.start_server(args.metrics_port) if args.metrics_port else None
    try:
        asyncio.run(kopf.operator(
            clusterwide=clusterwide,
            namespaces=[] if clusterwide else args.namespace,
            liveness_endpoint=args.liveness,
            standalone=True,
        ))
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
    return 0
