"""The differential conformance table: every case run against the kube sandbox and the real API server.

Both must answer alike (status code, reason, causes, warnings, the normalised body) and leave the same
effect; a case marked Known must differ exactly as recorded, so it fails when the difference disappears
or changes. docs/kube-sandbox.md ("Conformance with the real API server") explains each known difference.

    .venv/bin/python -m pytest tests/conformance -m e2e
"""

from __future__ import annotations

import json

import pytest
from conformancekit import Case, observe
from conformancenorm import diff
from conformancetable import CASES

pytestmark = pytest.mark.e2e


def _report(case: Case, found: dict, sandbox: dict, real: dict) -> str:
    return (f"{case.name}: the sandbox and the real API server differ"
            f"{' otherwise than recorded' if case.known else ''}\n"
            f"found:    {json.dumps(found, indent=1, sort_keys=True)}\n"
            f"recorded: {json.dumps(dict(case.known.diff) if case.known else {}, indent=1, sort_keys=True)}\n"
            f"sandbox:  {json.dumps(sandbox, sort_keys=True)[:6000]}\n"
            f"real:     {json.dumps(real, sort_keys=True)[:6000]}")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_sandbox_answers_as_the_real_api_server(servers, case):
    servers.ran.append(case)
    sandbox = observe(servers.sandbox, case)
    real = observe(servers.real, case)
    found = diff(sandbox, real)
    assert found == dict(case.known.diff if case.known else {}), _report(case, found, sandbox, real)
