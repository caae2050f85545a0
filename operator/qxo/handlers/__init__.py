"""The kopf handlers: the only kopf-decorated code, thin by design.

Importing this package registers every handler with kopf's default registry.
"""

from qxo.handlers import lifecycle, resources, secrets, tenancy  # noqa: F401  (registration by import)
