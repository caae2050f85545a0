"""`qxo demo`: the three sandboxes, the operator and examples/, run together to show qxo's whole job.

This package stands beside the operator like qxo.sandbox and qxo.cli: it drives the operator from
the outside (processes, the Kubernetes API, the brand's HTTP API) and nothing in the operator
layers imports it.
"""
