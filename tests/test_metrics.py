"""/metrics from the test client: who may read it, and the README's list of what it holds."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import PROJECT_ROOT


@pytest.mark.parametrize(
    ("address", "status"),
    [("127.0.0.1", 200), ("::1", 200), ("10.0.0.5", 404), ("203.0.113.9", 404)],
)
def test_metrics_answer_only_the_allowed_networks(client, address, status):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == status
    assert ("chameleon_http_requests_total" in response.text) == (status == 200)


def test_the_readme_lists_every_metric(client):
    text = client.get("/metrics").text
    # A counter's family is named without the _total its samples carry; in one process
    # prometheus_client also serves each counter's and histogram's creation time.
    served = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in text_string_to_metric_families(text)
        if family.name.startswith("chameleon_") and not family.name.endswith("_created")
    }
    readme = (PROJECT_ROOT / "README.md").read_text()
    monitoring = readme.split("## Monitoring", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"`(chameleon_\w+)", monitoring)) == served
