"""A developer's job waits with no worker running: its page says so, in Chinese, and
changes in place once a sandbox worker beats; operator staff open the job queue from the
menu and see the organization's job, the worker, and a red notice once it is gone."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config.celery import app as celery_app
from core.models import WorkerHeartbeat
from core.workers import worker_beat
from operation.services.catalogs import zones_ensure_standard
from tests.e2e.conftest import fill_code, log_in
from tests.factories import authorized_scenario, staff_user

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REAL = "SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth ORDER BY berth"
NO_WORKER = "当前没有运行中的工作节点：计算任务将在有工作节点启动后开始。"
FREE_SLOT = "工作节点正在运行：计算任务正在等待空闲的运行槽位。"


def test_a_queued_job_says_whether_a_worker_runs_and_staff_see_the_queue(
    page, browser, live_server, tmp_path
):
    base = live_server.url
    zones_ensure_standard()
    scenario, _developer = authorized_scenario(tmp_path, username="xmu_lab")
    staff_user("op")
    celery_app.conf.task_always_eager = False  # the message goes to the broker; no worker

    # No worker: the job's page says so instead of a silent "queued".
    log_in(page, base, "xmu_lab")
    page.goto(f"{base}/scenarios/{scenario.pk}/")
    page.select_option("#id_language", "sql")
    fill_code(page, REAL)
    page.click("#job-form button[type=submit]")
    expect(page.locator("#job-status")).to_have_attribute("data-status", "queued")
    note = page.locator("#job-live #job-queue")
    expect(note).to_have_attribute("data-workers", "down")
    expect(note).to_have_text(NO_WORKER)
    expect(page.locator("#job-live")).to_have_attribute("aria-live", "polite")
    expect(page.locator("header nav a[href='/jobs/queue/']")).to_have_count(0)

    # A sandbox worker beats: the live part changes in place, without a reload.
    worker_beat(hostname="sandbox@e2e", queues=["sandbox"], started_at=timezone.now())
    expect(note).to_have_attribute("data-workers", "ok", timeout=10_000)
    expect(note).to_have_text(FREE_SLOT)

    # Operator staff open the queue from the menu.
    staff_context = browser.new_context(locale="zh-CN")
    staff = staff_context.new_page()
    staff.set_default_timeout(15_000)
    try:
        log_in(staff, base, "op")
        staff.click("header nav a[href='/jobs/queue/']")
        expect(staff.locator("h1")).to_have_text("计算任务队列")
        expect(staff.locator("#queue-queued")).to_have_text("1")
        row = staff.locator(
            f"#queue-organizations tr[data-organization='{scenario.organization_id}']"
        )
        expect(row.locator("[data-queued]")).to_have_text("1")
        expect(row.locator("[data-running]")).to_have_text("0")
        expect(staff.locator("#queue-worker-list tr[data-worker='sandbox@e2e']")).to_be_visible()
        expect(staff.locator("#queue-workers-down")).to_have_count(0)

        # The worker is gone: a red notice, and the developer's page says no worker again.
        WorkerHeartbeat.objects.all().delete()
        staff.reload()
        expect(staff.locator("#queue-workers-down")).to_be_visible()
        expect(staff.locator("#queue-workers-down")).to_have_attribute("role", "alert")
    finally:
        staff_context.close()
    expect(note).to_have_attribute("data-workers", "down", timeout=10_000)

    # Cancelled while queued: no more waiting note.
    page.click("#job-cancel")
    expect(page.locator("#job-status")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#job-queue")).to_have_count(0)
