"""A developer runs a real job whose output passes its checks, asks for its release with
what it shows and how disclosure was avoided; two reviewers, each seeing the table, its
check record and the job's code, approve it; the developer downloads the released file
and checks it against the SHA-256 the page shows."""

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from operation.services.catalogs import zones_ensure_standard
from scenarios.models import JobOutput
from tests.e2e.conftest import fill_code, log_in, log_out
from tests.factories import authorized_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BY_TYPE = "-- output: by_type\nSELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type"


def approve_as(page, base: str, username: str, release_url: str) -> None:
    log_in(page, base, username)
    page.click("header nav a[href='/reviews/releases/']")
    page.check("#id_awaiting")
    page.click("#release-filters button[type=submit]")
    page.click(f"#release-queue a[href='{release_url}']")
    item = page.locator("section.release-item[data-output='by_type.csv']")
    expect(item.locator("table.output-table")).to_contain_text("集装箱船")
    expect(item.locator(".item-context")).to_have_text("按船舶类型统计的在港船舶数")
    expect(item.locator("tr[data-check='MinimumThresholdCheck']")).to_have_attribute(
        "data-status", "pass"
    )
    expect(item.locator("pre.job-code")).to_contain_text("GROUP BY vessel_type")
    page.fill("#id_comment_private", f"{username}: 每格50艘, 无风险")
    page.click("#release-review-form button[data-action='approve']")
    expect(page.locator("ul.messages li.success")).to_be_visible()
    expect(page.locator("#release-review-form")).to_have_count(0)
    log_out(page)


def test_a_passing_output_is_requested_approved_twice_and_downloaded(page, live_server, tmp_path):
    base = live_server.url
    zones_ensure_standard()
    scenario, _developer = authorized_scenario(tmp_path, username="xmu_lab")

    # The developer runs a real job; its output is checked and stays in quarantine.
    log_in(page, base, "xmu_lab")
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    expect(page.locator("#workspace-status")).to_have_attribute("data-workspace-status", "ready")
    page.select_option("#id_language", "sql")
    fill_code(page, BY_TYPE)
    page.click("#job-form button[type=submit]")
    expect(page.locator("#job-status")).to_have_attribute("data-status", "succeeded")
    page.click("a[data-output-link='by_type.csv']")
    expect(page.locator("#output-check-status")).to_have_attribute("data-status", "pass")
    expect(page.locator("#output-checks tr[data-check='MinimumThresholdCheck']")).to_be_visible()
    expect(page.locator("#output-quarantine")).to_be_visible()
    expect(page.locator("#output-download")).to_have_count(0)
    expect(page.locator("#output-sha256-hidden")).to_be_visible()  # shown once released

    # The release request: what it shows, how disclosure was avoided.
    page.click("#output-request-release")
    item = page.locator("#release-form fieldset[data-output='by_type.csv']")
    expect(item.locator("input[type=checkbox]")).to_be_checked()
    item.locator("textarea[name$='-context']").fill("按船舶类型统计的在港船舶数")
    item.locator("textarea[name$='-controls']").fill("每类至少50艘, 远高于最小单元格计数10")
    page.click("#release-form button[type=submit]")
    expect(page.locator("#release-status")).to_have_attribute("data-status", "submitted")
    release_url = page.url.removeprefix(base)
    log_out(page)

    # Two reviewers from the operator approve, each on their own.
    approve_as(page, base, "reviewer1", release_url)
    approve_as(page, base, "reviewer2", release_url)

    # The developer downloads the released output and checks its SHA-256.
    log_in(page, base, "xmu_lab")
    page.goto(base + release_url)
    expect(page.locator("#release-status")).to_have_attribute("data-status", "approved")
    page.click("section.release-item[data-output='by_type.csv'] h3 a")
    expect(page.locator("#output-release-state")).to_have_attribute("data-released", "yes")
    shown = page.locator("#output-sha256").inner_text().strip()
    with page.expect_download() as download:
        page.click("#output-download")
    assert download.value.suggested_filename == "by_type.csv"
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"vessel_type,n\n")
    assert "集装箱船,50".encode() in content
    output = JobOutput.objects.get(name="by_type.csv")
    assert hashlib.sha256(content).hexdigest() == shown == output.sha256
