"""GitOps tooling beside the operator: `qxo plan` (what applying manifests would change) and `qxo export`.

Both read the live brand through the operator's own observation and plan code
(`qxo.reconcile`), so what they report is what the operator would do; neither writes to the brand.
"""
