"""The portal's job and compute pages: thin over the selectors and services."""

import datetime
import html

import pytest

from scenarios.jobreasons import say
from scenarios.models import Job, JobOutputKind, JobStatus
from scenarios.services.jobs import job_cancel
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, authorized_scenario, staff_user

pytestmark = pytest.mark.django_db

DRY_RUN = (
    "import workspace\n"
    "vessels = workspace.table('HY-0001')\n"
    "print('rows seen:', len(vessels))\n"
    "vessels.groupby('berth').size().to_csv(workspace.OUTPUT / 'by_berth.csv')\n"
)
REAL = "SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth ORDER BY berth"


@pytest.fixture
def lab(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path)


def submit(client, scenario, capture, **data):
    """Post the scenario page's job form; the job runs to its end after commit."""
    with capture(execute=True):
        return client.post(f"/scenarios/{scenario.pk}/jobs/new/", data)


def test_the_scenario_page_offers_the_job_form_to_its_members(client, lab):
    scenario, developer = lab
    client.force_login(developer)

    page = client.get(f"/scenarios/{scenario.pk}/").content.decode()

    assert 'id="job-form"' in page
    assert f'action="/scenarios/{scenario.pk}/jobs/new/"' in page
    assert "No job yet." in page


def test_a_dry_run_submitted_through_the_portal_shows_its_stdout_and_output(
    client, lab, django_capture_on_commit_callbacks
):
    scenario, developer = lab
    client.force_login(developer)

    response = submit(
        client,
        scenario,
        django_capture_on_commit_callbacks,
        language="python",
        code=DRY_RUN,
        dry_run="on",
    )

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/scenarios/jobs/{job.pk}/"
    assert job.dry_run and job.status == JobStatus.SUCCEEDED, job.reason
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="succeeded"' in page
    assert 'data-finished="yes"' in page
    assert "rows seen:" in page  # stdout, inline
    assert "import workspace" in page  # the code
    output = job.outputs.get(name="by_berth.csv")
    assert f'href="/scenarios/jobs/{job.pk}/outputs/{output.pk}/"' in page
    assert output.sha256 in page
    download = client.get(f"/scenarios/jobs/{job.pk}/outputs/{output.pk}/")
    assert download.status_code == 200
    assert b"berth" in b"".join(download.streaming_content)
    listing = client.get(f"/scenarios/{scenario.pk}/").content.decode()
    assert f'href="/scenarios/jobs/{job.pk}/"' in listing


def test_a_real_jobs_outputs_stay_in_quarantine(client, lab, django_capture_on_commit_callbacks):
    scenario, developer = lab
    client.force_login(developer)

    submit(client, scenario, django_capture_on_commit_callbacks, language="sql", code=REAL)

    job = Job.objects.get()
    assert not job.dry_run and job.status == JobStatus.SUCCEEDED, job.reason
    page = client.get(f"/scenarios/jobs/{job.pk}/").content.decode()
    assert "In quarantine until released" in page
    assert f"/scenarios/jobs/{job.pk}/outputs/" not in page and "/download/" not in page
    assert 'id="job-stdout"' not in page
    for output in job.outputs.all():
        assert output.sha256 not in page  # shown once released
        assert client.get(f"/scenarios/jobs/{job.pk}/outputs/{output.pk}/").status_code == 404
    assert job.outputs.filter(kind=JobOutputKind.FILE, name="result.csv").exists()


