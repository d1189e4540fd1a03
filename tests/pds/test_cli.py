"""``pds`` against a live server started from the checkout: login, workspace pull, local
runs, submissions followed to the end, cancel, release and fetch. Jobs run inside the
request that submits them (eager tasks, tests/conftest.py)."""

import json
import os
import re
import stat
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from pds.cli import main
from pds.client import Client, PdsError, config_path
from scenarios.dataservices.quotas import quota_set
from scenarios.models import Job, JobOutput, JobStatus, ReleaseRequest
from scenarios.services.releases import release_review
from tenants.roles import PlatformRole
from tests.factories import (
    PASSWORD,
    authorized_scenario,
    developer,
    serviced_scenario,
    staff_user,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BY_TYPE = (
    "-- output: by_type\nSELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type\n"
)
PYTHON = """\
import workspace

frame = workspace.table("HY-0001")
counts = frame.groupby("berth").size().rename("n").reset_index()
counts.to_csv(workspace.OUTPUT / "by_berth.csv", index=False)
print("berths:", len(counts))
"""


@pytest.fixture
def pds(capsys, tmp_path, monkeypatch):
    """Runs the command line in this process: (exit code, stdout, stderr)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("PDS_PASSWORD", raising=False)
    monkeypatch.delenv("PDS_PYTHON", raising=False)

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def lab(tmp_path, live_server, pds):
    """An authorized scenario, its developer logged in through `pds login`."""
    scenario, _developer = authorized_scenario(tmp_path, username="xmu_lab")
    code, out, _err = pds(
        "login", "--url", live_server.url, "--username", "xmu_lab", "--password", PASSWORD
    )
    assert code == 0 and "logged in" in out
    return scenario


def job_file(tmp_path, name, code):
    path = tmp_path / name
    path.write_text(code)
    return path


def test_the_client_imports_nothing_of_the_server():
    """A notebook imports the client without Django or the platform's packages."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, pds, pds.cli; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    server = {"django", "config", "core", "tenants", "operation", "scenarios", "demo"}
    assert not {name.split(".")[0] for name in loaded} & server


def test_login_keeps_the_token_in_the_users_config_only(live_server, tmp_path, pds, monkeypatch):
    authorized_scenario(tmp_path, username="xmu_lab")
    code, _out, err = pds("scenarios")
    assert code == 3 and "not logged in" in err

    code, _out, err = pds(
        "login", "--url", live_server.url, "--username", "xmu_lab", "--password", "wrong"
    )
    assert code == 1 and "refused" in err
    assert not config_path().exists()

    monkeypatch.setenv("PDS_PASSWORD", PASSWORD)
    code, out, _err = pds("login", "--url", live_server.url, "--username", "xmu_lab")
    assert code == 0 and "as xmu_lab" in out
    path = config_path()
    assert path.is_relative_to(tmp_path / "config")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["url"] == live_server.url
    assert Client.from_config().me()["username"] == "xmu_lab"

    # The console script's module, in a process of its own, reads the same config.
    answer = subprocess.run(
        [sys.executable, "-m", "pds", "scenarios", "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")},
    )
    assert answer.returncode == 0, answer.stderr
    assert [s["name"] for s in json.loads(answer.stdout)] == ["厦门港拥堵分析"]


def test_logout_ends_the_token_on_the_server_and_removes_it_from_the_config(live_server, pds):
    from rest_framework.authtoken.models import Token

    from core.models import AuditEvent

    developer("海洋实验室", "xmu_lab")
    login = ("login", "--url", live_server.url, "--username", "xmu_lab", "--password", PASSWORD)
    assert pds(*login)[0] == 0
    token = json.loads(config_path().read_text())["token"]

    code, out, _err = pds("logout")

    assert code == 0 and "logged out of" in out
    assert json.loads(config_path().read_text()) == {"url": live_server.url}
    assert not Token.objects.filter(user__username="xmu_lab").exists()
    assert AuditEvent.objects.filter(action="token.revoke", actor_username="xmu_lab").exists()
    with pytest.raises(PdsError) as refused:
        Client(live_server.url, token).me()
    assert refused.value.code == 3
    code, _out, err = pds("scenarios")
    assert code == 3 and "not logged in" in err
    code, out, _err = pds("logout")
    assert code == 0 and "not logged in" in out

    # A token the server ended already (a password change) is removed all the same.
    assert pds(*login)[0] == 0
    Token.objects.filter(user__username="xmu_lab").delete()
    code, out, _err = pds("logout")
    assert code == 0 and "logged out" in out
    assert "token" not in json.loads(config_path().read_text())


