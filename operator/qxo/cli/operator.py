"""`qxo operator`: run the kopf operator for the qxo kinds, namespaced or across all namespaces."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging

from qxo.cli._allowlist import add_allow_endpoint, allowlist_from

# Metrics stay on the pod's (or the laptop's) loopback unless the bind address says otherwise; the
# Deployment passes --metrics-bind-address 0.0.0.0 so Prometheus can scrape the pod.
DEFAULT_METRICS_BIND_ADDRESS = "127.0.0.1"


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
                        help="serve Prometheus metrics at PORT/metrics (default 0: off; the Deployment uses 9090)")
    parser.add_argument("--metrics-bind-address", default=DEFAULT_METRICS_BIND_ADDRESS, metavar="ADDR",
                        help="address the metrics endpoint listens on: a host (127.0.0.1, 0.0.0.0, ::) or HOST:PORT "
                             "(:9090 is every interface); default 127.0.0.1, the Deployment passes 0.0.0.0")
    add_allow_endpoint(parser)
    parser.add_argument("--platform-namespace", action="append", default=[], metavar="NS",
                        help="a namespace whose Secrets a ClusterQualtricsBrand may name as its credentials' "
                             "(spec.credentials.namespace); the operator's own namespace always may (repeatable)")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.set_defaults(func=run, _parser=parser)


def metrics_listen(address: str, port: int) -> tuple[str, int]:
    """(host, port) to serve metrics on, from --metrics-bind-address and --metrics-port; port 0 is off.

    A port in the address (controller-runtime style, `:9090` or `0.0.0.0:9090`) is used when --metrics-port
    is not given, and must agree with it when it is.
    """
    text = address.strip()
    if text == "0":  # controller-runtime's way of saying "no metrics"
        return "127.0.0.1", 0
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") if rest.startswith(":") else ("" if not rest else None)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if port_text is None or (port_text and not port_text.isdigit()):
        raise ValueError(f"--metrics-bind-address: {address!r} is not HOST, HOST:PORT or [IPv6]:PORT")
    host = host or "0.0.0.0"  # noqa: S104 - ":PORT" means every interface, as in controller-runtime
    if port_text:
        given = int(port_text)
        if not 1 <= given <= 65535:
            raise ValueError(f"--metrics-bind-address: port {given} is not from 1 to 65535")
        if port and port != given:
            raise ValueError(f"--metrics-bind-address port {given} disagrees with --metrics-port {port}")
        port = given
    if not 0 <= port <= 65535:
        raise ValueError(f"--metrics-port: {port} is not from 0 to 65535")
    return host, port


def platform_namespaces(named: list[str]) -> tuple[str, ...]:
    """Where ClusterQualtricsBrand credentials may be read: the operator's own namespace first, then those named."""
    from qxo.kube.namespace import own_namespace

    own = own_namespace()
    return (own, *(namespace for namespace in dict.fromkeys(named) if namespace != own))


def watched_namespaces(clusterwide: bool, named: list[str]) -> tuple[str, ...] | None:
    """The namespaces the operator may list in: those named, or None (every one) cluster-wide or with patterns."""
    if clusterwide or any(char in name for name in named for char in "*?[!"):
        return None
    return tuple(named)


# Python's cyclic garbage collector, as the operator runs it (docs/performance.md, "Garbage collection").
GC_THRESHOLDS = (50_000, 20, 100)


def collect_garbage_in_bulk() -> None:
    """Fewer, larger collections, and none over what the imports left.

    With Python's default thresholds (700, 10, 10) the many objects that live a few seconds (a watch
    event's body, a converge's plan) are promoted to the oldest generation, and each time a quarter
    more have been promoted a full collection walks every live object: at 10,000 objects that was a
    fifth of the operator's CPU. Almost all garbage here is freed by reference counting; the
    collector only finds cycles, and finds them as well at these thresholds.
    """
    gc.collect()
    gc.freeze()  # modules, classes, schemas: alive for the process's life, never worth walking again
    gc.set_threshold(*GC_THRESHOLDS)


def run(args: argparse.Namespace) -> int:
    allowlist = allowlist_from(args, args._parser)
    try:
        metrics_host, metrics_port = metrics_listen(args.metrics_bind_address, args.metrics_port)
    except ValueError as error:
        args._parser.error(str(error))
    import kopf

    import qxo.handlers  # noqa: F401  (registers the handlers)
    from qxo.observability import logs, metrics

    logs.configure(json_output={"auto": None, "json": True, "text": False}[args.log_format],
                   level="DEBUG" if args.verbose else "INFO")
    if not args.verbose:
        # kopf says "Handler ... succeeded" for every event and timer run: keep its warnings only.
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    clusterwide = args.all_namespaces or not args.namespace
    secrets_watched = args.watch_secrets == "yes" or (args.watch_secrets == "auto" and not clusterwide)
    if secrets_watched:
        from qxo.handlers.secrets import watch_secrets

        watch_secrets()
    logging.getLogger("qxo.operator").info("endpoints allowed: %s", allowlist.describe())
    logging.getLogger("qxo.operator").info("cluster brands' credentials read in: %s",
                                           ", ".join(platform_namespaces(args.platform_namespace)))
    server = metrics.start_server(metrics_port, metrics_host) if metrics_port else None
    collect_garbage_in_bulk()
    try:
        asyncio.run(kopf.operator(
            clusterwide=clusterwide,
            namespaces=[] if clusterwide else args.namespace,
            liveness_endpoint=args.liveness,
            standalone=True,
            memo=kopf.Memo(allowlist=allowlist, platform_namespaces=platform_namespaces(args.platform_namespace),
                           watched_namespaces=watched_namespaces(clusterwide, args.namespace),
                           secrets_watched=secrets_watched),
        ))
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
    return 0
