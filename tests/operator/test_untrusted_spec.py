"""The operator refuses what admission cannot judge (a wildcard over a public suffix) before any brand write."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_a_wildcard_over_a_public_suffix_is_refused_with_no_write(world, examples):
    webservice = next(d for d in examples if d["kind"] == "ExtensionInstall" and d["metadata"]["name"] == "webservice")
    webservice["spec"]["domains"] = ["https://api.acme.example", "https://*.co.uk"]
    world.apply([d for d in examples if d["kind"] in ("Namespace", "Secret", "QualtricsBrand")] + [webservice])
    condition = world.wait_condition("ExtensionInstall", "webservice", status="False",
                                     reason="WildcardOverPublicSuffix")
    assert condition["message"].startswith("spec.domains[1]: https://*.co.uk: co.uk is a public suffix")
    assert world.writes() == []
