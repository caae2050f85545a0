"""What one reconcile of one object came to: a verdict, status fields, changes made, and whether to retry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qxo.reconcile.conditions import Condition, State, Verdict

if TYPE_CHECKING:
    from qxo.reconcile.keys import ObjectKey


class Waiting(Exception):
    """A dependency is not ready: the object waits and is woken when the dependency changes.

    `dependency` names the object waited for, when there is one, so the runtime can tell a
    dependency still converging (wait silently) from one that reported a problem (say so).
    """

    def __init__(self, reason: str, message: str, dependency: ObjectKey | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.dependency = dependency


class Refused(Exception):
    """The spec cannot be applied as it stands; `message` names the field and what to do.

    `status` and `conditions` are what the object can still report (a link refused by its preflight
    still says which org it reached and which checks failed).
    """

    def __init__(self, reason: str, message: str, *, status: dict[str, Any] | None = None,
                 conditions: list[Condition] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status or {}
        self.conditions = conditions or []


class Retry(Exception):
    """A transient failure of a remote system the brand client does not cover (Salesforce): retry with backoff."""

    def __init__(self, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


@dataclass
class Outcome:
    verdict: Verdict
    status: dict[str, Any] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    extra_conditions: list[Condition] = field(default_factory=list)
    rotations: int = 0
    retry: bool = False
    retry_after: float | None = None
    # Waiting on a dependency that is still converging: nothing to report yet (no status, no Event).
    deferred: bool = False
    # Converge again at most this many seconds later, woken or not (a brand's resync, a token's expiry);
    # None: as often as the brand the object leads to.
    recheck_after: float | None = None
    # What of the brand's observation a Ready object rests on (a qxo.reconcile.session.Slice): its brand's
    # next observations wake it only when that changed. None: every observation wakes it.
    rests_on: Any = None

    @property
    def state(self) -> State:
        return self.verdict.state

    @classmethod
    def ready(cls, message: str = "the brand matches the declared state", **kw: Any) -> Outcome:
        return cls(Verdict(State.READY, "Synced", message), **kw)

    @classmethod
    def waiting(cls, reason: str, message: str, **kw: Any) -> Outcome:
        return cls(Verdict(State.WAITING, reason, message), **kw)

    @classmethod
    def refused(cls, reason: str, message: str, **kw: Any) -> Outcome:
        return cls(Verdict(State.REFUSED, reason, message), **kw)

    @classmethod
    def retrying(cls, reason: str, message: str, retry_after: float | None = None, **kw: Any) -> Outcome:
        return cls(Verdict(State.RETRYING, reason, message), retry=True, retry_after=retry_after, **kw)
