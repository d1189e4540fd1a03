"""A developer runs a dry run on synthetic data, reads its log and a preview of its table,
then runs the same code on real data with one click, through the broker and a worker,
following its page live to success and to its checked outputs' release links; its outputs
stay in quarantine and the organization's compute use shows. The code field is a code
editor that highlights SQL and Python, and a plain textarea without script."""

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from config.celery import app as celery_app
from operation.services.catalogs import zones_ensure_standard
from tests.e2e.conftest import fill_code, log_in
from tests.factories import authorized_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DRY_RUN = (
    "import workspace\n"
    "vessels = workspace.table('HY-0001')\n"
    "print('rows seen:', len(vessels))\n"
    "vessels.groupby('berth').size().to_csv(workspace.OUTPUT / 'by_berth.csv')\n"
)
REAL = "SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth ORDER BY berth"


@pytest.mark.usefixtures("worker_queues_restored")
def test_a_dry_run_then_a_real_job_run_to_success(page, live_server, tmp_path):
    base = live_server.url
    zones_ensure_standard()
    scenario, _developer = authorized_scenario(tmp_path, username="xmu_lab")

    log_in(page, base, "xmu_lab")
    page.goto(base + "/scenarios/")
    page.click(f"#scenarios a[href='/scenarios/{scenario.pk}/']")
    expect(page.locator("#workspace-status")).to_have_attribute("data-workspace-status", "ready")

    # A dry run on synthetic data: its log, output and a preview of its table at once.
    page.select_option("#id_language", "python")
    fill_code(page, DRY_RUN)
    page.check("#id_dry_run")
    page.click("#job-form button[type=submit]")
    status = page.locator("#job-status")
    expect(status).to_have_attribute("data-status", "succeeded")
    expect(status).to_have_text("成功")
    expect(page.locator("#job-stdout")).to_contain_text("rows seen:")
    expect(page.locator("#job-outputs tr[data-output='by_berth.csv']")).to_be_visible()
    preview = page.locator("table[data-preview='by_berth.csv']")
    expect(preview.locator("thead th").first).to_have_text("berth")
    assert 1 <= preview.locator("tbody tr").count() <= 20
    with page.expect_download() as download:
        page.click("a[data-download='by_berth.csv']")
    assert download.value.suggested_filename == "by_berth.csv"

    # The same code on real data, one click: it goes through the broker, queued until a
    # worker takes it, while its page polls its status and shows the end without a reload,
    # then its checked outputs and the release action.
    celery_app.conf.task_always_eager = False
    page.click("#job-run-real button[data-action='run-real']")
    expect(status).to_have_attribute("data-status", "queued")
    expect(page.locator("h1 .status-dry-run")).to_have_count(0)
    expect(page.locator("#job-code")).to_have_text(DRY_RUN)
    expect(page.locator("#job-cancel")).to_be_visible()
    job_url = page.url
    page.evaluate("window.notReloaded = true")
    with start_worker(
        celery_app,
        pool="solo",
        queues=["sandbox", "celery"],
        perform_ping_check=False,
        shutdown_timeout=10,
    ):
        expect(status).to_have_attribute("data-status", "succeeded", timeout=60_000)
        release = page.locator("a[data-request-release='by_berth.csv']")
        expect(release).to_be_visible(timeout=60_000)
    assert page.url == job_url and page.evaluate("window.notReloaded") is True
    expect(status).to_have_text("成功")
    expect(page.locator("#job-cancel")).to_have_count(0)
    expect(page.locator("#job-outputs tr[data-output='by_berth.csv']")).to_be_visible()
    expect(page.locator("#job-quarantine")).to_be_visible()
    expect(page.locator("a[data-download]")).to_have_count(0)
    expect(page.locator("table[data-preview]")).to_have_count(0)  # real data: never shown
    expect(page.locator("#job-cpu")).not_to_have_text("–")
    release.click()
    expect(page.locator("#release-form")).to_be_visible()

    # Both jobs are listed on the scenario page with a code excerpt; the real one's use
    # shows on the compute page.
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    expect(page.locator("#scenario-jobs tbody tr")).to_have_count(2)
    expect(page.locator("#scenario-jobs [data-excerpt]").first).to_contain_text(
        "import workspace vessels = workspace.table('HY-0001')"
    )
    page.click("header nav a[href='/compute/']")
    expect(page.locator("#compute-monthly tbody tr[data-month]")).to_have_count(1)
    expect(page.locator("#compute-vouchers tbody tr[data-voucher]")).to_have_count(1)


def test_the_code_field_highlights_sql_and_python_and_is_a_textarea_without_script(
    browser, page, live_server, tmp_path
):
    base = live_server.url
    scenario, _developer = authorized_scenario(tmp_path, username="xmu_lab")
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    log_in(page, base, "xmu_lab")
    page.goto(f"{base}/scenarios/{scenario.pk}/jobs/new/")

    editor = page.locator("[data-editor-for='id_code']")
    expect(editor).to_be_visible()
    expect(page.locator("#id_code")).to_be_hidden()
    editor.click()
    page.keyboard.type("SELECT berth FROM hy_0001")
    expect(editor.locator(".cm-keyword").first).to_have_text("SELECT")
    assert page.input_value("#id_code") == "SELECT berth FROM hy_0001"  # what is posted
    page.select_option("#id_language", "python")
    fill_code(page, "import workspace\nprint(workspace.OUTPUT)")
    expect(editor.locator(".cm-keyword").first).to_have_text("import")
    assert [line for line in console if "Content Security Policy" in line] == []
    # The editor's files are the site's own: no other origin is asked for anything.
    assert all(
        url.startswith(base)
        for url in page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    )

    plain = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        other = plain.new_page()
        log_in(other, base, "xmu_lab")
        other.goto(f"{base}/scenarios/{scenario.pk}/jobs/new/")
        expect(other.locator("#id_code")).to_be_visible()
        expect(other.locator(".CodeMirror")).to_have_count(0)
    finally:
        plain.close()
