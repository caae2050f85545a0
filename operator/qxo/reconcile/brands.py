"""Brand connections: each connected brand's session, who may use it, and who it waits for before it goes.

A kind registered as `BrandRole.CONNECTS` holds a session its dependents (`BrandRole.USES`, by their
parents) plan against. A brand's new observation wakes everything below it once; a brand that is
deleted goes last, while any object may still need its connection to undo what it made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from qxo.kube.namespace import DEFAULT_NAMESPACE
from qxo.kube.secrets import ReadForbidden, SecretSource
from qxo.reconcile.cafiles import CAFiles
from qxo.reconcile.index import ObjectIndex
from qxo.reconcile.keys import SECRET, ObjectKey
from qxo.reconcile.outcome import Waiting
from qxo.reconcile.protocol import BrandRole, Kind, Object
from qxo.reconcile.relations import Relations
from qxo.reconcile.session import BrandSession, BrandState, Slice
from qxo.trust.endpoints import DEFAULT, Allowlist


class ObjectLister(Protocol):
    """Lists one kind's objects from the API server: the truth when the watches have not caught up."""

    async def list_objects(self, plural: str, namespace: str | None) -> list[Mapping[str, Any]]: ...


class Brands(Relations):
    def __init__(self, secrets: SecretSource, kinds: Iterable[Kind], *, lister: ObjectLister | None,
                 allowlist: Allowlist = DEFAULT, home: str = DEFAULT_NAMESPACE,
                 watched: tuple[str, ...] | None = None, secrets_watched: bool = False) -> None:
        super().__init__(secrets, kinds, home, secrets_watched)
        self.allowlist = allowlist  # where credentials may go: the administrator's, never a tenant's
        self.lister = lister
        self.watched = watched  # the namespaces the operator watches; None: all of them
        self.ca_files = CAFiles()
        self.sessions: dict[ObjectKey, BrandSession] = {}
        self._announced: dict[ObjectKey, tuple] = {}  # brand -> the observation its dependents re-planned on
        # Ready object -> the session it converged with, the slice of its observation it rests on, and that
        # slice then (with the object's own writes folded in)
        self._rests_on: dict[ObjectKey, tuple[int, Slice, tuple | None]] = {}
        self.closing = False

    def session_for(self, key: ObjectKey) -> BrandSession:
        brand_key = self.brand_of(key)
        if brand_key is None:
            raise Waiting("WaitingForBrand", f"{key.kind} {key.name} leads to no brand yet")
        session = self.sessions.get(brand_key)
        if session is None or not self.ready(brand_key):
            raise Waiting(self.waiting_reason(brand_key), f"{brand_key.kind} {brand_key.name} is not Ready yet",
                          dependency=brand_key)
        return session

    def connection_for_cleanup(self, brand_key: ObjectKey) -> BrandSession:
        """Connected is enough: a brand being deleted is no longer Ready (it waits for its dependents to go
        first), and its dependents' finalizers still need its connection to undo what they made."""
        session = self.sessions.get(brand_key)
        if session is None:
            raise Waiting(self.waiting_reason(brand_key), f"{brand_key.kind} {brand_key.name} is not connected yet",
                          dependency=brand_key)
        return session

    async def session_holding(self, obj: Object, holds: Callable[[BrandState], bool]) -> BrandSession | None:
        brand_key = self.brand_of(obj.key)
        if brand_key is not None:
            return self.connection_for_cleanup(brand_key)
        # The way to the brand is gone (a parent deleted first, whose removal may have taken this object's
        # remote thing with it): look in every connected brand, observed afresh.
        holder = next((s for s in self.sessions.values() if holds(s.state)), None)
        if holder is None:
            if not self.sessions:
                raise Waiting("WaitingForBrand", f"no brand is connected to check whether what {obj.key.kind} "
                                                 f"{obj.key.name} made is gone")
            for session in list(self.sessions.values()):
                await session.observe_again(session.observations)
            holder = next((s for s in self.sessions.values() if holds(s.state)), None)
        return holder

    def connected(self, brand_key: ObjectKey) -> BrandSession | None:
        return self.sessions.get(brand_key)

    async def replace_session(self, brand_key: ObjectKey, session: BrandSession | None) -> None:
        old = self.sessions.pop(brand_key, None)
        if session is not None:
            self.sessions[brand_key] = session
        if old is not None and old is not session:
            await old.close()
        if session is None:  # gone: whoever uses it must say so (a new one is announced once observed)
            self.ca_files.release(brand_key)
            self.wakeups.wake_all(self.index.dependents_transitive(brand_key))

    def invalidate_observations(self) -> None:
        for session in self.sessions.values():
            session.invalidate()

    def ca_file(self, holder: ObjectKey, pem: str, field: str) -> str:
        return self.ca_files.file_for(pem, field, holder)

    # -- telling dependents -----------------------------------------------------------------------

    def tell_dependents(self, key: ObjectKey) -> None:
        """Wake the dependents of `key` when what they act on changed: its readiness, its id, its spec."""
        visible = self.changed_for_dependents(key)
        if visible is None:
            return
        ready = visible[0]
        if self.role(key) is BrandRole.CONNECTS and ready:
            self.announce_observation(key, force=True)
            return
        # Everything below a brand uses its session; below anything else, only its direct dependents care.
        concerned = self.index.dependents_transitive(key) if self.role(key) is BrandRole.CONNECTS \
            else self.index.dependents(key)
        if not ready:
            # Those waiting silently would only wait again: a dependency they wait for wakes them with its
            # verdict (`record_verdict`), Ready or not. At start-up this spares a converge of every waiter
            # each time an object it leads to is listed or written before it has converged.
            concerned = (dependent for dependent in concerned if self.deferred_on(dependent) is None)
        self.wakeups.wake_all(concerned)

    def announce_observation(self, brand_key: ObjectKey, *, force: bool = False) -> None:
        """Wake everything below a brand to re-plan against its latest observation, once per observation.

        Only once the brand is Ready: until then they would only find it not Ready, and its becoming
        Ready (`tell_dependents`) announces the observation then.
        """
        session = self.sessions.get(brand_key)
        if session is None or not self.ready(brand_key):
            return
        observation = (id(session), session.observations)
        if not force and self._announced.get(brand_key) == observation:
            return
        self._announced[brand_key] = observation
        # Those waiting silently for another dependency are woken by it, and plan on the latest then; Ready
        # objects whose slice of the observation is as they left it have nothing to re-plan.
        self.wakeups.wake_all(key for key in self.index.dependents_transitive(brand_key)
                              if self.deferred_on(key) in (None, brand_key) and not self._unchanged_for(key, session))

    def rest(self, key: ObjectKey, slice_: Slice | None) -> None:
        """A converge's verdict: Ready on `slice_` of its brand's observation as it is now, or not (None)."""
        brand_key = self.brand_of(key)
        session = self.sessions.get(brand_key) if brand_key is not None else None
        if slice_ is None or session is None:
            self._rests_on.pop(key, None)
        else:
            self._rests_on[key] = (id(session), slice_, slice_.of(session.state))

    def rests(self, key: ObjectKey) -> bool:
        """Whether only a change in its slice, or in what the watches show, can give the object work.

        Not while a Secret it reads is off the watch (Secrets are watched only where RBAC lets the
        operator list them): a rotation can then reach it only through a brand resync's re-plan."""
        return key in self._rests_on and all(self.secret_version(ref.namespace, ref.name) is not None
                                             for ref in self.index.references_of(key) if ref.kind == SECRET)

    def _unchanged_for(self, key: ObjectKey, session: BrandSession) -> bool:
        rests = self._rests_on.get(key)
        if rests is None or not self.rests(key) or rests[0] != id(session):
            return False
        now = rests[1].of(session.state)
        if now != rests[2]:
            return False
        # Equal, so hold this observation's values: the one they were read from can then go.
        self._rests_on[key] = (rests[0], rests[1], now)
        return True

    # -- who still needs a brand ------------------------------------------------------------------

    async def users_of(self, brand_key: ObjectKey) -> list[str]:
        """The objects whose finalizers may still need this brand's connection.

        Those that lead to it, and those in its namespace that made something in a brand but no longer lead
        anywhere (an account whose install was deleted first must still check, through a connected brand,
        that its account went with the uninstall). When the watches show none, the API server is asked:
        after a restart a brand's finalizer can run before the watches have listed its dependents.
        """
        users = self._users(brand_key, self.index)
        if users or self.lister is None:
            return users
        listed = ObjectIndex(self.references, self._claim, self._attach, self._holds)
        # A cluster-scoped brand's users are in any namespace the operator watches (and may list).
        namespaces = [brand_key.namespace] if brand_key.namespace else list(self.watched or [None])
        for entry in self.kinds.values():
            if entry.brand is not BrandRole.USES:
                continue
            for namespace in namespaces:
                try:
                    bodies = await self.lister.list_objects(entry.plural, namespace)
                except ReadForbidden as forbidden:
                    raise Waiting("WaitingForDependents", f"cannot tell which objects still use "
                                                          f"{brand_key.kind} {brand_key.name}: {forbidden}") from None
                for body in bodies:
                    listed.remember(ObjectKey.of(entry.name, body), body)
        return self._users(brand_key, listed)

    def _users(self, brand_key: ObjectKey, index: ObjectIndex) -> list[str]:
        users = []
        for entry in self.kinds.values():
            if entry.brand is not BrandRole.USES:
                continue
            for other in index.keys(entry.name):
                if brand_key.namespace and other.namespace != brand_key.namespace:
                    continue
                leads_to = self.brand_of(other, index)
                if leads_to == brand_key or (leads_to is None and index.part(other, "status").get("externalId")):
                    users.append(str(other))
        return sorted(users)

    def forget(self, key: ObjectKey) -> None:
        super().forget(key)
        self._announced.pop(key, None)
        self._rests_on.pop(key, None)
        self.ca_files.release(key)

    async def close(self) -> None:
        self.closing = True  # reconciles still in flight will find their clients closed: not a bug
        self.forget_all()
        for key in list(self.sessions):
            await self.replace_session(key, None)
        self.ca_files.close()
