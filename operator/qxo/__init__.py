"""qxo: a Qualtrics brand's extension administration, declared as Kubernetes custom resources."""

__version__ = "0.1.0"

API_GROUP = "qxo.dev"
API_VERSION = "v1alpha1"
