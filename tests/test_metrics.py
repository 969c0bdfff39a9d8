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


def request_series(client) -> set[frozenset]:
    """The label sets of ``chameleon_http_requests_total`` that /metrics serves."""
    families = text_string_to_metric_families(client.get("/metrics").text)
    return {
        frozenset(sample.labels.items())
        for family in families
        if family.name == "chameleon_http_requests"
        for sample in family.samples
        if sample.name == "chameleon_http_requests_total"
    }


def test_junk_methods_and_paths_add_a_bounded_number_of_series(app, client, factory):
    _, key = factory.key(factory.user())
    before = request_series(client)
    for n in range(100):
        for path in (f"/junk-{n}", f"/api/junk/{n}", "/api/me", "/en/login"):
            client.open(path, method=f"X{n}JUNK", headers={"X-API-Key": key})
            client.get(path, headers={"X-API-Key": key})
    added = request_series(client) - before
    labels = {name: {dict(series)[name] for series in added} for name in ("endpoint", "method")}
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    assert labels["endpoint"] <= routes | {"other"}, labels["endpoint"]
    assert labels["method"] <= {"GET", "other"}, labels["method"]
    # Each route a few statuses at most, whatever was sent: 800 requests, a dozen series.
    assert len(added) <= 12, sorted(map(sorted, added))


def test_health_checks_and_scrapes_are_not_request_metrics(client):
    for path in ("/livez", "/healthz", "/readyz", "/metrics"):
        client.get(path)
    endpoints = {dict(series)["endpoint"] for series in request_series(client)}
    assert not endpoints & {"/livez", "/healthz", "/readyz", "/metrics"}, endpoints
