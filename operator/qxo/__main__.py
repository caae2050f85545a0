"""`python -m qxo` is the same as the `qxo` command."""

from qxo.cli import main

raise SystemExit(main())
