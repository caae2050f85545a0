"""Operator telemetry: Prometheus metrics (`metrics`) and structured, redacted logs (`logs`).

The lowest layer: every part of qxo may import it, and it imports nothing of qxo, so a
client, a reconciler or a handler can record what it did without a dependency cycle.
"""
