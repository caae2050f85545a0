"""Admission of custom resources by a CRD's structural schema and CEL rules, as the API server does it."""

from qxo.admission.admitter import AdmissionResult, Admitter
from qxo.admission.causes import FieldCause, to_status

__all__ = ["AdmissionResult", "Admitter", "FieldCause", "to_status"]
