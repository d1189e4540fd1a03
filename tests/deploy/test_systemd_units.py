"""The systemd units of deploy/systemd/ and the README's deployment section agree with the
settings: what each process runs, its restart policy and its environment."""

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
SERVICES = ["sandbox-web", "sandbox-worker", "sandbox-jobs@", "sandbox-beat"]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(UNITS / name, encoding="utf-8")
    return parser


def command(name: str) -> list[str]:
    return shlex.split(unit(f"{name}.service")["Service"]["ExecStart"])


def option(argv: list[str], name: str) -> str | None:
    for arg in argv:
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


def test_deploy_units_one_per_process_and_a_target():
    found = sorted(path.name for path in UNITS.iterdir())
    assert found == sorted([*(f"{name}.service" for name in SERVICES), "sandbox.target"])


@pytest.mark.parametrize("name", SERVICES)
def test_deploy_unit_restarts_and_dies_whole(name):
    service = unit(f"{name}.service")
    assert service["Service"]["Restart"] == "always"
    assert int(service["Service"]["RestartSec"]) > 0
    assert service["Service"]["KillMode"] == "control-group"
    assert service["Service"]["User"] == "sandbox"
    assert service["Service"]["EnvironmentFile"] == "/etc/sandbox/env"
    assert service["Service"]["WorkingDirectory"] == "/opt/sandbox"
    assert service["Unit"]["PartOf"] == "sandbox.target"
    assert service["Install"]["WantedBy"] == "sandbox.target"
    assert command(name)[0].startswith("/opt/sandbox/.venv/bin/")


@pytest.mark.parametrize("name", SERVICES)
def test_deploy_unit_logs_at_the_configured_level(name):
    argv = command(name)
    assert "${LOG_LEVEL}" in (option(argv, "--loglevel") or option(argv, "--log-level"))


def test_deploy_units_workers_split_the_queues():
    general, jobs = command("sandbox-worker"), command("sandbox-jobs@")
    assert option(general, "--queues") == "celery"
    assert option(jobs, "--queues") == "sandbox"
    assert option(jobs, "--prefetch-multiplier") == "1"
    # %h is Celery's host name; systemd would expand a single % itself
    assert option(general, "--hostname").endswith("@%%h")
    assert option(jobs, "--hostname").endswith("@%%h")


def test_deploy_units_sandbox_workers_run_one_job_each_under_their_own_name():
    """A job is sent to the worker whose warm sandbox waits for its scenario: that worker
    must be one process, and each instance must have a name of its own (its queue's)."""
    jobs = command("sandbox-jobs@")
    assert option(jobs, "--concurrency") == "1"
    assert "%i" in option(jobs, "--hostname")
    assert settings.CELERY_WORKER_DIRECT


def test_deploy_units_general_worker_runs_what_beat_schedules():
    """The reaper and expiry go to the `celery` queue, not the sandbox's."""
    routes = settings.CELERY_TASK_ROUTES
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert routes.get(entry["task"], {}).get("queue", "celery") == "celery"
    assert routes["scenarios.tasks.job_run"]["queue"] == "sandbox"


def test_deploy_units_beat_keeps_its_schedule_in_var_dir():
    assert option(command("sandbox-beat"), "--schedule") == "${VAR_DIR}/celerybeat-schedule"


def test_deploy_units_sandbox_worker_waits_for_a_default_job():
    stop = int(unit("sandbox-jobs@.service")["Service"]["TimeoutStopSec"])
    assert stop > settings.SANDBOX_LIMITS["wall_seconds"]


def test_deploy_env_example_names_every_place_outside_the_checkout():
    lines = (ROOT / "deploy" / "env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "DATA_ROOT", "VAR_DIR", "LOG_LEVEL"):
        assert values.get(key), key
    assert values["DEBUG"] == "0"
    for key in ("DATA_ROOT", "VAR_DIR"):
        assert not values[key].startswith("/opt/sandbox"), key


def test_deploy_readme_names_every_unit():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running on PostgreSQL and Redis, with several workers")[1]
    section = section.split("\n## ")[0]
    named = set(re.findall(r"sandbox-[a-z]+@?\.service", section))
    assert named == {f"{name}.service" for name in SERVICES}
    assert "--schedule=$VAR_DIR/celerybeat-schedule" in section
    assert "CREATE ROLE" in section


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_deploy_units_pass_systemd_analyze_verify():
    if not (ROOT / ".venv" / "bin" / "celery").exists():
        pytest.skip("no .venv: make install")
    done = subprocess.run(
        [str(ROOT / ".ci" / "verify-units")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
