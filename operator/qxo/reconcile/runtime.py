"""The operator's shared state and the one entry point per verb: converge and finalize any qxo object.

Handlers hand a body in and get an Outcome back; everything between (which brand session, which
dependency to wait for, which reconciler, how a remote failure maps to a condition) is here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pydantic

from qxo import API_GROUP, API_VERSION
from qxo.api.validation import validate_object
from qxo.kube.secrets import SecretSource, WatchedSecrets
from qxo.qualtrics import errors
from qxo.reconcile import kinds
from qxo.reconcile import link as links
from qxo.reconcile.cafiles import CAFiles
from qxo.reconcile.conditions import READY_STATES, State
from qxo.reconcile.index import ObjectIndex
from qxo.reconcile.keys import BRAND, LINK, SECRET, ObjectKey, external_id, generation, is_paused, refresh_requested
from qxo.reconcile.outcome import Outcome, Refused, Waiting
from qxo.reconcile.session import BrandSession
from qxo.reconcile.status import WrittenStatuses
from qxo.reconcile.wakeups import Wakeups
from qxo.salesforce.errors import EndpointRefused
from qxo.trust.endpoints import DEFAULT, Allowlist

logger = logging.getLogger(__name__)

DEFAULT_RESYNC_SECONDS = 600.0
# How long an object waits silently for a dependency that is still converging before it reports
# Waiting anyway: a bound on silence should a wake-up be lost, not a delay anyone should see.
DEFER_GRACE_SECONDS = 30.0
# How long an object waits silently for a dependency the watch has not shown at all: objects
# applied together (a directory, a sync, the listing at start-up) arrive in any order, so a
# moment's silence spares a "missing" status that the next event contradicts; a real typo is
# reported a few seconds late.
MISSING_GRACE_SECONDS = 5.0


def _ready(body: Mapping[str, Any] | None) -> bool:
    for condition in ((body or {}).get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def spec_problem(kind: str, body: Mapping[str, Any] | None, invalid: pydantic.ValidationError) -> str:
    """An invalid spec's first problem, worded as admission and `qxo validate` word it (admission
    normally refuses such a spec first; the operator sees one only if admission was bypassed)."""
    if body is not None:
        document = {**body, "apiVersion": f"{API_GROUP}/{API_VERSION}", "kind": kind}
        problems = [p for p in validate_object(document)[0] if p.severity == "error"]
        # A field's CEL rule says in words what its failed pattern means: prefer it to the regex.
        problems.sort(key=lambda p: " should match '" in p.message)
        if problems:
            return f"{problems[0].field}: {problems[0].message}"
    first = invalid.errors()[0]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first.get("loc", ()))
    return f"spec{where}: {first.get('msg')}"


class Runtime:
    def __init__(self, secrets: SecretSource, *, client_factory: Callable[..., Any] | None = None,
                 allowlist: Allowlist = DEFAULT) -> None:
        self.allowlist = allowlist  # where credentials may go: the administrator's, never a tenant's
        self.ca_files = CAFiles()
        self.index = ObjectIndex()
        self.wakeups = Wakeups()
        self.secrets = WatchedSecrets(secrets)
        self.sessions: dict[ObjectKey, BrandSession] = {}
        self.client_factory = client_factory
        self._reconciled: dict[ObjectKey, tuple] = {}
        self._seen: dict[ObjectKey, tuple] = {}  # what dependents last acted on (see _tell_dependents)
        self._secret_versions: dict[ObjectKey, str] = {}
        self.verdicts: dict[ObjectKey, State] = {}         # each object's latest converge verdict
        self._concluded: dict[ObjectKey, Mapping[str, Any]] = {}  # and the status fields it concluded
        self._deferred: dict[ObjectKey, tuple[float, ObjectKey]] = {}  # waiting silently: since when, for what
        self._announced: dict[ObjectKey, tuple] = {}       # brand -> the observation its dependents re-planned on
        self.statuses = WrittenStatuses()
        self.closing = False
        self.applied_secrets: dict[ObjectKey, Any] = {}             # ExtensionAccount -> SecretVersion we sent
        self.links: dict[ObjectKey, Any] = {}                      # SalesforceLink -> its LinkSession
        self.link_credentials: dict[ObjectKey, tuple] = {}         # Secret versions pushed to the brand

    # -- what the watch streams tell us -----------------------------------------------------------

    def saw(self, kind: str, body: Mapping[str, Any], *, deleted: bool = False) -> None:
        """Remember an object and wake whoever its change concerns (itself, its dependents)."""
        key = ObjectKey.of(kind, body)
        if deleted:
            # Objects of its kind naming the same thing may have lost a contested claim to it.
            rivals = {other for ref in self.index.references_of(key) for other in self.index.dependents(ref)
                      if other.kind == key.kind and other != key}
            self.wakeups.wake_all(rivals)
            self.index.forget(key)
            self.applied_secrets.pop(key, None)
            self._reconciled.pop(key, None)
            self._seen.pop(key, None)
            self.verdicts.pop(key, None)
            self._concluded.pop(key, None)
            self._deferred.pop(key, None)
            self._announced.pop(key, None)
            self.statuses.forget(key)
            self.wakeups.forget(key)
            self.wakeups.wake_all(self.index.dependents(key))
            return
        self.index.remember(key, body)
        if self._fingerprint(body) != self._reconciled.get(key):
            self.wakeups.wake(key)
        self._tell_dependents(key)

    # -- what dependents go by --------------------------------------------------------------------

    def ready(self, key: ObjectKey) -> bool:
        """Whether the object's latest converge found it Ready (its Ready condition, after a restart).

        Dependents go by the verdict, not by the status the watch shows: under load the watch
        delivers a status patch seconds after it was written, and every dependency level would
        add that delay to the time until everything is Ready.
        """
        verdict = self.verdicts.get(key)
        if verdict is None or verdict is State.PAUSED:  # paused leaves its Ready condition as it was
            return _ready(self.index.body(key))
        return verdict in READY_STATES

    def status_of(self, key: ObjectKey) -> Mapping[str, Any]:
        """The object's status as its latest converge concluded it, over what the watch shows."""
        status = self.index.part(key, "status")
        concluded = self._concluded.get(key)
        return {**status, **concluded} if concluded else status

    def _tell_dependents(self, key: ObjectKey) -> None:
        """Wake the dependents of `key` when what they act on changed: its readiness, its id, its extension."""
        visible = (self.ready(key), self.status_of(key).get("externalId"),
                   self.index.part(key, "spec").get("extensionId"))
        if self._seen.get(key) == visible:
            return
        self._seen[key] = visible
        if key.kind == BRAND and visible[0]:
            self._announce_observation(key, force=True)
        elif key.kind == BRAND:  # no longer Ready: everything below it uses its session
            self.wakeups.wake_all(self.index.dependents_transitive(key))
        else:
            self.wakeups.wake_all(self.index.dependents(key))

    def saw_secret(self, namespace: str, name: str, resource_version: str | None, *, deleted: bool = False,
                   body: Mapping[str, Any] | None = None) -> None:
        """A Secret on the watch: remember it (its data too, when `body` is given) and wake who uses it."""
        key = ObjectKey(SECRET, namespace, name)
        self.secrets.saw(namespace, name, None if deleted else body)
        if deleted:
            self._secret_versions.pop(key, None)
        elif resource_version is not None:
            if self._secret_versions.get(key) == resource_version:
                return
            self._secret_versions[key] = resource_version
        self.wakeups.wake_all(self.index.dependents(key))

    def secret_version(self, namespace: str, name: str) -> str | None:
        return self._secret_versions.get(ObjectKey(SECRET, namespace, name))

    @staticmethod
    def _fingerprint(body: Mapping[str, Any]) -> tuple:
        meta = body.get("metadata") or {}
        return (generation(body), is_paused(body), external_id(body), refresh_requested(body),
                bool(meta.get("deletionTimestamp")))

    # -- brand sessions ---------------------------------------------------------------------------

    def session_for(self, brand_key: ObjectKey) -> BrandSession:
        session = self.sessions.get(brand_key)
        if session is None or not self.ready(brand_key):
            raise Waiting("WaitingForBrand", f"QualtricsBrand {brand_key.name} is not Ready yet", dependency=brand_key)
        return session

    def connection_for_cleanup(self, brand_key: ObjectKey) -> BrandSession:
        """The brand's connection for a finalizer: connected is enough, Ready is not needed.

        A brand being deleted is no longer Ready (it waits for its dependents to go first), and
        its dependents' finalizers still need its connection to undo what they made.
        """
        session = self.sessions.get(brand_key)
        if session is None:
            raise Waiting("WaitingForBrand", f"QualtricsBrand {brand_key.name} is not connected yet",
                          dependency=brand_key)
        return session

    async def replace_session(self, brand_key: ObjectKey, session: BrandSession | None) -> None:
        old = self.sessions.pop(brand_key, None)
        if session is not None:
            self.sessions[brand_key] = session
        if old is not None and old is not session:
            await old.close()
            self.sweep_ca_files()
        if session is None:  # gone: whoever uses it must say so (a new one is announced once observed)
            self.wakeups.wake_all(self.index.dependents_transitive(brand_key))

    def _announce_observation(self, brand_key: ObjectKey, *, force: bool = False) -> None:
        """Wake everything below a brand to re-plan against its latest observation, once per observation.

        Only once the brand is Ready: until then they would only find it not Ready, and its
        becoming Ready (`_tell_dependents`) announces the observation then.
        """
        session = self.sessions.get(brand_key)
        if session is None or not self.ready(brand_key):
            return
        observation = (id(session), session.observations)
        if not force and self._announced.get(brand_key) == observation:
            return
        self._announced[brand_key] = observation
        # Those waiting silently for another dependency are woken by it, and plan on the latest then.
        self.wakeups.wake_all(key for key in self.index.dependents_transitive(brand_key)
                              if self._deferred.get(key, (0.0, brand_key))[1] == brand_key)

    def resync_seconds(self, key: ObjectKey) -> float:
        if key.kind == LINK:
            body = self.index.body(key) or {}
            return links.next_check_in(self, key, (body.get("spec") or {}).get("refreshInterval") or "1h")
        brand_key = kinds.brand_of(self, key)
        body = self.index.body(brand_key) if brand_key else None
        return kinds.resync_seconds(body) if body else DEFAULT_RESYNC_SECONDS

    def wait_seconds(self, key: ObjectKey) -> float:
        """How long the object's loop may sleep unwoken: until its resync, or its silent wait's end."""
        seconds = self.resync_seconds(key)
        if key in self._deferred:
            seconds = min(seconds, max(0.0, self._defer_deadline(key) - time.monotonic()))
        return seconds

    def sweep_ca_files(self) -> None:
        """Remove the CA bundle files no brand session or Salesforce link uses any more."""
        in_use = [session.client.config.ca_bundle for session in self.sessions.values()]
        in_use += [link.org.settings.ca_bundle for link in self.links.values()]
        self.ca_files.keep_only(in_use)

    async def close(self) -> None:
        self.closing = True  # reconciles still in flight will find their clients closed: not a bug
        for link in self.links.values():
            link.close()
        self.links.clear()
        for key in list(self.sessions):
            await self.replace_session(key, None)
        self.ca_files.close()

    # -- the two verbs ----------------------------------------------------------------------------

    async def converge(self, kind: str, body: Mapping[str, Any]) -> Outcome:
        key = ObjectKey.of(kind, body)
        self.index.remember(key, body)
        self._reconciled[key] = self._fingerprint(body)
        outcome = await self._guarded(kind, lambda: kinds.converge(self, kind, key, body), waiter=key, body=body)
        if not outcome.deferred:
            self.record_verdict(key, outcome)
        return outcome

    def record_verdict(self, key: ObjectKey, outcome: Outcome) -> None:
        """Keep what a converge concluded, which dependents go by, and wake them if it changes for them."""
        self._deferred.pop(key, None)
        previous, self.verdicts[key] = self.verdicts.get(key), outcome.state
        self._concluded[key] = outcome.status
        if outcome.state is not State.READY and outcome.state is not previous:
            # Dependents waiting silently for this verdict can now say what they wait for.
            self.wakeups.wake_all(self.index.dependents(key))
        self._tell_dependents(key)
        if key.kind == BRAND and outcome.state is State.READY:
            self._announce_observation(key)

    async def finalize(self, kind: str, body: Mapping[str, Any]) -> Outcome:
        key = ObjectKey.of(kind, body)
        return await self._guarded(kind, lambda: kinds.finalize(self, kind, key, body), body=body)

    def _defers(self, waiter: ObjectKey, waiting: Waiting) -> bool:
        """Wait silently for a dependency that has not reported a problem (or not appeared yet).

        At start-up every object converges at once, so without this each dependent would first
        report Waiting for a dependency that turns Ready moments later: a status write, a watch
        event and an Event that tell nobody anything. The dependency's Ready verdict, its
        non-Ready one (`converge` above) or its appearance on the watch wakes the dependent again.
        """
        dependency = waiting.dependency
        if dependency is None:
            return False
        if self.verdicts.get(dependency, State.READY) is not State.READY:
            return False  # the dependency reported a problem: say we wait for it
        now = time.monotonic()
        since = self._deferred[waiter][0] if waiter in self._deferred else now
        self._deferred[waiter] = (since, dependency)
        return now < self._defer_deadline(waiter)

    def _defer_deadline(self, waiter: ObjectKey) -> float:
        since, dependency = self._deferred[waiter]
        missing = self.index.body(dependency) is None  # its appearance on the watch wakes us too
        return since + (MISSING_GRACE_SECONDS if missing else DEFER_GRACE_SECONDS)

    async def _guarded(self, kind: str, step: Callable[[], Awaitable[Outcome]],
                       waiter: ObjectKey | None = None, body: Mapping[str, Any] | None = None) -> Outcome:
        """Every failure becomes a decision: wait, retry with backoff, or refuse with a condition."""
        try:
            return await step()
        except Waiting as waiting:
            if waiter is not None and self._defers(waiter, waiting):
                return Outcome.waiting(waiting.reason, waiting.message, deferred=True)
            return Outcome.waiting(waiting.reason, waiting.message)
        except Refused as refused:
            return Outcome.refused(refused.reason, refused.message)
        except (errors.EndpointRefused, EndpointRefused) as refused:
            # Not allowed, a metadata address, or a redirect: a configuration problem retrying cannot fix.
            return Outcome.refused(refused.reason, str(getattr(refused, "message", refused)))
        except errors.TLSVerificationFailed as untrusted:
            return Outcome.refused("TLSVerificationFailed", untrusted.message)
        except pydantic.ValidationError as invalid:
            return Outcome.refused("InvalidSpec", spec_problem(kind, body, invalid))
        except (errors.RateLimited, errors.Unavailable) as busy:
            return Outcome.retrying("BrandUnavailable", f"the brand is unavailable: {busy}", busy.retry_after)
        except errors.AuthenticationFailed as denied:
            return Outcome.retrying("BrandAuthenticationFailed", f"the brand refused the credentials: {denied}")
        except errors.Forbidden as forbidden:
            return Outcome.refused("Forbidden", f"the brand refused: {forbidden}")
        except errors.Invalid as invalid:
            field = f"{invalid.field}: " if invalid.field else ""
            return Outcome.refused("BrandRefused", f"{field}{invalid.message} ({invalid.error_code})")
        except (errors.NotFound, errors.Conflict) as stale:
            # Our observation was out of date: observe again and retry soon.
            for session in self.sessions.values():
                session.invalidate()
            return Outcome.retrying("ObservationStale", f"the brand changed under us: {stale}", 1.0)
        except Exception as unexpected:  # never crash the loop on a bug: report it and retry
            if self.closing:
                return Outcome.retrying("ShuttingDown", "the operator is stopping")
            logger.exception("reconciling a %s failed unexpectedly", kind)
            return Outcome.retrying("InternalError", f"{type(unexpected).__name__}: {unexpected}")
