"""Under the Content-Security-Policy the portal's script still works (language switcher,
live job updates) and the API docs render, with no violation in the browser's console."""

import re

import pytest
from playwright.sync_api import expect

from config.celery import app as celery_app
from operation.services.catalogs import zones_ensure_standard
from tests.e2e.conftest import fill_code, log_in
from tests.factories import authorized_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REAL = "SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth ORDER BY berth"


def test_the_portal_and_api_docs_run_with_no_policy_violation(page, live_server, tmp_path):
    base = live_server.url
    zones_ensure_standard()
    scenario, _developer = authorized_scenario(tmp_path, username="xmu_lab")
    celery_app.conf.task_always_eager = False  # the message goes to the broker; no worker
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))

    log_in(page, base, "xmu_lab")
    response = page.goto(f"{base}/scenarios/{scenario.pk}/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]

    # A queued job's page fetches its live part again and again from portal.js.
    page.select_option("#id_language", "sql")
    fill_code(page, REAL)
    page.click("#job-form button[type=submit]")
    expect(page.locator("#job-status")).to_have_attribute("data-status", "queued")
    with page.expect_request(re.compile(r"/scenarios/jobs/\d+/live/$"), timeout=10_000):
        pass
    expect(page.locator("#job-live #job-status")).to_have_attribute("data-status", "queued")

    # The language switcher submits itself on change.
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Swagger UI renders the schema's operations.
    page.click("header nav a[href='/api/docs/']")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)

    violations = [line for line in console if "Content Security Policy" in line]
    assert violations == []
