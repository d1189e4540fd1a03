import datetime

import pytest
from rest_framework.test import APIClient

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from core.storage import data_path
from scenarios.limits import effective_limits
from scenarios.models import ComputeDraw, JobStatus, WorkspaceStatus
from scenarios.sandbox import engine
from scenarios.services import jobs as svc
from scenarios.services.compute import compute_balance_seconds, compute_summary, voucher_grant
from scenarios.services.scenarios import scenario_transition, workspace_request
from scenarios.tasks import job_run
from scenarios.worker import jobs as worker_jobs
from tests.factories import admitted_developer, authorized_scenario, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def authorized(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path)


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    def submit(by, scenario, code, *, language="sql", dry_run=False, run=True, name=""):
        with django_capture_on_commit_callbacks(execute=run):
            job = svc.job_submit(
                by=by, scenario=scenario, language=language, code=code, dry_run=dry_run, name=name
            )
        job.refresh_from_db()
        return job

    return submit


def read(output) -> str:
    return data_path(output.path).read_text()


def test_a_job_is_named_by_its_first_comment_line_or_by_the_name_given(authorized, submit):
    """Lists show a job's name: the one given, else the code's first line if a comment
    (an output directive is no name)."""
    scenario, developer = authorized
    named = submit(developer, scenario, "-- 月度叶绿素均值\nSELECT 1 AS n", dry_run=True, run=False)
    assert named.name == "月度叶绿素均值"
    python = "\n# bloom model\nprint(1)"
    assert submit(developer, scenario, python, language="python", run=False).name == "bloom model"
    for code in ("SELECT 1 -- no name", "-- output: by_berth\nSELECT 1"):
        assert submit(developer, scenario, code, dry_run=True, run=False).name == ""
    given = submit(developer, scenario, "-- x\nSELECT 1", dry_run=True, run=False, name=" 周报 ")
    assert given.name == "周报"
    with pytest.raises(InvalidInput) as refused:
        submit(developer, scenario, "SELECT 1", dry_run=True, run=False, name="名" * 101)
    assert refused.value.field == "name"


def test_a_sql_job_saves_named_results_and_copies_into_the_output_folder(authorized, submit):
    scenario, developer = authorized
    code = (
        "-- output: by_berth\n"
        "SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth ORDER BY berth;\n"
        'COPY (SELECT vessel_type, count(*) AS n FROM "HY-0001" GROUP BY vessel_type)\n'
        "  TO '/output/types.parquet' (FORMAT parquet);\n"
    )
    job = submit(developer, scenario, code)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    outputs = {o.name: o for o in job.outputs.all()}
    assert sorted(outputs) == ["by_berth.csv", "stderr.txt", "stdout.txt", "types.parquet"]
    lines = read(outputs["by_berth.csv"]).splitlines()
    assert lines[0] == "berth,n" and len(lines) == 8  # seven berths
    assert sum(int(line.split(",")[1]) for line in lines[1:]) == 200
    assert job.cpu_seconds > 0 and job.peak_memory_bytes > 0 and job.wall_seconds > 0
    assert job.workspace.version == 1


def test_a_python_job_reads_tables_through_the_helper(authorized, submit):
    scenario, developer = authorized
    code = (
        "import workspace\n"
        "frame = workspace.table('HY-0001')\n"
        "print('rows', len(frame), workspace.tables())\n"
        "frame.groupby('vessel_type').size().to_csv('types.csv')\n"
    )
    job = submit(developer, scenario, code, language="python")
    assert job.status == JobStatus.SUCCEEDED, job.reason
    outputs = {o.name: o for o in job.outputs.all()}
    assert "rows 200 ['HY-0001']" in read(outputs["stdout.txt"])
    assert read(outputs["types.csv"]).startswith("vessel_type,")


