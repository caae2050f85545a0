"""What a kind is to the runtime: the Reconciler each kind implements, and the entry that registers it.

A kind is one module (`qxo.reconcile.<kind>`) exposing a Reconciler, and one `Kind(...)` line in
the table (`qxo.reconcile.registry`). The runtime drives every kind the same way, through this
module only, and owns the order of the steps (crossplane-runtime's managed reconciler has the same
split: the provider says how, the generic reconciler says when):

    converge:  parse and check the spec → observe → plan → apply each action → status
    delete:    finalize → apply each action

`plan` is pure; `apply` is the only step that writes, and the runtime calls it only after the one
gate (`qxo.dev/paused`, `managementPolicy: ObserveOnly`) let the action through. What a kind
references, whether it talks to a brand, its scope and which remote thing it claims are data in
its `Kind` entry, so the runtime needs no code per kind.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from qxo.reconcile.keys import ObjectKey, external_id, is_paused
from qxo.reconcile.outcome import Outcome, Refused, Retry, Waiting

if TYPE_CHECKING:
    from qxo.api.common import Resource, SpecBase
    from qxo.kube.secrets import WatchedSecrets
    from qxo.reconcile.session import BrandSession, BrandState
    from qxo.trust.endpoints import Allowlist

__all__ = ["Action", "BrandRole", "Context", "Kind", "Object", "Outcome", "Reconciler", "Ref", "Refused",
           "Removal", "Retry", "Scope", "Waiting"]


class Scope(enum.StrEnum):
    NAMESPACED = "Namespaced"
    CLUSTER = "Cluster"


class BrandRole(enum.Enum):
    """How a kind relates to a brand: what the runtime does for it, and what it waits for."""

    CONNECTS = "connects"  # it is a brand: holds the connection its dependents use, and goes last
    USES = "uses"          # it makes things in the brand its parent leads to (the brand waits for it)
    NONE = "none"          # it never reaches a brand


@dataclass(frozen=True)
class Ref:
    """A name in the spec that points at another object, e.g. `Ref("ExtensionInstall", "installRef", parent=True)`.

    `at` is the dotted path of the reference object in the spec; its `name` names the object. A
    reference that may point at more than one kind carries the kind in `kind_field` (`caBundleRef.kind`,
    `brandRef.kind`), `kind` being the default. The target is in the referrer's namespace, none when its
    kind is cluster-scoped, or the one in `namespace_field` when the reference has it. A cluster-scoped
    referrer (a ClusterQualtricsBrand) names the namespace of what it references at `namespace_at`, a
    dotted path in its spec, or it is `home` (the operator's own namespace). `parent` marks the way to
    the brand: an object leads to its brand by following parents.
    """

    kind: str
    at: str
    parent: bool = False
    kind_field: str | None = None
    namespace_field: str | None = None
    namespace_at: str | None = None

    def target(self, here: ObjectKey, spec: Mapping[str, Any], cluster_kinds: frozenset[str],
               home: str = "") -> ObjectKey | None:
        node = _at(spec, self.at)
        if not isinstance(node, Mapping) or not isinstance(node.get("name"), str) or not node["name"]:
            return None
        kind = node.get(self.kind_field) if self.kind_field else None
        kind = kind if isinstance(kind, str) and kind else self.kind
        namespace = node.get(self.namespace_field) if self.namespace_field else None
        if kind in cluster_kinds:
            namespace = ""
        elif not isinstance(namespace, str) or not namespace:
            namespace = here.namespace or self.home_of(spec, home)
        return ObjectKey(kind, namespace, node["name"])

    def home_of(self, spec: Mapping[str, Any], home: str) -> str:
        """Where a cluster-scoped referrer's references live: the namespace its spec names, else `home`."""
        named = _at(spec, self.namespace_at) if self.namespace_at else None
        return named if isinstance(named, str) and named else home

    @property
    def field(self) -> str:
        return f"spec.{self.at}"


def _at(spec: Mapping[str, Any], path: str) -> Any:
    node: Any = spec
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


@dataclass(frozen=True)
class Object:
    """One object as a converge or finalize sees it: its key, the body the watch delivered, its typed spec."""

    key: ObjectKey
    body: Mapping[str, Any]
    spec: Any  # the kind's spec model (a SpecBase)

    @property
    def status(self) -> Mapping[str, Any]:
        return self.body.get("status") or {}

    @property
    def uid(self) -> str:
        return (self.body.get("metadata") or {}).get("uid") or ""

    @property
    def generation(self) -> int:
        return int((self.body.get("metadata") or {}).get("generation") or 0)

    @property
    def external_id(self) -> str | None:
        """The remote id the `qxo.dev/external-id` annotation asks to adopt."""
        return external_id(self.body)

    @property
    def paused(self) -> bool:
        return is_paused(self.body)


class Action(Protocol):
    """One write to the outside world, planned purely; `describe()` is what status and Events say of it."""

    def describe(self) -> str: ...


@dataclass
class Removal:
    """What deleting an object must undo: actions on `observed` (applied through the gate), or nothing (`done`)."""

    observed: Any = None
    actions: Sequence[Action] = ()
    done: str = "nothing to undo"


class Reconciler(Protocol):
    """One kind's behaviour, each step told the object and what the previous one found."""

    async def observe(self, ctx: Context, obj: Object) -> Any:
        """Read only: dependencies (Waiting while one is not Ready), the brand's observation, Secrets.

        Raises Refused naming the field for what observing shows cannot be done, Retry for a
        transient failure of a system the brand client does not cover."""

    def plan(self, obj: Object, observed: Any) -> Sequence[Action]:
        """Pure: the actions that bring the outside world to the spec (Refused naming the field)."""

    async def apply(self, ctx: Context, observed: Any, action: Action) -> None:
        """Carry out one action and fold its result into `observed` (and the brand's shared observation)."""

    def status(self, ctx: Context, obj: Object, observed: Any, outcome: Outcome) -> None:
        """Conclude: the kind's status fields and conditions on `outcome`, and what it remembers of its writes."""

    async def finalize(self, ctx: Context, obj: Object) -> Removal:
        """On delete with deletionPolicy Delete: what must be undone, observed afresh (read only)."""


@dataclass(frozen=True)
class Kind:
    """One row of the table: the API model (its KIND, PLURAL, SCOPE and spec) and how the runtime treats it."""

    model: type[Resource]
    reconciler: Callable[[], Reconciler]
    refs: tuple[Ref, ...] = ()
    brand: BrandRole = BrandRole.USES
    # The remote thing an object claims, which only one object may manage (the oldest keeps it).
    claim: Callable[[ObjectKey, Mapping[str, Any]], Hashable | None] | None = None
    # The status field only the claimant holding its claim writes. creationTimestamp counts seconds, so among
    # claimants created in one second the one already holding keeps it: a later one never takes it over.
    holds: str = "externalId"
    # Where no parent Ref names the parent: the (kind, claim) whose holder is the parent. An account on a
    # ClusterQualtricsBrand names (brand, extension), and the install holding that claim is its parent.
    attach: Callable[[ObjectKey, Mapping[str, Any]], tuple[str, Hashable] | None] | None = None
    # The reason its dependents give while they wait for it (`WaitingForBrand`); `WaitingFor<Kind>` by default.
    waiting_reason: str = ""
    spec_model: type[SpecBase] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec_model", self.model.model_fields["spec"].annotation)
        if not self.waiting_reason:
            object.__setattr__(self, "waiting_reason", f"WaitingFor{self.model.KIND}")

    @property
    def name(self) -> str:
        return self.model.KIND

    @property
    def plural(self) -> str:
        return self.model.PLURAL

    @property
    def scope(self) -> Scope:
        return Scope(self.model.SCOPE)

    @property
    def parent(self) -> Ref | None:
        return next((ref for ref in self.refs if ref.parent), None)


class Context(Protocol):
    """What the runtime offers a reconciler: relations between objects, brand connections, Secrets, memory."""

    allowlist: Allowlist
    secrets: WatchedSecrets
    client_factory: Callable[..., Any] | None

    def body(self, key: ObjectKey) -> Mapping[str, Any] | None:
        """The latest body the watch showed of `key`, None when it has shown none."""

    def parent(self, obj: Object) -> tuple[ObjectKey, Mapping[str, Any]]:
        """The object's parent (its `parent` Ref) and its body, once Ready; Waiting until then."""

    def status_of(self, key: ObjectKey) -> Mapping[str, Any]:
        """An object's status as its latest converge concluded it (ahead of the watch)."""

    def brand_of(self, key: ObjectKey) -> ObjectKey | None:
        """The brand an object leads to by its parents, None when a link in the chain is missing."""

    def secret_arriving(self, namespace: str, name: str) -> bool:
        """Whether the Secret watch, still listing, may yet bring this Secret (wait for it rather than GET it)."""

    def holder(self, obj: Object, claim: Hashable) -> ObjectKey:
        """Of the objects of this kind claiming `claim`, and `obj`, the one that keeps it (the oldest)."""

    def session_for(self, key: ObjectKey) -> BrandSession:
        """The session of the brand `key` leads to (or is), once Ready; Waiting until then."""

    def connection_for_cleanup(self, brand_key: ObjectKey) -> BrandSession:
        """A brand's session for a finalizer: connected is enough; Waiting until connected."""

    async def session_holding(self, obj: Object, holds: Callable[[BrandState], bool]) -> BrandSession | None:
        """For a finalizer whose way to its brand may be gone: the connected brand whose (fresh) observation
        `holds` what the object made, None when no brand does; Waiting while no brand is connected."""

    def connected(self, brand_key: ObjectKey) -> BrandSession | None: ...

    async def replace_session(self, brand_key: ObjectKey, session: BrandSession | None) -> None: ...

    async def users_of(self, brand_key: ObjectKey) -> list[str]:
        """The objects whose finalizers may still need this brand's connection, exactly (the API server asked
        when the watches have shown none)."""

    def memory(self, key: ObjectKey) -> dict[str, Any]:
        """What the kind keeps of one object between converges; dropped (values closed) when the object goes."""

    def ca_file(self, holder: ObjectKey, pem: str, field: str) -> str:
        """A file holding `pem` for `holder`'s client; its previous one is released."""

    def secret_version(self, namespace: str, name: str) -> str | None:
        """The resourceVersion of a Secret the watch last showed, None when not watched."""

    platform_namespaces: tuple[str, ...]

    def judge(self, obj: Object, *, extension_id: str | None = None, facts: Any = None) -> None:
        """The tenancy backstop (docs/tenancy.md): Refused `NamespaceNotSelected` when the object's
        ClusterQualtricsBrand does not select its namespace, `PolicyDenied` naming each ExtensionPolicy rule it
        breaks; `extension_id` and the catalog's `facts` about it, when the caller knows them, let the rules
        that need them be judged too."""
