"""Each preflight check as a pure function of what was read from the org (`Facts`).

A fact that could not be read is an `Unreadable` carrying the Salesforce error and the
permission that would let the integration user read it; its checks become `Unknown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from qxo.salesforce.ipranges import uncovered
from qxo.salesforce.requirements import OBJECT_ACCESS, Requirements

Result = Literal["Passed", "Failed", "Unknown"]
API_DISABLED = ("API_CURRENTLY_DISABLED", "API_DISABLED_FOR_ORG")
VIEW_SETUP = "View Setup and Configuration"
METADATA_READ = "Modify Metadata Through Metadata API Functions (or Modify All Data)"


@dataclass(frozen=True)
class Check:
    name: str
    result: Result
    message: str
    # For an Unknown check: the permission that would let the integration user verify it, when that is why.
    needs: str | None = None

    def as_dict(self) -> dict:
        found = {"name": self.name, "result": self.result, "message": self.message}
        return {**found, "needs": self.needs} if self.needs else found


@dataclass(frozen=True)
class Unreadable:
    what: str
    error_code: str
    needs: str

    def message(self) -> str:
        if self.error_code in API_DISABLED:
            return f"could not read {self.what}: Salesforce refuses API calls until the user has API Enabled"
        return f"could not read {self.what} ({self.error_code}): the integration user needs {self.needs}"


@dataclass
class Facts:
    username: str
    organization: Any = None
    profile: Any = None
    permission_sets: Any = None
    object_permissions: Any = None
    field_permissions: Any = None
    login_ip_ranges: Any = None  # (start, end) pairs from the profile's metadata, or None: no such profile
    describes: dict = field(default_factory=dict)  # object -> its describe as the user, or Unreadable
    session_settings: Any = None
    connected_apps: Any = None

    def api_disabled(self) -> bool:
        values = [self.organization, self.profile, self.permission_sets, self.login_ip_ranges,
                  *self.describes.values()]
        return any(isinstance(v, Unreadable) and v.error_code in API_DISABLED for v in values)

    def profile_name(self) -> str:
        return self.profile["Name"] if isinstance(self.profile, dict) else "the user's profile"


def unknown_check(name: str, *facts: Any) -> Check | None:
    for fact in facts:
        if isinstance(fact, Unreadable):
            needs = None if fact.error_code in API_DISABLED else fact.needs
            return Check(name, "Unknown", fact.message(), needs)
    return None


def grant_hint(facts: Facts, section: str) -> str:
    return f"in {section} of the profile '{facts.profile_name()}' or of a permission set assigned to {facts.username}"


def check_api_enabled(facts: Facts) -> Check:
    if facts.api_disabled():
        return Check(
            "ApiEnabled",
            "Failed",
            f"Salesforce refuses API calls for {facts.username} (API_CURRENTLY_DISABLED): turn on 'API Enabled' "
            f"{grant_hint(facts, 'System Permissions')}",
        )
    if isinstance(facts.permission_sets, Unreadable):
        return Check(
            "ApiEnabled",
            "Passed",
            f"REST calls succeed for {facts.username}, so API Enabled is granted "
            f"(which grant holds it is unreadable without {VIEW_SETUP})",
        )
    holders = [
        f"the profile '{facts.profile_name()}'" if ps.get("IsOwnedByProfile") else f"permission set {ps['Name']}"
        for ps in facts.permission_sets
        if ps.get("PermissionsApiEnabled")
    ]
    if holders:
        return Check("ApiEnabled", "Passed", f"API Enabled is granted by {', '.join(sorted(holders))}")
    return Check(
        "ApiEnabled",
        "Failed",
        f"neither the profile nor any permission set of {facts.username} grants API Enabled: turn it on "
        f"{grant_hint(facts, 'System Permissions')}",
    )


def check_login_ip_ranges(facts: Facts, required: list[str]) -> Check:
    unknown = unknown_check("LoginIpRanges", facts.profile, facts.login_ip_ranges)
    if unknown:
        return unknown
    if facts.login_ip_ranges is None:
        return Check("LoginIpRanges", "Unknown",
                     f"the Metadata API has no Profile named '{facts.profile_name()}' (a standard profile's API name "
                     "differs from its label): check its Login IP Ranges in Setup > Profiles")
    ranges = list(facts.login_ip_ranges)
    if not ranges:
        return Check("LoginIpRanges", "Passed", f"the profile '{facts.profile_name()}' has no login IP ranges")
    missing = uncovered(ranges, required)
    if not missing:
        return Check("LoginIpRanges", "Passed", f"the profile's login IP ranges cover {', '.join(required)}")
    return Check(
        "LoginIpRanges",
        "Failed",
        f"the profile '{facts.profile_name()}' restricts logins to "
        f"{', '.join(f'{s}-{e}' for s, e in ranges)}, which leaves out Qualtrics' {', '.join(missing)}: add login IP "
        f"ranges covering them (Setup > Profiles > {facts.profile_name()} > Login IP Ranges)",
    )


def check_record_types(facts: Facts, requirements: Requirements) -> Check:
    if not requirements.record_types:
        return Check("RecordTypes", "Passed", "no record types declared")
    problems, good = [], []
    for rt in requirements.record_types:
        described = facts.describes.get(rt.object)
        if isinstance(described, Unreadable):
            if described.error_code == "NOT_FOUND":
                problems.append(f"{rt.object} is not an object {facts.username} can access")
                continue
            return unknown_check("RecordTypes", described)
        infos = {i.get("developerName"): i for i in described.get("recordTypeInfos", [])}
        info = infos.get(rt.developer_name)
        if info is None or not info.get("active", True):
            problems.append(
                f"{rt.qualified} does not exist or is inactive (Setup > Object Manager > {rt.object} > Record Types)"
            )
        elif not info.get("available"):
            problems.append(
                f"{rt.qualified} is not available to {facts.username}: add it to Record Type Settings "
                f"{grant_hint(facts, 'Object Settings')}"
            )
        else:
            good.append(rt.qualified)
    if problems:
        return Check("RecordTypes", "Failed", "; ".join(problems))
    return Check("RecordTypes", "Passed", f"available: {', '.join(good)}")


def _granted(rows: list[dict], key: str, flag: str) -> bool:
    return any(row.get(flag) for row in rows if row.get("_key") == key)


def check_object_access(facts: Facts, requirements: Requirements) -> Check:
    if not requirements.objects:
        return Check("ObjectAccess", "Passed", "no object access declared")
    unknown = unknown_check("ObjectAccess", facts.permission_sets, facts.object_permissions)
    if unknown:
        return unknown
    rows = [dict(r, _key=r["SobjectType"]) for r in facts.object_permissions]
    view_all_data = any(ps.get("PermissionsViewAllData") for ps in facts.permission_sets)
    modify_all_data = any(ps.get("PermissionsModifyAllData") for ps in facts.permission_sets)
    missing, held = [], []
    for req in requirements.objects:
        lacking = []
        for access in req.access:
            flag, label = OBJECT_ACCESS[access]
            implied = modify_all_data or (view_all_data and access in ("Read", "ViewAll"))
            if not (implied or _granted(rows, req.name, flag)):
                lacking.append(label)
        if lacking:
            missing.append(f"{', '.join(lacking)} on {req.name}")
        held.append(f"{req.name}: {', '.join(OBJECT_ACCESS[a][1] for a in req.access)}")
    if missing:
        return Check(
            "ObjectAccess",
            "Failed",
            f"{facts.username} lacks {'; '.join(missing)}: grant it {grant_hint(facts, 'Object Settings')}",
        )
    return Check("ObjectAccess", "Passed", "; ".join(held))


def check_session_ip_locking(facts: Facts) -> Check:
    unknown = unknown_check("SessionIpLocking", facts.session_settings)
    if unknown:
        return unknown
    if facts.session_settings is None:
        return Check("SessionIpLocking", "Unknown", "the Metadata API returned no SecuritySettings for this org")
    locks = []
    if facts.session_settings.get("lockSessionsToIp"):
        locks.append("'Lock sessions to the IP address from which they originated'")
    if facts.session_settings.get("lockSessionsToDomain"):
        locks.append("'Lock sessions to the domain in which they were first used'")
    if locks:
        return Check(
            "SessionIpLocking",
            "Failed",
            f"Session Settings lock sessions, so Qualtrics' calls from its own addresses are refused: deselect "
            f"{' and '.join(locks)} (Setup > Security > Session Settings)",
        )
    return Check("SessionIpLocking", "Passed", "sessions are not locked to an IP address or domain")


def _connected_app(facts: Facts, name: str, requirements: Requirements) -> Check | dict:
    unknown = unknown_check(name, facts.connected_apps)
    if unknown:
        return unknown
    rows = [r for r in facts.connected_apps if r.get("Name") == requirements.connected_app]
    if not rows:
        return Check(
            name,
            "Unknown",
            f"no connected app named '{requirements.connected_app}' is visible to {facts.username}: check the name "
            f"under Setup > Apps > Connected Apps > Manage Connected Apps, and that the user has {VIEW_SETUP}",
        )
    return rows[0]


def check_refresh_token_policy(facts: Facts, requirements: Requirements) -> Check:
    app = _connected_app(facts, "RefreshTokenPolicy", requirements)
    if isinstance(app, Check):
        return app
    period = app.get("RefreshTokenValidityPeriod")
    if period is None:
        return Check(
            "RefreshTokenPolicy", "Passed", f"'{requirements.connected_app}' keeps refresh tokens until revoked"
        )
    kind = "since last use" if app.get("OptionsRefreshTokenValidityMetric") else "since issue"
    return Check(
        "RefreshTokenPolicy",
        "Failed",
        f"'{requirements.connected_app}' expires refresh tokens (validity period {period}, counted {kind}), so "
        f"the link stops working when it lapses: set Refresh Token Policy to "
        f"'Refresh token is valid until revoked' (Setup > Manage Connected Apps > {requirements.connected_app} > "
        f"Edit Policies)",
    )


def check_permitted_users(facts: Facts, requirements: Requirements) -> Check:
    app = _connected_app(facts, "PermittedUsers", requirements)
    if isinstance(app, Check):
        return app
    if app.get("OptionsAllowAdminApprovedUsersOnly"):
        return Check(
            "PermittedUsers",
            "Failed",
            f"'{requirements.connected_app}' only admits admin-approved users: set Permitted Users to "
            f"'All users may self-authorize' (Setup > Manage Connected Apps > {requirements.connected_app} > "
            f"Edit Policies)",
        )
    return Check("PermittedUsers", "Passed", f"all users may self-authorize '{requirements.connected_app}'")
