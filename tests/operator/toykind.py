"""A toy kind, UserCheck: one brand user looked up, its id and whether it is a Brand Administrator in status.

The whole kind is this module: its API model (the CRD is generated from it) and its reconciler. It is
registered with one line (run_toy_operator.py) and reaches the runtime through qxo.reconcile.protocol
only: docs/architecture.md ("Adding a kind") walks through it, and test_toy_kind.py converges it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field

from qxo.api.common import LocalObjectReference, Printer, Resource, SpecBase, StatusBase, Username
from qxo.reconcile.protocol import Context, Object, Outcome, Refused, Removal


class UserCheckSpec(SpecBase):
    """Which brand user to look up, in which brand."""

    brand_ref: LocalObjectReference
    """The QualtricsBrand to look in."""
    user: Username
    """Username or email of the brand user."""


class UserCheckStatus(StatusBase):
    """What the brand says of the user."""

    user_id: str | None = None
    """The user's id in the brand."""
    brand_administrator: bool | None = None
    """Whether the user is a Brand Administrator."""


class UserCheck(Resource):
    """A brand user, looked up (a toy kind for the layout's test)."""

    KIND: ClassVar[str] = "UserCheck"
    PLURAL: ClassVar[str] = "userchecks"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ()
    KEY_COLUMN: ClassVar[tuple[Printer, ...]] = (Printer(name="User", json_path=".spec.user",
                                                         description="The user looked up"),)

    kind: str = KIND
    spec: UserCheckSpec
    status: UserCheckStatus = Field(default_factory=UserCheckStatus)


@dataclass
class Found:
    user_id: str
    brand_administrator: bool


class UserCheckReconciler:
    async def observe(self, ctx: Context, obj: Object) -> Found:
        session = ctx.session_for(obj.key)  # Waiting (silently at first) until its brand is Ready
        user = obj.spec.user
        ids = await session.resolve_users([user])
        if user not in ids:
            raise Refused("UnknownUser", f"spec.user: the brand has no user {user!r}")
        return Found(ids[user], ids[user] in await session.brand_administrators([ids[user]]))

    def plan(self, obj: Object, observed: Found) -> tuple[()]:
        return ()  # a lookup changes nothing in the brand

    async def apply(self, ctx: Context, observed: Found, action: object) -> None:
        raise AssertionError("a lookup plans no action")

    def status(self, ctx: Context, obj: Object, observed: Found, outcome: Outcome) -> None:
        outcome.status = {"userId": observed.user_id, "brandAdministrator": observed.brand_administrator}

    async def finalize(self, ctx: Context, obj: Object) -> Removal:
        return Removal(done="a lookup made nothing to undo")
