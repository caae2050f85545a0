"""Admission test kit: a representative CRD schema (shaped like qxo's ExtensionInstall) and a valid object."""

DOMAIN_PATTERN = "^https://[a-z0-9*.-]+(:[0-9*]+)?$"

SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["brandRef", "extensionId"],
            "x-kubernetes-validations": [
                {"rule": "self.brandRef == oldSelf.brandRef", "message": "brandRef is immutable"},
                {
                    "rule": "!has(self.sharing) || self.sharing.mode != 'Users' || size(self.sharing.users) > 0",
                    "messageExpression": "'sharing mode ' + self.sharing.mode + ' needs at least one user'",
                    "fieldPath": ".sharing.users",
                    "reason": "FieldValueRequired",
                },
                {"rule": "self.domains.all(d, d.startsWith('https://'))"},
            ],
            "properties": {
                "brandRef": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 63}},
                },
                "extensionId": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
                "deletionPolicy": {"type": "string", "enum": ["Delete", "Orphan"], "default": "Delete"},
                "managementPolicy": {"type": "string", "enum": ["Manage", "ObserveOnly"], "default": "Manage"},
                "domains": {
                    "type": "array",
                    "maxItems": 100,
                    "default": [],
                    "x-kubernetes-list-type": "set",
                    "items": {"type": "string", "pattern": DOMAIN_PATTERN, "maxLength": 253},
                },
                "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
                "weight": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True},
                "enabled": {"type": "boolean"},
                "expiresAt": {"type": "string", "format": "date-time"},
                "note": {"type": "string", "nullable": True},
                "port": {"x-kubernetes-int-or-string": True},
                "settings": {
                    "type": "object",
                    "maxProperties": 3,
                    "additionalProperties": {"type": "string", "maxLength": 8},
                },
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "sharing": {
                    "type": "object",
                    "properties": {
                        "mode": {"type": "string", "enum": ["Brand", "Users"], "default": "Brand"},
                        "users": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "accounts": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "x-kubernetes-validations": [
                            {
                                "rule": "self.role == oldSelf.role || oldSelf.role == 'Viewer'",
                                "message": "role can only be raised from Viewer",
                            }
                        ],
                        "properties": {
                            "name": {"type": "string"},
                            "role": {"type": "string", "enum": ["Owner", "Viewer"], "default": "Viewer"},
                        },
                    },
                },
            },
        },
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}

VALID = {
    "apiVersion": "qxo.dev/v1alpha1",
    "kind": "ExtensionInstall",
    "metadata": {"name": "survey-tools", "namespace": "acme"},
    "spec": {
        "brandRef": {"name": "acme"},
        "extensionId": "survey-tools",
        "domains": ["https://acme.example.com"],
        "accounts": [{"name": "ana", "role": "Owner"}],
    },
}


def crd(schema: dict = SCHEMA) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "extensioninstalls.qxo.dev"},
        "spec": {
            "group": "qxo.dev",
            "names": {"kind": "ExtensionInstall", "plural": "extensioninstalls"},
            "scope": "Namespaced",
            "versions": [{"name": "v1alpha1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}],
        },
    }


def displays(result) -> list[str]:
    return [cause.display() for cause in result.causes]