def test_logout_keeps_the_token_while_the_server_cannot_end_it(live_server, pds):
    developer("海洋实验室", "xmu_lab")
    assert (
        pds("login", "--url", live_server.url, "--username", "xmu_lab", "--password", PASSWORD)[0]
        == 0
    )
    config = json.loads(config_path().read_text())
    config_path().write_text(json.dumps({**config, "url": "http://127.0.0.1:9"}))

    code, _out, err = pds("logout")

    assert code == 6 and "server unreachable" in err and "still valid" in err
    assert json.loads(config_path().read_text())["token"] == config["token"]


def test_listings_as_text_and_json_and_clear_errors(lab, live_server, pds, monkeypatch):
    code, out, _err = pds("scenarios")
    assert code == 0 and "厦门港拥堵分析" in out and "ready" in out
    code, out, _err = pds("scenarios", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == lab.pk

    code, _out, err = pds("jobs", "--scenario", "9999")
    assert code == 4 and "no such scenario: 9999" in err
    code, _out, err = pds("jobs", "--scenario", "没有这个场景")
    assert code == 4 and "no such scenario" in err
    code, out, _err = pds("jobs", "--scenario", "厦门港拥堵分析", "--json")
    assert code == 0 and json.loads(out) == []

    # The server's words in the user's language.
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    code, _out, err = pds("cancel", 9999)
    assert code == 4 and "未找到" in err
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    code, _out, err = pds("cancel", 9999)
    assert code == 4 and "Not found" in err

    config = json.loads(config_path().read_text())
    config_path().write_text(json.dumps({**config, "url": "http://127.0.0.1:9"}))
    code, _out, err = pds("scenarios")
    assert code == 6 and "server unreachable" in err


def test_pull_then_run_locally_gives_what_a_dry_run_gives(lab, tmp_path, pds, settings):
    folder = tmp_path / "ws"
    code, out, _err = pds("workspace", "pull", lab.pk, "--dir", folder)
    assert code == 0 and "HY-0001" in out
    assert pq.read_schema(folder / "HY-0001.parquet").names == [
        "mmsi",
        "vessel_type",
        "berth",
        "arrival_time",
    ]
    readme = (folder / "README.md").read_text()
    assert "## HY-0001" in readme and "`vessel_type`" in readme

    # SQL, on the last workspace pulled: the same file as the dry run's on the server.
    sql = job_file(tmp_path, "by_type.sql", BY_TYPE)
    code, out, _err = pds("run", sql)
    assert code == 0 and "by_type.csv" in out
    local = (folder / "output" / "by_type.csv").read_bytes()
    code, out, _err = pds("submit", sql, "--scenario", lab.pk, "--dry-run", "--wait", "--json")
    assert code == 0
    dry_run = json.loads(out)
    remote = next(o for o in dry_run["outputs"] if o["name"] == "by_type.csv")
    assert Client.from_config().download(remote["download"])[1] == local

    # Python, with workspace.table and workspace.OUTPUT, in the sandbox's Python (named
    # by a path relative to where pds runs, as in `--python .sandbox-venv/bin/python`).
    script = job_file(tmp_path, "by_berth.py", PYTHON)
    python = os.path.relpath(settings.SANDBOX_PYTHON)
    code, out, _err = pds("run", script, "--dir", folder, "--python", python, "--json")
    assert code == 0, out
    assert json.loads(out)["files"] == ["by_berth.csv"]
    assert (folder / "output" / "by_berth.csv").read_text().startswith("berth,n\n")

    # A folder of the user's is never emptied.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    code, _out, err = pds("run", sql, "--out", tmp_path / "mine")
    assert code == 1 and "give a new or empty folder" in err
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"

    broken = job_file(tmp_path, "broken.sql", "SELECT 1;\nSELECT * FROM no_such_table;\n")
    code, _out, err = pds("run", broken)
    assert code == 1 and "CatalogException at line 2" in err


def test_submit_and_wait_follows_the_job_and_exits_as_it_ends(lab, tmp_path, pds, monkeypatch):
    sql = job_file(tmp_path, "by_type.sql", BY_TYPE)
    code, out, _err = pds("submit", sql, "--scenario", lab.pk, "--name", "by type", "--wait")
    assert code == 0, out
    assert "(by type) submitted" in out and "succeeded" in out
    output = JobOutput.objects.get(name="by_type.csv")
    assert output.job.name == "by type"  # stored: the portal's and the API's lists show it
    assert f"{output.pk}  by_type.csv  pass (" in out
    assert "stdout.txt  review (QueryShapeCheck review)" in out

    # A dry run's logs come back with it.
    script = job_file(tmp_path, "by_berth.py", PYTHON)
    code, out, _err = pds("submit", script, "--scenario", lab.pk, "--dry-run", "--wait")
    assert code == 0 and "berths: " in out and "(dry run: synthetic, no checks)" in out

    code, out, _err = pds("outputs", output.job_id)
    assert code == 0 and "by_type.csv" in out and "pass" in out
    code, out, _err = pds("jobs", "--json")
    assert [(job["dry_run"], job["status"]) for job in json.loads(out)] == [
        (False, "succeeded"),
        (True, "succeeded"),
    ]

    broken = job_file(tmp_path, "broken.py", "import workspace\nworkspace.table('nope')\n")
    code, out, err = pds("submit", broken, "--scenario", lab.pk, "--wait")
    assert code == 1
    job = Job.objects.latest("pk")
    assert f"job {job.pk}: failed" in out and f"job {job.pk} failed: KeyError at line 2." in err
    # Under a Chinese locale, the server's reason comes in Chinese.
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    code, out, err = pds("submit", broken, "--scenario", lab.pk, "--wait")
    assert code == 1
    assert "failed: 计算任务在第 2 行出错：KeyError。" in err
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    code, _out, err = pds("logs", job.pk)
    assert code == 0 and "outputs in quarantine until released" in err


def test_a_queued_job_counts_against_the_limit_until_cancelled(
    lab, tmp_path, pds, monkeypatch, settings
):
    # No worker takes it: the broker "did not answer", so it stays queued.
    monkeypatch.setattr(
        "scenarios.services.jobs.job_dispatch", lambda job_id, scenario_id=None: False
    )
    settings.SANDBOX_MAX_ACTIVE_JOBS = 1
    sql = job_file(tmp_path, "by_type.sql", BY_TYPE)
    code, out, _err = pds("submit", sql, "--scenario", lab.pk)
    assert code == 0 and "queued" in out
    code, _out, err = pds("submit", sql, "--scenario", lab.pk)
    assert code == 1 and "has 1 jobs queued or running; wait for some to end" in err
    job = Job.objects.get()
    code, out, _err = pds("cancel", job.pk)
    assert code == 0 and f"job {job.pk}: cancelled" in out
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_a_released_output_is_fetched_and_an_unreleased_one_refused(lab, tmp_path, pds):
    sql = job_file(tmp_path, "by_type.sql", BY_TYPE)
    assert pds("submit", sql, "--scenario", lab.pk, "--wait")[0] == 0
    by_type = JobOutput.objects.get(name="by_type.csv")
    stdout = by_type.job.outputs.get(kind="stdout")

    code, _out, err = pds("fetch", by_type.pk, "--out", tmp_path)
    assert code == 4 and "only released outputs" in err
    assert not (tmp_path / "by_type.csv").exists()

    code, out, _err = pds(
        "release", by_type.pk, "--context", "按船舶类型统计", "--controls", "每类至少50艘"
    )
    assert code == 0 and "submitted: by_type.csv" in out
    request = ReleaseRequest.objects.get()
    for name in ("reviewer1", "reviewer2"):
        release_review(
            by=staff_user(name, PlatformRole.REVIEWER), request=request, decision="approve"
        )

    code, out, _err = pds("fetch", by_type.pk, "--out", f"{tmp_path}/results/")
    assert code == 0
    content = (tmp_path / "results" / "by_type.csv").read_bytes()
    assert content.startswith(b"vessel_type,n\n") and "集装箱船,50".encode() in content
    code, _out, err = pds("fetch", stdout.pk)
    assert code == 4 and "only released outputs" in err


def test_a_spent_quota_exits_5_with_the_wait_and_the_servers_words(
    tmp_path, live_server, pds, monkeypatch
):
    scenario, _developer, definition, secret = serviced_scenario(tmp_path, username="xmu_lab")
    quota_set(
        by=staff_user("op"),
        organization=scenario.organization,
        service=definition.service,
        calls_per_day=1,
    )
    code, _out, _err = pds(
        "login", "--url", live_server.url, "--username", "xmu_lab", "--password", PASSWORD
    )
    assert code == 0  # the server's address for `pds call`
    monkeypatch.setenv("PDS_API_KEY", secret)

    code, out, err = pds("call", "berth-traffic", "period=2025-03-01/2025-03-31", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["columns"]  # served, within the quota

    code, out, err = pds("call", "berth-traffic", "period=2025-03-01/2025-03-31")

    assert code == 5 and out == ""
    # One line of pds (the rest of stderr is the live server's own log, in this process),
    # with the server's words and the wait of its Retry-After header.
    (line,) = [line for line in err.splitlines() if line.startswith("pds: ")]
    assert line.startswith("pds: quota or rate limit reached: ")
    assert "daily quota of 1 calls to berth-traffic" in line
    assert re.search(r"\(try again in \d+ s\)$", line)


def test_call_needs_a_key_and_name_value_parameters(live_server, pds, monkeypatch):
    monkeypatch.delenv("PDS_API_KEY", raising=False)
    code, _out, err = pds("call", "berth-traffic", "--url", live_server.url)
    assert code == 3 and "PDS_API_KEY" in err
    code, _out, err = pds("call", "berth-traffic", "period", "--url", live_server.url, "--key", "x")
    assert code == 2 and "NAME=VALUE" in err
