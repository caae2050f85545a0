"""Pydantic models of the qxo custom resources: the one source of truth for the CRD schemas."""
