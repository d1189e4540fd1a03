"""A developer runs a dry run on synthetic data, reads its log and output, then runs the
real job through the broker and a worker, following its page live to success; its outputs
stay in quarantine and the organization's compute use shows."""

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from config.celery import app as celery_app
from operation.services.catalogs import zones_ensure_standard
from tests.e2e.conftest import log_in
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

    # A dry run on synthetic data: its log and output are shown at once.
    page.select_option("#id_language", "python")
    page.fill("#id_code", DRY_RUN)
    page.check("#id_dry_run")
    page.click("#job-form button[type=submit]")
    status = page.locator("#job-status")
    expect(status).to_have_attribute("data-status", "succeeded")
    expect(status).to_have_text("成功")
    expect(page.locator("#job-stdout")).to_contain_text("rows seen:")
    expect(page.locator("#job-outputs tr[data-output='by_berth.csv']")).to_be_visible()
    with page.expect_download() as download:
        page.click("a[data-download='by_berth.csv']")
    assert download.value.suggested_filename == "by_berth.csv"

    # The real job goes through the broker: queued until a worker takes it, while its
    # page polls its status and shows the end without a reload.
    celery_app.conf.task_always_eager = False
    page.click(f"a[href='/scenarios/{scenario.pk}/#jobs']")
    page.select_option("#id_language", "sql")
    page.fill("#id_code", REAL)
    page.click("#job-form button[type=submit]")
    expect(status).to_have_attribute("data-status", "queued")
    expect(page.locator("#job-cancel")).to_be_visible()
    job_url = page.url
    with start_worker(
        celery_app, pool="solo", queues=["sandbox"], perform_ping_check=False, shutdown_timeout=10
    ):
        expect(status).to_have_attribute("data-status", "succeeded", timeout=60_000)
    assert page.url == job_url  # updated in place
    expect(status).to_have_text("成功")
    expect(page.locator("#job-cancel")).to_have_count(0)
    expect(page.locator("#job-outputs tr[data-output='result.csv']")).to_be_visible()
    expect(page.locator("#job-quarantine")).to_be_visible()
    expect(page.locator("a[data-download]")).to_have_count(0)
    expect(page.locator("#job-cpu")).not_to_have_text("–")

    # Both jobs are listed on the scenario page; the real one's use shows on the compute page.
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    expect(page.locator("#scenario-jobs tbody tr")).to_have_count(2)
    page.click("header nav a[href='/compute/']")
    expect(page.locator("#compute-monthly tbody tr[data-month]")).to_have_count(1)
    expect(page.locator("#compute-vouchers tbody tr[data-voucher]")).to_have_count(1)