def test_api_submit_follow_and_cancel(authorized, django_capture_on_commit_callbacks):
    scenario, developer = authorized
    client = APIClient()
    client.force_authenticate(developer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/scenarios/{scenario.pk}/jobs/",
            {"language": "sql", "code": "SELECT count(*) AS n FROM hy_0001"},
            format="json",
        )
    assert response.status_code == 201, response.data
    job_id = response.data["id"]
    body = client.get(f"/api/v1/jobs/{job_id}/").data
    assert body["status"] == "succeeded" and body["workspace_version"] == 1
    assert body["cpu_seconds"] > 0 and body["logs"] is None
    result = next(o for o in body["outputs"] if o["name"] == "result.csv")
    # Quarantined: no download, no SHA-256, the size rounded (both could carry data).
    assert result["download"] is None and result["sha256"] is None
    assert result["check_status"] == "pass"  # one cell of 200 vessels
    listed = client.get(f"/api/v1/scenarios/{scenario.pk}/jobs/").data["results"]
    assert [j["id"] for j in listed] == [job_id]
    refused = client.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert refused.status_code == 409 and "already" in refused.data["detail"]
    # A queued job is cancelled at once (its task never started here).
    queued = client.post(
        f"/api/v1/scenarios/{scenario.pk}/jobs/", {"language": "sql", "code": "SELECT 1"}
    ).data
    assert queued["status"] == "queued"
    cancelled = client.post(f"/api/v1/jobs/{queued['id']}/cancel/").data
    assert cancelled["status"] == "cancelled"
    bad = client.post(
        f"/api/v1/scenarios/{scenario.pk}/jobs/", {"language": "R", "code": "1"}, format="json"
    )
    assert bad.status_code == 400 and bad.data["field"] == "language"


def test_other_organizations_see_no_job(authorized, submit):
    scenario, developer = authorized
    job = submit(developer, scenario, "SELECT 1")
    _org, other = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    client = APIClient()
    client.force_authenticate(other)
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert client.post(f"/api/v1/jobs/{job.pk}/cancel/").status_code == 404
    submitted = client.post(
        f"/api/v1/scenarios/{scenario.pk}/jobs/", {"language": "sql", "code": "SELECT 1"}
    )
    assert submitted.status_code == 404
    with pytest.raises(PermissionRefused):
        svc.job_submit(by=other, scenario=scenario, language="sql", code="SELECT 1", dry_run=True)


def test_refusals_name_their_reason(authorized, submit, tmp_path):
    scenario, developer = authorized
    with pytest.raises(InvalidInput) as empty:
        submit(developer, scenario, "   ")
    assert empty.value.field == "code"
    operator = staff_user("op")
    scenario_transition(by=operator, scenario=scenario, action="suspend", reason="核查")
    with pytest.raises(Conflict, match="Suspended"):
        submit(developer, scenario, "SELECT 1")
    scenario_transition(by=operator, scenario=scenario, action="reinstate")
    admission = scenario.organization.admission
    admission.status = "suspended"
    admission.save()
    with pytest.raises(PermissionRefused, match="admission is Suspended: it cannot run jobs"):
        submit(developer, scenario, "SELECT 1")
    admission.status = "admitted"
    admission.save()
    scenario.workspaces.update(status=WorkspaceStatus.BUILDING)
    with pytest.raises(Conflict, match="workspace is not ready"):
        submit(developer, scenario, "SELECT 1")


def test_an_exhausted_balance_refuses_real_jobs_but_not_dry_runs(authorized, submit):
    scenario, developer = authorized
    job = submit(developer, scenario, "SELECT count(*) FROM hy_0001")
    assert ComputeDraw.objects.get(job=job).cpu_seconds == pytest.approx(job.cpu_seconds)
    assert compute_balance_seconds(scenario.organization) == pytest.approx(
        10 * 3600 - job.cpu_seconds
    )
    summary = compute_summary(scenario.organization)
    assert summary["monthly"][0]["jobs"] == 1
    scenario.organization.vouchers.update(valid_until=datetime.date.today() - datetime.timedelta(1))
    with pytest.raises(Conflict, match="compute balance is exhausted"):
        submit(developer, scenario, "SELECT 1")
    dry = submit(developer, scenario, "SELECT 1", dry_run=True)
    assert dry.status == JobStatus.SUCCEEDED and not ComputeDraw.objects.filter(job=dry).exists()


