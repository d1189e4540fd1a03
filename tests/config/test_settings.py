"""Start-up refuses a missing or malformed setting with one line naming it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
DEMO = {"DEMO": "1"}  # what `make demo` sets


UNSET = {"DATABASE_URL", "CELERY_BROKER_URL", "SERVICES_REDIS_URL", "SECRET_KEY", "DEBUG", "DEMO"}


def manage(env_overrides: dict, tmp_path, *command: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update({"VAR_DIR": str(tmp_path / "var"), **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({}, "SECRET_KEY is required when DEBUG is off"),  # off by default
        ({"DEBUG": "0"}, "SECRET_KEY is required when DEBUG is off"),
        ({"DEBUG": "0", "DEMO": "0"}, "SECRET_KEY is required when DEBUG is off"),
        ({"DEBUG": "perhaps"}, "DEBUG must be one of"),
        ({"DEBUG": "0", "SECRET_KEY": "short"}, "SECRET_KEY must be at least 32"),
        ({**DEMO, "DATABASE_URL": "nosuchdb://x/y"}, "DATABASE_URL is not a valid database URL"),
        ({**DEMO, "CELERY_BROKER_URL": "amqp://guest@localhost//"}, "CELERY_BROKER_URL must be"),
        ({**DEMO, "CELERY_BROKER_URL": "filesystem://localhost/"}, "CELERY_BROKER_URL must be"),
        ({**DEMO, "CELERY_BROKER_URL": "redis+socket://var/r.sock"}, "CELERY_BROKER_URL must name"),
        ({**DEMO, "LOGIN_FAILURE_LIMIT": "many"}, "LOGIN_FAILURE_LIMIT must be an integer"),
    ],
)
def test_bad_settings_stop_start_up_with_one_line(tmp_path, overrides, named):
    result = manage(overrides, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]


def test_the_demo_generates_a_secret_key_once(tmp_path):
    assert manage(DEMO, tmp_path).returncode == 0
    key_file = tmp_path / "var" / "secret_key"
    first = key_file.read_text()
    assert len(first) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert manage(DEMO, tmp_path).returncode == 0
    assert key_file.read_text() == first


def test_the_demo_runs_with_debugging_off_and_debugging_is_an_explicit_opt_in(tmp_path):
    show = "from django.conf import settings; print(settings.DEBUG)"
    assert manage(DEMO, tmp_path, "shell", "-v0", "-c", show).stdout.split() == ["False"]
    debug = {"DEBUG": "1"}
    assert manage(debug, tmp_path, "shell", "-v0", "-c", show).stdout.split() == ["True"]


def test_production_settings_start_with_a_secret_key(tmp_path):
    result = manage({"DEBUG": "0", "SECRET_KEY": "x" * 50}, tmp_path)
    assert result.returncode == 0, result.stderr


SHOW_BROKER = (
    "from django.conf import settings; "
    "print(settings.CELERY_BROKER_URL); print(settings.SERVICES_REDIS_URL)"
)


def test_the_embedded_broker_is_a_redis_on_a_unix_socket_under_var_dir(tmp_path):
    result = manage(DEMO, tmp_path, "shell", "-v0", "-c", SHOW_BROKER)
    assert result.returncode == 0, result.stderr
    socket = tmp_path / "var" / "redis" / "redis.sock"
    assert result.stdout.split() == [f"redis+socket://{socket}", f"unix://{socket}"]


def test_the_counters_follow_a_redis_broker(tmp_path):
    broker = {**DEMO, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/3"}
    result = manage(broker, tmp_path, "shell", "-v0", "-c", SHOW_BROKER)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["redis://127.0.0.1:6379/3"] * 2
