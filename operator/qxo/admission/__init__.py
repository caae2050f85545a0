"""Admission of custom resources by a CRD's structural schema and CEL rules, as the API server does it."""
