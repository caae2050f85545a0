"""`qxo operator`, with the toy kind registered: the one line a new kind adds to the table."""

import sys

from toykind import UserCheck, UserCheckReconciler

from qxo.cli import main
from qxo.reconcile.protocol import Kind, Ref
from qxo.reconcile.registry import KINDS

KINDS.register(Kind(UserCheck, UserCheckReconciler, refs=(Ref("QualtricsBrand", "brandRef", parent=True),)))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
