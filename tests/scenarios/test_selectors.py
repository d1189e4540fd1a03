"""What a queued job's page and API say about its wait, and the queue that operator staff
and auditors watch (page and API)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import WorkerHeartbeat
from core.workers import worker_beat
from scenarios.models import JobStatus
from scenarios.services import jobs as job_svc
from scenarios.worker import jobs as worker_jobs
from tenants.roles import PlatformRole
from tests.factories import authorized_scenario, staff_user

pytestmark = pytest.mark.django_db

NO_WORKER = "No worker is running: the job will start when one is."
NO_WORKER_ZH = "当前没有运行中的工作节点：计算任务将在有工作节点启动后开始。"
FREE_SLOT = "A worker is running: the job is waiting for a free slot."
FREE_SLOT_ZH = "工作节点正在运行：计算任务正在等待空闲的运行槽位。"
QUEUE_DOWN = "No sandbox worker is alive"
SQL = "SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth"


@pytest.fixture
def lab(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path)


@pytest.fixture
def second_lab(lab, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path, username="lab2", organization="航运研究所")


def queued(developer, scenario):
    """A job that stays queued: its message is never sent (no commit callbacks run)."""
    return job_svc.job_submit(
        by=developer, scenario=scenario, language="sql", code=SQL, dry_run=False
    )


def sandbox_worker_alive(hostname="sandbox@host1", queues=("sandbox",)):
    worker_beat(hostname=hostname, queues=list(queues), started_at=timezone.now())


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# A queued job's wait ---------------------------------------------------------------------


def test_a_queued_job_with_no_worker_says_so_on_its_page_and_api(client, lab):
    scenario, developer = lab
    job = queued(developer, scenario)
    client.force_login(developer)

    page = client.get(f"/scenarios/jobs/{job.pk}/").content.decode()
    live = client.get(f"/scenarios/jobs/{job.pk}/live/").content.decode()
    body = api(developer).get(f"/api/v1/jobs/{job.pk}/").json()

    for shown in (page, live):
        assert 'id="job-queue" data-workers="down"' in shown
        assert NO_WORKER in shown
        assert FREE_SLOT not in shown
    # Inside the live part, which screen readers hear (aria-live) and which is polled.
    assert page.index('aria-live="polite"') < page.index(NO_WORKER)
    assert body["status"] == "queued"
    assert body["queue"] == {"workers": "down", "ahead": 0, "note": NO_WORKER}


def test_a_queued_job_with_a_live_sandbox_worker_waits_for_a_free_slot(client, lab):
    scenario, developer = lab
    job = queued(developer, scenario)
    sandbox_worker_alive()
    client.force_login(developer)

    page = client.get(f"/scenarios/jobs/{job.pk}/").content.decode()
    body = api(developer).get(f"/api/v1/jobs/{job.pk}/").json()

    assert 'id="job-queue" data-workers="ok"' in page
    assert FREE_SLOT in page and NO_WORKER not in page
    assert body["queue"] == {"workers": "ok", "ahead": 0, "note": FREE_SLOT}


def test_a_stale_heartbeat_or_a_general_worker_only_counts_as_no_worker(client, lab):
    scenario, developer = lab
    job = queued(developer, scenario)
    sandbox_worker_alive("general@host1", queues=("celery",))
    sandbox_worker_alive("sandbox@host2")
    WorkerHeartbeat.objects.filter(hostname="sandbox@host2").update(
        seen_at=timezone.now() - timedelta(seconds=60)
    )

    body = api(developer).get(f"/api/v1/jobs/{job.pk}/").json()

    assert body["queue"]["workers"] == "down"
    assert body["queue"]["note"] == NO_WORKER


def test_a_queued_job_counts_its_organizations_earlier_jobs_ahead(client, lab, second_lab):
    scenario, developer = lab
    other_scenario, other_developer = second_lab
    queued(other_developer, other_scenario)  # another organization's: not counted
    first = queued(developer, scenario)
    second = queued(developer, scenario)
    sandbox_worker_alive()
    client.force_login(developer)

    page = client.get(f"/scenarios/jobs/{second.pk}/").content.decode()

    assert api(developer).get(f"/api/v1/jobs/{first.pk}/").json()["queue"]["ahead"] == 0
    assert api(developer).get(f"/api/v1/jobs/{second.pk}/").json()["queue"]["ahead"] == 1
    assert "1 job of the same organization, submitted earlier, starts before it." in page


def test_a_job_no_longer_queued_has_no_queue_note(client, lab):
    scenario, developer = lab
    job = job_svc.job_cancel(by=developer, job=queued(developer, scenario))
    assert job.status == JobStatus.CANCELLED
    client.force_login(developer)

    page = client.get(f"/scenarios/jobs/{job.pk}/").content.decode()

    assert api(developer).get(f"/api/v1/jobs/{job.pk}/").json()["queue"] is None
    assert 'id="job-queue"' not in page and NO_WORKER not in page


def test_the_chinese_job_page_says_no_worker_in_chinese(client, lab, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    scenario, developer = lab
    job = queued(developer, scenario)
    queued(developer, scenario)
    later = queued(developer, scenario)
    client.force_login(developer)

    page = client.get(f"/scenarios/jobs/{later.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = page.content.decode()
    body = api(developer).get(f"/api/v1/jobs/{job.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    assert NO_WORKER_ZH in page and NO_WORKER not in page
    assert "同一机构更早提交的 2 个计算任务将先于它开始。" in page
    assert "submitted earlier" not in page
    assert body["queue"]["note"] == NO_WORKER_ZH
    sandbox_worker_alive()
    page = client.get(f"/scenarios/jobs/{job.pk}/live/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert FREE_SLOT_ZH in page.content.decode()


# The queue, for operator staff and auditors ----------------------------------------------


@pytest.fixture
def busy(lab, second_lab):
    """The first organization: one job running, one queued; the second: two queued; one
    sandbox worker and one general worker alive."""
    scenario, developer = lab
    other_scenario, other_developer = second_lab
    queued(developer, scenario)
    queued(developer, scenario)
    # the fairest: the first lab's
    started = worker_jobs.job_start(job_id=0, worker="sandbox@host1")
    assert started.scenario_id == scenario.pk
    queued(other_developer, other_scenario)
    queued(other_developer, other_scenario)
    sandbox_worker_alive("sandbox@host1")
    sandbox_worker_alive("general@host1", queues=("celery",))
    return scenario.organization, other_scenario.organization


def test_operator_staff_see_the_queue_per_organization_and_the_workers(client, busy):
    first, second = busy
    staff = staff_user("op")
    client.force_login(staff)

    page = client.get("/jobs/queue/").content.decode()
    body = api(staff).get("/api/v1/jobs/queue/").json()

    assert 'id="queue-queued">3<' in page
    assert 'id="queue-running">1<' in page
    assert 'id="queue-workers">2<' in page
    assert (
        f'<tr data-organization="{first.pk}"><td>{first.name}</td>'
        '<td data-running="1">1</td><td data-queued="1">1</td></tr>'
    ) in page
    assert (
        f'<tr data-organization="{second.pk}"><td>{second.name}</td>'
        '<td data-running="0">0</td><td data-queued="2">2</td></tr>'
    ) in page
    assert 'data-worker="sandbox@host1"' in page and 'data-worker="general@host1"' in page
    assert QUEUE_DOWN not in page and 'id="queue-workers-down"' not in page
    assert body["queued"] == 3 and body["running"] == 1
    assert body["oldest_queued_seconds"] >= 0
    assert body["sandbox_workers_ok"] is True
    assert body["running_by_organization"] == [
        {"organization_id": first.pk, "organization": first.name, "running": 1, "queued": 1},
        {"organization_id": second.pk, "organization": second.name, "running": 0, "queued": 2},
    ]
    workers = {worker["hostname"]: worker for worker in body["workers"]}
    assert workers["sandbox@host1"]["queues"] == ["sandbox"]
    assert workers["general@host1"]["queues"] == ["celery"]
    assert 0 <= workers["sandbox@host1"]["seen_seconds_ago"] < 30


def test_the_queue_says_in_red_when_no_sandbox_worker_is_alive(client, lab):
    scenario, developer = lab
    queued(developer, scenario)
    sandbox_worker_alive("general@host1", queues=("celery",))
    auditor = staff_user("auditor", PlatformRole.AUDITOR)
    client.force_login(auditor)

    page = client.get("/jobs/queue/").content.decode()
    body = api(auditor).get("/api/v1/jobs/queue/").json()

    assert 'class="insecure-banner" role="alert" id="queue-workers-down"' in page
    assert QUEUE_DOWN in page
    assert body["sandbox_workers_ok"] is False and body["queued"] == 1


def test_an_empty_queue_with_no_worker_at_all(client):
    staff = staff_user("op")
    client.force_login(staff)

    page = client.get("/jobs/queue/").content.decode()
    body = api(staff).get("/api/v1/jobs/queue/").json()

    assert "No job is queued or running." in page and "No worker is alive." in page
    assert 'id="queue-oldest">–<' in page
    assert body == {
        "queued": 0,
        "running": 0,
        "oldest_queued_seconds": None,
        "running_by_organization": [],
        "workers": [],
        "sandbox_workers_ok": False,
    }


def test_the_menu_links_the_queue_for_operator_staff_and_auditors_only(client, lab):
    _scenario, developer = lab
    for user, shown in (
        (staff_user("op"), True),
        (staff_user("auditor", PlatformRole.AUDITOR), True),
        (staff_user("reviewer1", PlatformRole.REVIEWER), False),
        (developer, False),
    ):
        client.force_login(user)
        assert ('href="/jobs/queue/"' in client.get("/").content.decode()) is shown, user


def test_a_developer_and_a_reviewer_cannot_reach_the_queue(client, lab):
    scenario, developer = lab
    queued(developer, scenario)
    for user in (developer, staff_user("reviewer1", PlatformRole.REVIEWER)):
        client.force_login(user)
        assert client.get("/jobs/queue/").status_code == 404
        response = api(user).get("/api/v1/jobs/queue/")
        assert response.status_code == 404
        assert "queued" not in response.json()
    client.logout()
    assert client.get("/jobs/queue/").status_code == 302  # to the login page
    assert APIClient().get("/api/v1/jobs/queue/").status_code in (401, 403)


def test_the_chinese_queue_page_has_no_english_left(client, busy, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(staff_user("op"))

    page = client.get("/jobs/queue/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    for chinese in ("计算任务队列", "排队的计算任务", "各机构的计算任务", "存活的工作节点", "秒前"):
        assert chinese in page
    for english in ("Job queue", "Queued jobs", "Workers alive", "Last seen", "s ago", "Refresh"):
        assert english not in page
