"""Every command that may call a brand or Salesforce applies the operator's allowlist and takes
`--allow-endpoint`: a pull request pointing a brand at an unlisted host fails its check (exit 1, the field
named) before any connection; `qxo operator` refuses bad patterns and keeps metrics on loopback unless told."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import trustme
import yaml
from tests.trust.capture import CaptureServer

from qxo.cli import main
from qxo.cli.operator import metrics_listen

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def brand_manifest(base_url: str) -> dict:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "QualtricsBrand", "metadata": {"name": "acme", "namespace": "t"},
            "spec": {"brandId": "acme", "baseURL": base_url,
                     "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "token"}}}}


def link_manifest(login_url: str) -> dict:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "SalesforceLink", "metadata": {"name": "l", "namespace": "t"},
            "spec": {"brandRef": {"name": "acme"}, "owner": "ana.lima@acme.example", "environment": "Production",
                     "loginURL": login_url,
                     "oauth": {"clientSecretRef": {"name": "app"}, "refreshTokenSecretRef": {"name": "refresh"}}}}


def write(tmp_path: Path, *documents: dict) -> str:
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


# -- qxo validate -------------------------------------------------------------------------------------------

def test_validate_refuses_a_brand_or_link_pointed_at_an_unlisted_host_naming_the_field(tmp_path):
    path = write(tmp_path, brand_manifest("https://brand.attacker.example"),
                 link_manifest("https://login.attacker.example"))
    code, out, _ = run("validate", path)
    assert code == 1
    assert "QualtricsBrand/acme: spec.baseURL: https://brand.attacker.example:443 is not an allowed endpoint" in out
    assert "SalesforceLink/l: spec.loginURL: https://login.attacker.example:443 is not an allowed endpoint" in out
    code, out, _ = run("validate", path, "--allow-endpoint", "*.attacker.example:443")
    assert (code, out) == (0, "")


def test_each_service_keeps_to_its_own_hosts(tmp_path):
    """Anyone can own a My Domain host below salesforce.com: a brand token never goes there, and a
    Salesforce refresh token never to a Qualtrics host."""
    path = write(tmp_path, brand_manifest("https://attacker-dev-ed.my.salesforce.com"),
                 link_manifest("https://acme.qualtrics.com"))
    code, out, _ = run("validate", path)
    assert code == 1
    assert "spec.baseURL: https://attacker-dev-ed.my.salesforce.com:443 is not an allowed endpoint" in out
    assert "spec.loginURL: https://acme.qualtrics.com:443 is not an allowed endpoint" in out


def test_validate_refuses_metadata_endpoints_whatever_is_allowed(tmp_path):
    path = write(tmp_path, brand_manifest("https://169.254.169.254"))
    code, out, _ = run("validate", "-o", "json", path, "--allow-endpoint", "*.example.com")
    problems = json.loads(out)["problems"]
    assert code == 1 and [(p["field"], p["severity"]) for p in problems] == [("spec.baseURL", "error")]
    assert "never calls" in problems[0]["message"]


@pytest.mark.parametrize("pattern", ["169.254.169.254", "metadata.google.internal", "*", "https://x.example.com"])
def test_a_bad_allow_endpoint_pattern_is_a_usage_error(tmp_path, pattern):
    code, _, err = run("validate", write(tmp_path, brand_manifest("https://iad1.qualtrics.com")),
                       "--allow-endpoint", pattern)
    assert code == 2 and "--allow-endpoint" in err


def test_validate_warns_about_a_referenced_secret_without_the_label(tmp_path):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token", "namespace": "t"},
              "stringData": {"token": "FAKE"}}
    code, out, _ = run("validate", write(tmp_path, brand_manifest("https://acme.iad1.qualtrics.com"), secret))
    assert code == 0
    assert 'spec.credentials.apiTokenSecretRef: Secret \'token\' has no label qxo.dev/credentials: "true"' in out


def test_the_examples_validate_with_the_default_allowlist():
    code, out, err = run("validate", str(ROOT / "examples"))
    # Only the warnings validate gives offline (who is a Brand Administrator it cannot know).
    assert (code, err) == (0, "") and all(line.startswith("warning:") for line in out.splitlines()), out


# -- qxo plan, qxo export, qxo doctor -----------------------------------------------------------------------

def test_plan_stops_before_connecting_to_an_unlisted_brand(tmp_path):
    with CaptureServer.running() as brand:
        url = f"http://localhost:{brand.port}"
        context = tmp_path / "context.json"
        context.write_text(json.dumps({"base_url": url, "brand_id": "acme", "token": "FAKE-plan-token"}))
        code, _, err = run("plan", "-f", write(tmp_path, brand_manifest(url)), "--brand-context", str(context))
    assert code == 1 and "spec.baseURL: " in err and "is not an allowed endpoint" in err
    assert brand.connections == 0


def test_export_stops_before_connecting_to_an_unlisted_brand(tmp_path):
    with CaptureServer.running() as brand:
        context = tmp_path / "context.json"
        context.write_text(json.dumps({"base_url": f"http://localhost:{brand.port}", "brand_id": "acme",
                                       "token": "FAKE-export-token"}))
        code, _, err = run("export", "--brand-context", str(context))
    assert code == 1 and "--brand-context: base_url: " in err and "is not an allowed endpoint" in err
    assert brand.connections == 0


def test_doctor_stops_before_sending_a_refresh_token_to_an_unlisted_login_url(tmp_path):
    ca = trustme.CA()
    (tmp_path / "refresh").write_text("FAKE-doctor-refresh-token")
    with CaptureServer.running(tls=ca) as login:
        code, out, _ = run("doctor", "salesforce", "--login-url", f"https://localhost:{login.port}",
                           "--client-id", "c", "--refresh-token-file", str(tmp_path / "refresh"))
    assert code == 1 and "--login-url: https://localhost" in out and "is not an allowed endpoint" in out
    assert login.connections == 0


# -- qxo operator -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", ["169.254.169.254", "[fd00:ec2::254]", "*.com"])
def test_the_operator_refuses_a_bad_pattern_before_starting(pattern):
    code, _, err = run("operator", "--allow-endpoint", pattern)
    assert code == 2 and "--allow-endpoint" in err


@pytest.mark.parametrize(("address", "port", "listen"), [
    ("127.0.0.1", 9090, ("127.0.0.1", 9090)),       # the default: loopback only
    ("0.0.0.0", 9090, ("0.0.0.0", 9090)),           # what the Deployment passes
    (":9090", 0, ("0.0.0.0", 9090)),                # controller-runtime's form
    ("10.1.2.3:9090", 9090, ("10.1.2.3", 9090)),
    ("[::1]:9091", 0, ("::1", 9091)),
    ("::", 9090, ("::", 9090)),
    ("127.0.0.1", 0, ("127.0.0.1", 0)),             # no port: no metrics
    ("0", 9090, ("127.0.0.1", 0)),                  # controller-runtime's "off"
])
def test_the_metrics_bind_address(address, port, listen):
    assert metrics_listen(address, port) == listen


@pytest.mark.parametrize(("address", "port"), [("0.0.0.0:9090", 9091), ("host:http", 0), ("[::1]x", 0),
                                               (":99999", 0)])
def test_a_metrics_bind_address_that_cannot_work_is_a_usage_error(address, port):
    with pytest.raises(ValueError, match="metrics"):
        metrics_listen(address, port)
    code, _, err = run("operator", "--metrics-bind-address", address, "--metrics-port", str(port))
    assert code == 2 and "--metrics" in err


def test_the_operator_defaults_keep_metrics_on_loopback():
    from qxo.cli import build_parser

    args = build_parser().parse_args(["operator", "--metrics-port", "9090"])
    assert metrics_listen(args.metrics_bind_address, args.metrics_port) == ("127.0.0.1", 9090)
    assert args.allow_endpoints == []