def test_vouchers_are_granted_by_operator_staff_only(authorized):
    scenario, developer = authorized
    organization = scenario.organization
    until = datetime.date.today() + datetime.timedelta(days=30)
    with pytest.raises(PermissionRefused):
        voucher_grant(by=developer, organization=organization, cpu_hours=5, valid_until=until,
                      reason="自己发")  # fmt: skip
    with pytest.raises(InvalidInput) as bad:
        voucher_grant(by=staff_user("op"), organization=organization, cpu_hours="-1",
                      valid_until=until, reason="x")  # fmt: skip
    assert bad.value.field == "cpu_hours"
    client = APIClient()
    client.force_authenticate(staff_user("op"))
    response = client.post(
        f"/api/v1/organizations/{organization.pk}/compute/",
        {"cpu_hours": "2.5", "valid_until": until.isoformat(), "reason": "季度补充"},
    )
    assert response.status_code == 201 and response.data["balance_hours"] == 12.5
    assert AuditEvent.objects.filter(action="compute.voucher_grant").count() == 2
    client.force_authenticate(developer)
    assert client.get(f"/api/v1/organizations/{organization.pk}/compute/").data[
        "balance_hours"
    ] == pytest.approx(12.5)


def test_a_dry_run_returns_logs_and_outputs_made_from_synthetic_data(authorized, submit):
    scenario, developer = authorized
    code = "import workspace\nframe = workspace.table('hy_0001')\nprint(frame.head(3))\n" + (
        "frame.to_csv('all.csv', index=False)\n"
    )
    job = submit(developer, scenario, code, language="python", dry_run=True)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    client = APIClient()
    client.force_authenticate(developer)
    body = client.get(f"/api/v1/jobs/{job.pk}/").data
    assert "mmsi" in body["logs"]["stdout"]
    output = next(o for o in body["outputs"] if o["name"] == "all.csv")
    download = client.get(output["download"])
    content = b"".join(download.streaming_content).decode()
    assert download.status_code == 200 and content.startswith("mmsi,")
    real = data_path(job.workspace.path) / "HY-0001.parquet"
    import duckdb

    real_pseudonyms = {
        row[0]
        for row in duckdb.sql(
            "SELECT mmsi FROM read_parquet($p)", params={"p": str(real)}
        ).fetchall()
    }
    assert not any(value in content for value in real_pseudonyms)
    assert "4120000" not in content  # no real MMSI either


def test_suspension_cancels_queued_jobs_and_running_ones_keep_their_workspace(
    authorized, submit, django_capture_on_commit_callbacks
):
    scenario, developer = authorized
    queued = submit(developer, scenario, "SELECT 1", run=False)
    running = submit(developer, scenario, "SELECT count(*) FROM hy_0001", run=False)
    worker_jobs.job_start(job_id=running.pk, worker="w1")
    with django_capture_on_commit_callbacks(execute=True):
        workspace_request(by=None, scenario=scenario)  # a newer catalog version
    assert scenario.workspaces.get(version=2).status == WorkspaceStatus.READY
    scenario_transition(by=staff_user("op"), scenario=scenario, action="suspend", reason="核查")
    queued.refresh_from_db()
    assert queued.status == JobStatus.CANCELLED
    assert queued.reason == "The scenario was suspended: 核查"
    assert AuditEvent.objects.filter(action="job.cancel", target_id=str(queued.pk)).exists()
    running.refresh_from_db()
    assert running.status == JobStatus.RUNNING and running.workspace.version == 1
    # The running job goes on to its end on the version it started on.
    worker_jobs.job_finish(
        job_id=running.pk,
        attempt=1,
        result=engine.RunResult(outcome="succeeded", cpu_seconds=0.5),
        outputs=[],
    )
    running.refresh_from_db()
    assert running.status == JobStatus.SUCCEEDED
    assert data_path(running.workspace.path).is_dir()  # version 1 kept


