"""`qxo sandbox kube` serves until SIGTERM and writes a kubeconfig kubectl accepts, token included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

pytestmark = pytest.mark.slow


def test_command_serves_with_a_token_until_terminated(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "qxo", "sandbox", "kube", "--port", "0", "--kubeconfig", str(kubeconfig),
         "--token", "t0ken"], stderr=subprocess.PIPE, text=True)
    try:
        assert "serving at https://127.0.0.1:" in process.stderr.readline()
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["users"][0]["user"] == {"token": "t0ken"}
        assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(tmp_path / "cache")}
        listed = subprocess.run(["kubectl", "get", "ns", "-o", "name"], capture_output=True, text=True, env=env,
                                timeout=60)
        assert "namespace/default" in listed.stdout, listed.stderr
        config["users"][0]["user"]["token"] = "wrong"
        (tmp_path / "bad").write_text(yaml.safe_dump(config))
        refused = subprocess.run(["kubectl", "get", "ns"], capture_output=True, text=True, timeout=60,
                                 env={**env, "KUBECONFIG": str(tmp_path / "bad")})
        assert refused.returncode != 0 and "Unauthorized" in refused.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
