"""An organization's administrator makes an API key on the scenario's page and sees it
once; calls made with the key over HTTP show on the usage dashboard's chart and in its
CSV export."""

import csv
import hashlib
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from operation.services.catalogs import zones_ensure_standard
from scenarios.models import ApiKey
from tests.e2e.conftest import log_in
from tests.factories import serviced_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MARCH = "2025-03-01/2025-03-31"


def test_an_admin_makes_a_key_and_follows_its_calls_on_the_dashboard(page, live_server, tmp_path):
    base = live_server.url
    zones_ensure_standard()
    scenario, _developer, _definition, _secret = serviced_scenario(tmp_path, username="xmu_lab")

    log_in(page, base, "xmu_lab")
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    page.click("#api-keys-link")
    page.fill("#id_name", "港口看板")
    page.click("#api-key-form button[type=submit]")

    # The secret is shown once, on the answer to the POST; only its SHA-256 is kept.
    expect(page.locator("#new-key")).to_be_visible()
    secret = page.locator("#new-key-secret").inner_text().strip()
    key = ApiKey.objects.get(name="港口看板")
    assert re.fullmatch(rf"sbx_{key.prefix}_[A-Za-z0-9_-]+", secret)
    assert key.key_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    expect(page.locator(f"#api-keys tr[data-prefix='{key.prefix}']")).to_be_visible()
    page.goto(f"{base}/scenarios/{scenario.pk}/api-keys/")
    expect(page.locator(f"#api-keys tr[data-prefix='{key.prefix}']")).to_be_visible()
    expect(page.locator("#new-key-secret")).to_have_count(0)
    assert secret not in page.content()

    # Three answered calls and one refused (a malformed period), over HTTP with the key.
    url = f"{base}/api/v1/services/berth-traffic/call"
    headers = {"Authorization": f"ApiKey {secret}"}
    for _ in range(3):
        answer = page.request.get(url, params={"period": MARCH}, headers=headers)
        assert answer.status == 200, answer.text()
        assert answer.json()["service"] == "berth-traffic"
    refused = page.request.get(url, params={"period": "三月"}, headers=headers)
    assert refused.status == 400

    page.click("header nav a[href='/services/usage/']")
    chart = page.locator("#usage-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    today = timezone.localdate().isoformat()
    bar = chart.locator(f"rect.bar[data-day='{today}']")
    expect(bar).to_have_attribute("data-calls", "4")
    title = bar.locator("title").text_content()
    assert today in title and re.search(r"\b4\b", title) and re.search(r"\b1\b", title)
    assert float(bar.get_attribute("height")) > 0
    expect(chart.locator(f"rect.bar-refused[data-day='{today}']")).to_have_count(1)
    assert chart.locator("rect.bar").count() == 30  # the last 30 days by default
    expect(page.locator("#usage-total")).to_have_text("4")
    expect(page.locator("#usage-refused")).to_have_text("1")
    expect(page.locator("#usage-services tr[data-service='berth-traffic'] td.calls")).to_have_text(
        "4"
    )

    with page.expect_download() as download:
        page.click("#usage-export")
    rows = list(csv.reader(Path(download.value.path()).read_text(encoding="utf-8").splitlines()))
    assert rows[0][:4] == ["day", "service", "organization", "calls"]
    assert rows[1][:5] == [today, "berth-traffic", scenario.organization.name, "4", "1"]
