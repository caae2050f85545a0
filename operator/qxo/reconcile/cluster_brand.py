"""ClusterQualtricsBrand: a QualtricsBrand the platform team shares, its credentials read in a platform namespace.

It connects, observes and goes last exactly as a QualtricsBrand does (qxo.reconcile.brand); only where
its Secrets are read differs: `spec.credentials.namespace`, or the operator's own namespace, and never
a namespace the operator's administrator did not allow (`qxo operator --platform-namespace`), so
whoever may write a ClusterQualtricsBrand still cannot make the operator read another namespace's
Secrets. Which namespaces may use the brand is judged for each object that references it
(qxo.reconcile.tenancy).
"""

from __future__ import annotations

from qxo.api.cluster_brand import ClusterQualtricsBrandSpec
from qxo.reconcile.brand import BrandReconciler
from qxo.reconcile.protocol import Context, Object, Refused

NOT_ALLOWED = "CredentialsNamespaceNotAllowed"


class ClusterBrandReconciler(BrandReconciler):
    def secrets_namespace(self, ctx: Context, obj: Object) -> str:
        spec: ClusterQualtricsBrandSpec = obj.spec
        allowed = ctx.platform_namespaces
        namespace = spec.credentials.namespace or allowed[0]
        if namespace not in allowed:
            raise Refused(NOT_ALLOWED, f"spec.credentials.namespace: the operator reads a ClusterQualtricsBrand's "
                                       f"credentials only in {', '.join(allowed)}, not in {namespace} (its "
                                       "administrator may add a namespace with --platform-namespace)")
        return namespace