def test_a_refused_job_keeps_the_code_on_the_form(client, lab):
    scenario, developer = lab
    client.force_login(developer)

    response = client.post(
        f"/scenarios/{scenario.pk}/jobs/new/", {"language": "cobol", "code": "SELECT 1"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "errorlist" in page and "SELECT 1" in page
    assert not Job.objects.exists()


def test_a_queued_job_is_polled_and_can_be_cancelled(client, lab):
    scenario, developer = lab
    client.force_login(developer)
    # Without the commit callbacks run, the job stays queued.
    client.post(f"/scenarios/{scenario.pk}/jobs/new/", {"language": "sql", "code": REAL})
    job = Job.objects.get()

    page = client.get(f"/scenarios/jobs/{job.pk}/").content.decode()
    live = client.get(f"/scenarios/jobs/{job.pk}/live/")

    polled = f'data-live-src="/scenarios/jobs/{job.pk}/live/"'
    assert 'data-status="queued"' in page and polled in page
    assert 'id="job-cancel"' in page
    assert live.status_code == 200
    assert 'data-finished="no"' in live.content.decode()
    assert "<html" not in live.content.decode()

    response = client.post(f"/scenarios/jobs/{job.pk}/cancel/", follow=True)

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    page = response.content.decode()
    assert 'data-status="cancelled"' in page
    assert 'id="job-cancel"' not in page and "data-live-src" not in page


def test_another_organizations_member_does_not_find_the_job(
    client, lab, django_capture_on_commit_callbacks
):
    scenario, developer = lab
    client.force_login(developer)
    submit(
        client,
        scenario,
        django_capture_on_commit_callbacks,
        language="sql",
        code=REAL,
        dry_run="on",
    )
    job = Job.objects.get()
    output = job.outputs.first()
    _org, other = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    client.force_login(other)

    assert client.get(f"/scenarios/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/scenarios/jobs/{job.pk}/live/").status_code == 404
    assert client.get(f"/scenarios/jobs/{job.pk}/outputs/{output.pk}/").status_code == 404
    assert client.post(f"/scenarios/jobs/{job.pk}/cancel/").status_code == 404
    assert client.get(f"/scenarios/{scenario.pk}/jobs/new/").status_code == 404


def test_staff_grant_a_voucher_through_the_form_and_the_balance_shows(client, lab):
    scenario, developer = lab
    organization = scenario.organization
    client.force_login(staff_user("op"))
    assert f'href="/organizations/{organization.pk}/compute/"' in (
        client.get("/compute/").content.decode()
    )

    response = client.post(
        f"/organizations/{organization.pk}/compute/",
        {
            "cpu_hours": "5",
            "valid_until": str(datetime.date.today() + datetime.timedelta(days=30)),
            "reason": "课题算力补贴",
        },
    )

    assert response.status_code == 302
    page = client.get(f"/organizations/{organization.pk}/compute/").content.decode()
    assert 'id="compute-balance" data-hours="15.0"' in page
    assert "课题算力补贴" in page and 'id="voucher-form"' in page

    client.force_login(developer)
    assert client.get("/compute/")["Location"] == f"/organizations/{organization.pk}/compute/"
    own = client.get(f"/organizations/{organization.pk}/compute/").content.decode()
    assert "课题算力补贴" in own and 'id="voucher-form"' not in own
    refused = client.post(
        f"/organizations/{organization.pk}/compute/",
        {"cpu_hours": "99", "valid_until": "2099-01-01", "reason": "自己给自己"},
    )
    assert refused.status_code == 403
    assert organization.vouchers.count() == 2


def test_a_voucher_refused_by_the_service_shows_on_the_form(client, lab):
    scenario, _developer = lab
    client.force_login(staff_user("op"))

    response = client.post(
        f"/organizations/{scenario.organization.pk}/compute/",
        {
            "cpu_hours": "5",
            "valid_from": str(datetime.date.today()),
            "valid_until": str(datetime.date.today() - datetime.timedelta(days=1)),
            "reason": "倒置的有效期",
        },
    )

    assert response.status_code == 200
    assert "The voucher must end on or after its start." in response.content.decode()


def test_auditors_see_any_compute_page_and_other_members_do_not(client, lab):
    scenario, _developer = lab
    url = f"/organizations/{scenario.organization.pk}/compute/"
    client.force_login(staff_user("auditor", PlatformRole.AUDITOR))
    page = client.get(url)
    assert page.status_code == 200 and 'id="voucher-form"' not in page.content.decode()

    _org, other = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    client.force_login(other)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("insecure", [True, False])
def test_the_red_banner_shows_only_in_insecure_mode(client, settings, insecure):
    settings.SANDBOX_INSECURE_DEV = insecure

    page = client.get("/").content.decode()

    assert ('id="insecure-banner"' in page) is insecure
    assert ("jobs run WITHOUT the sandbox" in page) is insecure


def test_a_finished_job_page_updates_itself_until_its_outputs_are_checked(
    client, lab, django_capture_on_commit_callbacks
):
    scenario, developer = lab
    client.force_login(developer)
    submit(client, scenario, django_capture_on_commit_callbacks, language="sql", code=REAL)
    job = Job.objects.get()
    output = job.outputs.get(name="result.csv")
    checked = output.check_status
    job.outputs.update(check_status="pending")  # the check task has not run yet

    waiting = client.get(f"/scenarios/jobs/{job.pk}/").content.decode()
    assert (
        'data-finished="no"' in waiting
        and f'data-live-src="/scenarios/jobs/{job.pk}/live/"' in waiting
    )
    assert "data-request-release" not in waiting

    job.outputs.update(check_status=checked)
    live = client.get(f"/scenarios/jobs/{job.pk}/live/").content.decode()
    assert 'data-finished="yes"' in live  # the page stops polling, showing the release action
    assert f'?output={output.pk}" data-request-release="result.csv"' in live
    assert 'id="job-run-real"' not in live  # a real job


def test_a_dry_run_offers_its_code_on_real_data_and_previews_its_table(
    client, lab, django_capture_on_commit_callbacks
):
    scenario, developer = lab
    client.force_login(developer)
    code = DRY_RUN + "print('<b>x</b>')\n"
    submit(
        client,
        scenario,
        django_capture_on_commit_callbacks,
        language="python",
        code=code,
        dry_run="on",
    )
    job = Job.objects.get()

    page = client.get(f"/scenarios/jobs/{job.pk}/").content.decode()

    assert 'data-preview="by_berth.csv"' in page and "<th>berth</th>" in page
    assert "<b>x</b>" not in page  # escaped
    form = page.split('id="job-run-real"')[1].split("</form>")[0]
    assert 'name="language" value="python"' in form and 'name="dry_run"' not in form
    response = submit(
        client,
        scenario,
        django_capture_on_commit_callbacks,
        language="python",
        code=html.unescape(form.split('name="code" value="')[1].split('"')[0]),
    )
    real = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == f"/scenarios/jobs/{real.pk}/"
    assert not real.dry_run and real.code == code


def test_the_compute_page_lists_each_organizations_balance(client, lab):
    scenario, _developer = lab
    client.force_login(staff_user("op"))

    page = client.get("/compute/").content.decode()

    row = page[page.index(f'data-organization="{scenario.organization.pk}"') :]
    assert 'data-balance="10.0"' in row[: row.index("</tr>")]


def _ended(scenario, developer, status, *, reason: str = "", **said) -> Job:
    """A job that ended: its reason said by code (``said``), or an old record's sentence."""
    job = Job.objects.create(
        scenario=scenario,
        workspace=scenario.workspaces.get(),
        submitted_by=developer,
        language="python",
        code="print(1)",
        status=status,
        reason=reason,
    )
    if said:
        job.reason_set(say(said.pop("code"), **said))
        job.save()
    return job


def test_a_failed_jobs_reason_reads_in_the_readers_language(client, lab, settings):
    scenario, developer = lab
    jobs = {
        _ended(scenario, developer, JobStatus.KILLED, code="memory_limit", mb=512): (
            "Stopped at the memory limit of 512 MB.",
            "已在内存上限 512 MB 处停止。",
        ),
        _ended(
            scenario, developer, JobStatus.FAILED, code="error_line", error="KeyError", line=4
        ): (
            "KeyError at line 4.",
            "计算任务在第 4 行出错：KeyError。",
        ),
        _ended(scenario, developer, JobStatus.FAILED, code="too_many_files", max=3): (
            "The job wrote more than 3 files, the most kept.",
            "计算任务写出的文件超过 3 个（可保留的上限）。",
        ),
        # old records: an English sentence, and one a worker wrote in Chinese
        _ended(scenario, developer, JobStatus.KILLED, reason="Stopped at the CPU time limit."): (
            "Stopped at the CPU time limit.",
            "已在 CPU 时间上限处停止。",
        ),
        _ended(scenario, developer, JobStatus.CANCELLED, reason="由 lab 取消。"): (
            "Cancelled by lab.",
            "由 lab 取消。",
        ),
    }
    queued = _ended(scenario, developer, JobStatus.QUEUED)
    jobs[job_cancel(by=developer, job=queued)] = ("Cancelled by lab.", "由 lab 取消。")
    client.force_login(developer)
    for job, (english, chinese) in jobs.items():
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        page = html.unescape(client.get(f"/scenarios/jobs/{job.pk}/").content.decode())
        assert f'<dd id="job-reason">{chinese}</dd>' in page
        assert english not in page and "line 4" not in page
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = html.unescape(client.get(f"/scenarios/jobs/{job.pk}/").content.decode())
        assert f'<dd id="job-reason">{english}</dd>' in page
        # The API keeps the English sentence and words it in the request's language.
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]
        body = client.get(f"/api/v1/jobs/{job.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
        assert (body["reason"], body["reason_text"]) == (job.reason, chinese)
