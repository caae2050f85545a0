"""`qxo sandbox brand` as a process: credentials file, persistence across restarts, refused options."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from brandkit import ADMIN, OPS, fast_config

from qxo.qualtrics import BrandClient
from qxo.sandbox.brand import BrandSandbox


def _start(db: Path, creds: Path, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "qxo", "sandbox", "brand", "--port", "0", "--db", str(db),
                                "--credentials-out", str(creds), *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # printed once listening, after the credentials file is written
    assert "brand sandbox:" in line, process.stderr.read()
    return process


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


async def test_the_command_writes_credentials_and_keeps_state_across_restarts(tmp_path):
    db, creds = tmp_path / "brand.db", tmp_path / "creds.json"
    process = _start(db, creds, "--latency-ms", "1", "--seed", "5")
    try:
        document = json.loads(creds.read_text())
        assert next(iter(document["tokens"])) == ADMIN and OPS in document["tokens"]
        assert document["brand_id"] == "acme" and document["base_url"].startswith("http://127.0.0.1:")
        assert oct(os.stat(creds).st_mode & 0o777) == "0o600"
        config = fast_config_from(document)
        async with BrandClient(config) as brand:
            await brand.install("slack")
            account = await brand.create_account("slack", "kept", {"token": "x"})
    finally:
        _stop(process)
    process = _start(db, creds)
    try:
        document_again = json.loads(creds.read_text())
        assert document_again["tokens"] == document["tokens"]  # same database, same tokens
        async with BrandClient(fast_config_from(document_again)) as brand:
            assert [a.id for a in await brand.accounts("slack")] == [account.id]
    finally:
        _stop(process)


def fast_config_from(document: dict):
    """A client config from the --credentials-out document, as tools and benchmarks read it."""
    return fast_config(SimpleNamespace(**document))


@pytest.mark.parametrize("option", [["--faults", "500=lots"], ["--faults", "boom=0.1"], ["--rate-limit", "0"]])
def test_bad_options_exit_2_with_a_message(tmp_path, option):
    result = subprocess.run([sys.executable, "-m", "qxo", "sandbox", "brand", "--db", str(tmp_path / "b.db"),
                             *option], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "qxo sandbox brand:" in result.stderr


def test_run_in_thread_serves_and_stops(tmp_path):
    with BrandSandbox.run_in_thread(str(tmp_path / "b.db")) as handle:
        assert handle.base_url.startswith("http://127.0.0.1:") and handle.tokens[ADMIN]
    with BrandSandbox.run_in_thread(str(tmp_path / "b.db")) as again:
        assert again.tokens == handle.tokens
