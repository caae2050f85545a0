"""The kopf handlers: the only kopf-decorated code, thin by design."""
