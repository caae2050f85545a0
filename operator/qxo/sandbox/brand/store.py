"""The sandbox brand's SQLite database (WAL), with every query run on one worker thread.

One thread owns the connection, so each request's read-check-write runs as one transaction
without locks in Python, and the event loop never blocks on disk.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, username TEXT UNIQUE NOT NULL,
  token TEXT UNIQUE NOT NULL, is_admin INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups_ (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS group_members (
  group_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (group_id, user_id));
CREATE TABLE IF NOT EXISTS extensions (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS installations (extension_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, extension_id TEXT NOT NULL,
  name TEXT NOT NULL, doc TEXT NOT NULL, credentials TEXT NOT NULL, UNIQUE (extension_id, name));
CREATE TABLE IF NOT EXISTS sf_connections (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL,
  org_id TEXT NOT NULL, doc TEXT NOT NULL, credentials TEXT NOT NULL, UNIQUE (user_id, org_id));
CREATE TABLE IF NOT EXISTS idempotency (
  user_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
  body TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (user_id, key));
CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY, secret TEXT NOT NULL, user_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS oauth_tokens (token TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, changed INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_totals (
  id INTEGER PRIMARY KEY CHECK (id = 1), reads INTEGER NOT NULL, writes INTEGER NOT NULL, tokens INTEGER NOT NULL,
  changes INTEGER NOT NULL);
"""


class Store:
    def __init__(self, path: str) -> None:
        self.path = path
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    def open_sync(self) -> None:
        """Open in the worker thread (a sqlite3 connection belongs to the thread that made it)."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brand-db")
        self._executor.submit(self._connect).result()

    def _connect(self) -> None:
        conn = sqlite3.connect(self.path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(SCHEMA)
        self._conn = conn

    def call_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return self._executor.submit(self._transaction, fn, *args).result()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` as one transaction on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, fn, *args)

    def _transaction(self, fn: Callable[..., T], *args: Any) -> T:
        with self._conn:
            return fn(self._conn, *args)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.submit(self._disconnect).result()
            self._executor.shutdown(wait=True)
            self._executor = None

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def doc(row: tuple | None, index: int = 0) -> dict | None:
    return None if row is None else json.loads(row[index])


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
