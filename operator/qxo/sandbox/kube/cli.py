"""`qxo sandbox kube --port N --kubeconfig FILE [--token T]`: serve until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "kube",
        help="an in-memory Kubernetes API server for trying and testing qxo",
        description="Serve an in-memory Kubernetes API server (for trying and testing qxo only) and write a "
        "kubeconfig that kubectl and the kubernetes client accept.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--kubeconfig", required=True, help="where to write the kubeconfig")
    parser.add_argument("--token", default=None, help="bearer token clients must send (default: none required)")
    parser.set_defaults(func=run)


async def _serve(args: argparse.Namespace) -> None:
    # Imported here, not at the top: every `qxo` command imports this module to build its parser.
    from qxo.sandbox.kube.server import KubeSandbox

    sandbox = KubeSandbox(token=args.token)
    await sandbox.start(args.host, args.port)
    sandbox.write_kubeconfig(args.kubeconfig)
    print(f"kube sandbox serving at {sandbox.url}; kubeconfig written to {args.kubeconfig}", file=sys.stderr,
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()


def run(args: argparse.Namespace) -> int:
    asyncio.run(_serve(args))
    return 0
