"""The sandbox brand's first contents: brand `acme`, its users and groups, and the seed's catalog.

Ids are derived from `--seed` so runs are comparable; tokens and OAuth secrets are random and
only ever leave through `--credentials-out` (or the Python API).
"""

from __future__ import annotations

import random
import secrets
import sqlite3
import string

from qxo.api.catalog import CATALOG, CatalogEntry
from qxo.sandbox.brand.store import dumps

BRAND_ID = "acme"
DATACENTER_ID = "sandbox1"
ADMIN = "admin@acme.example"
OPS = "ops@acme.example"

# (username, first name, last name, brand admin?)
USERS = (
    (ADMIN, "Alex", "Admin", True),
    (OPS, "Olu", "Ops", True),
    ("ana.lima@acme.example", "Ana", "Lima", False),
    ("ben.okafor@acme.example", "Ben", "Okafor", False),
    ("chen.wei@acme.example", "Chen", "Wei", False),
    ("dana.berg@acme.example", "Dana", "Berg", False),
)
GROUPS = {
    "CX Analysts": ("ana.lima@acme.example", "ben.okafor@acme.example"),
    "Support Leads": ("chen.wei@acme.example", OPS),
    "Marketing": ("dana.berg@acme.example",),
}
_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str, rng: random.Random | None = None) -> str:
    choice = (rng or secrets.SystemRandom()).choice
    return prefix + "".join(choice(_ALNUM) for _ in range(15))


def catalog_doc(entry: CatalogEntry) -> dict:
    return {
        "id": entry.id,
        "name": entry.name,
        "publisher": entry.publisher,
        "firstParty": entry.first_party,
        "preview": entry.preview,
        "domainsEditable": entry.domains_editable,
        "defaultDomains": list(entry.default_domains),
        "privacyPolicyUrl": entry.privacy_policy_url,
        "termsUrl": entry.terms_url,
        "supportContact": entry.support_contact,
    }


def extra_entries(count: int) -> list[CatalogEntry]:
    """Synthetic first-party extensions so benchmarks can install more than the seed's 32."""
    return [CatalogEntry(f"bench-{i:03d}", f"Benchmark extension {i:03d}", "Qualtrics", domains_editable=True,
                         default_domains=(f"https://api{i:03d}.bench.example",)) for i in range(1, count + 1)]


def seed_if_empty(conn: sqlite3.Connection, seed: int, extra_extensions: int) -> None:
    if conn.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone():
        return
    rng = random.Random(seed)
    ids = {}
    for seq, (username, first, last, admin) in enumerate(USERS):
        user_id = ids[username] = new_id("UR_", rng)
        user = {
            "id": user_id, "username": username, "email": username, "firstName": first, "lastName": last,
            "userType": "UT_BRANDADMIN" if admin else "UT_FULLUSER", "accountStatus": "active",
            "divisionId": None,
        }
        conn.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
                     (seq, user_id, username, secrets.token_urlsafe(24), int(admin), dumps(user)))
    for seq, (name, members) in enumerate(GROUPS.items()):
        group_id = new_id("GR_", rng)
        conn.execute("INSERT INTO groups_ VALUES (?, ?, ?)", (seq, group_id, dumps({"id": group_id, "name": name})))
        conn.executemany("INSERT INTO group_members VALUES (?, ?)", [(group_id, ids[m]) for m in members])
    for seq, entry in enumerate([*CATALOG, *extra_entries(extra_extensions)]):
        conn.execute("INSERT INTO extensions VALUES (?, ?, ?)", (seq, entry.id, dumps(catalog_doc(entry))))
    conn.execute("INSERT INTO oauth_clients VALUES (?, ?, ?)",
                 ("qxo-" + secrets.token_hex(6), secrets.token_urlsafe(24), ids[ADMIN]))
    conn.execute("INSERT INTO meta VALUES ('seeded', '1')")
    conn.execute("INSERT INTO meta VALUES ('brand_id', ?)", (BRAND_ID,))


def credentials(conn: sqlite3.Connection) -> dict:
    """Tokens by username (the brand admin first) and the admin's OAuth client."""
    tokens = {u: t for u, t in conn.execute("SELECT username, token FROM users ORDER BY seq")}
    client_id, secret, user_id = conn.execute("SELECT client_id, secret, user_id FROM oauth_clients").fetchone()
    username = conn.execute("SELECT username FROM users WHERE id = ?", (user_id,)).fetchone()[0]
    return {"tokens": tokens, "oauth_clients": {username: {"client_id": client_id, "client_secret": secret}}}