def test_a_job_keeps_the_workspace_version_it_was_submitted_on(
    authorized, submit, django_capture_on_commit_callbacks
):
    scenario, developer = authorized
    job = submit(developer, scenario, "SELECT count(*) AS n FROM hy_0001", run=False)
    with django_capture_on_commit_callbacks(execute=True):
        workspace_request(by=None, scenario=scenario)
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.workspace.version == 1
    newer = submit(developer, scenario, "SELECT 1")
    assert newer.workspace.version == 2


def test_the_reaper_requeues_once_then_fails_a_job_whose_worker_died(authorized, submit):
    scenario, developer = authorized
    job = submit(developer, scenario, "SELECT 1", run=False)
    worker_jobs.job_start(job_id=job.pk, worker="lost-worker")  # the worker then dies
    later = job.created_at + datetime.timedelta(hours=1)
    assert worker_jobs.jobs_reap(now=later) == 1  # requeued; its task runs after commit
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.attempts == 1
    worker_jobs.job_start(job_id=job.pk, worker="lost-again")
    assert worker_jobs.jobs_reap(now=later + datetime.timedelta(hours=1)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "worker running the job was lost" in job.reason
    assert list(
        AuditEvent.objects.filter(target_id=str(job.pk), action__startswith="job.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["job.submit", "job.start", "job.requeue", "job.start", "job.failed"]
    # A late delivery of the task does nothing to a finished job.
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_a_requeued_job_runs_again(authorized, submit, django_capture_on_commit_callbacks):
    scenario, developer = authorized
    job = submit(developer, scenario, "SELECT 1", run=False)
    worker_jobs.job_start(job_id=job.pk, worker="lost-worker")
    with django_capture_on_commit_callbacks(execute=True):
        worker_jobs.jobs_reap(now=job.created_at + datetime.timedelta(hours=1))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2


def test_without_bubblewrap_jobs_are_refused_unless_insecure_mode(
    authorized, submit, monkeypatch, settings
):
    scenario, developer = authorized
    monkeypatch.setattr(engine, "bwrap_path", lambda: None)
    job = submit(developer, scenario, "SELECT 1")
    assert job.status == JobStatus.FAILED and "bubblewrap is not installed" in job.reason
    settings.SANDBOX_INSECURE_DEV = True
    job = submit(developer, scenario, "SELECT count(*) AS n FROM hy_0001")
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert read(job.outputs.get(name="result.csv")) == "n\n200\n"


def test_too_many_output_files_fail_the_job_with_a_clear_error(authorized, submit, settings):
    scenario, developer = authorized
    settings.SANDBOX_MAX_OUTPUT_FILES = 3
    code = "for i in range(5):\n    open(f'part{i}.csv', 'w').write('x')\n"
    job = submit(developer, scenario, code, language="python")
    assert job.status == JobStatus.FAILED
    # the limit, never the count the job chose (it could be a number from the data)
    assert job.reason == "The job wrote more than 3 files, the most kept." and "5" not in job.reason
    assert sorted(o.name for o in job.outputs.all()) == ["stderr.txt", "stdout.txt"]


def test_a_cancelled_run_is_stopped_by_the_engine(tmp_path, settings):
    folder = tmp_path / "job"
    folder.mkdir()
    (tmp_path / "ws").mkdir()
    spec = engine.RunSpec(
        language="python",
        code="import time\ntime.sleep(30)\n",
        workspace=tmp_path / "ws",
        tables={},
        folder=folder,
        limits=dict(settings.SANDBOX_LIMITS),
        python=settings.SANDBOX_PYTHON,
        sandbox_uid=settings.SANDBOX_UID,
    )
    result = engine.run(spec, should_stop=lambda: True)
    assert result.outcome == "cancelled" and result.wall_seconds < 10


def test_a_type_cannot_raise_limits_past_the_platform_maxima(tmp_path, settings):
    from scenarios.services.types import scenario_type_propose
    from tests.factories import approved_type

    scenario_type, proposer = approved_type(tmp_path, sandbox_limits={"cpu_seconds": 30})
    limits = effective_limits(scenario_type)
    assert limits["cpu_seconds"] == 30
    assert limits["memory_mb"] == settings.SANDBOX_LIMITS["memory_mb"]
    with pytest.raises(InvalidInput) as refused:
        scenario_type_propose(
            by=proposer,
            scope={"HY-0001": ["berth"]},
            name="超限",
            purpose="x",
            output_kinds=["aggregate"],
            valid_from=datetime.date.today(),
            valid_until=datetime.date.today(),
            sandbox_limits={"cpu_seconds": 10**9},
        )
    assert refused.value.field == "sandbox_limits"


def test_a_private_data_root_is_made_traversable_for_the_sandbox(authorized, submit, settings):
    scenario, developer = authorized
    settings.DATA_ROOT.chmod(0o700)  # as Django creates it for private files
    job = submit(developer, scenario, "SELECT count(*) AS n FROM hy_0001")
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert settings.DATA_ROOT.stat().st_mode & 0o777 == 0o701  # traverse, never list


def test_a_sandbox_that_cannot_start_says_so_without_server_paths(
    authorized, submit, settings, caplog
):
    import shutil

    scenario, developer = authorized
    workspace = scenario.workspaces.get()
    shutil.rmtree(data_path(workspace.path))  # lost storage: bwrap cannot mount it
    job = submit(developer, scenario, "SELECT 1")
    assert job.status == JobStatus.FAILED
    assert job.reason == "The sandbox could not start; operator staff see the worker's log."
    stderr = read(job.outputs.get(kind="stderr"))
    assert str(settings.DATA_ROOT) not in stderr and "could not start" in stderr
    assert any(str(settings.DATA_ROOT) in record.getMessage() for record in caplog.records)


def test_an_organization_cannot_flood_the_queue(authorized, submit, settings):
    scenario, developer = authorized
    settings.SANDBOX_MAX_ACTIVE_JOBS = 2
    for _ in range(2):
        submit(developer, scenario, "SELECT 1", run=False)
    with pytest.raises(Conflict, match="2 jobs queued or running"):
        submit(developer, scenario, "SELECT 1", run=False)


def test_a_sandbox_python_under_tmp_is_mounted_over_the_private_tmp(tmp_path, settings):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    spec = engine.RunSpec(
        language="sql",
        code="SELECT 1",
        workspace=tmp_path,
        tables={},
        folder=tmp_path,
        limits=dict(settings.SANDBOX_LIMITS),
        python=str(venv / "bin" / "python"),
        sandbox_uid=settings.SANDBOX_UID,
    )
    command = engine._bwrap_command(spec, "/runner.py", "/job/spec.json", 3)
    private_tmp = command.index(engine.TMP, command.index("--tmpfs"))
    assert command.index(str(venv)) > private_tmp  # else /tmp hides it (a clone under /tmp)


def test_python_jobs_have_the_curated_environment(authorized, submit):
    scenario, developer = authorized
    code = (
        "import matplotlib.pyplot as plt, numpy, pandas, pyarrow, duckdb, sklearn, statsmodels\n"
        "import statsmodels.api as sm\n"
        "from sklearn.linear_model import LinearRegression\n"
        "import workspace\n"
        "frame = workspace.sql(\n"
        "    'SELECT hour(arrival_time) AS h, count(*) AS n FROM hy_0001 GROUP BY 1')\n"
        "LinearRegression().fit(frame[['h']], frame['n'])\n"
        "print(int(sm.OLS(frame['n'], sm.add_constant(frame['h'])).fit().df_resid))\n"
        "plt.bar(frame['h'], frame['n'])\n"
        "plt.savefig('hours.png')\n"
    )
    job = submit(developer, scenario, code, language="python", dry_run=True)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert read(job.outputs.get(name="stdout.txt")).strip().isdigit()
    assert data_path(job.outputs.get(name="hours.png").path).read_bytes()[:4] == b"\x89PNG"
