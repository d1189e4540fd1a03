"""Rate limits per key and daily quotas per organization and service, counted on
counters every web worker shares in Redis (SERVICES_REDIS_URL): exact when several
processes count at once, and each window expires on its own."""

import datetime
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from scenarios.agreement import AGREEMENT_SHA256
from scenarios.dataservices import counters
from scenarios.dataservices.calllog import calls_log_drain
from scenarios.dataservices.keys import api_key_create
from scenarios.dataservices.quotas import api_key_rate_set, quota_set
from scenarios.models import ApiKey, ServiceCall
from scenarios.services.scenarios import scenario_apply
from tests.factories import admitted_developer, serviced_scenario, staff_user

pytestmark = pytest.mark.django_db

CALL = "/api/v1/services/berth-traffic/call"
MONTH = "2025-03-01/2025-03-31"
BASE_DIR = Path(django_settings.BASE_DIR)


def call(secret, params=None):
    return APIClient().get(CALL, params or {"period": MONTH}, HTTP_AUTHORIZATION=f"ApiKey {secret}")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def in_one_minute(calls: int) -> None:
    """Wait, if the minute is about to turn, so that the next ``calls`` calls fall in one
    rate window (a window is a wall-clock minute)."""
    left = 60 - time.time() % 60
    if left < 5 + calls:
        time.sleep(left + 0.1)


def seconds_to_midnight() -> float:
    now = timezone.localtime()
    midnight = (now + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def second_organization_key(scenario_type):
    """An admitted insurer's authorized scenario of the same type, and its key's secret."""
    _organization, admin = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    today = datetime.date.today()
    scenario = scenario_apply(
        by=admin,
        scenario_type=scenario_type,
        name="保险风险分析",
        purpose="保险定价",
        responsible_person="李四",
        period_start=today,
        period_end=today + datetime.timedelta(days=30),
        scope={"HY-0001": ["mmsi", "vessel_type", "berth", "arrival_time"]},
        agreement_sha256=AGREEMENT_SHA256,
    )
    _key, secret = api_key_create(by=admin, scenario=scenario, name="insurer key")
    return scenario, secret


# --- Rate per key ------------------------------------------------------------------------


def test_a_key_over_its_rate_is_refused_with_retry_after_and_other_keys_are_not(serviced):
    scenario, developer, _definition, secret = serviced
    key = ApiKey.objects.get(scenario=scenario)
    _second, second_secret = api_key_create(by=developer, scenario=scenario, name="second key")
    set_rate = api(staff_user("op")).post(
        f"/api/v1/api-keys/{key.pk}/rate/", {"rate_per_minute": 3}, format="json"
    )
    assert set_rate.status_code == 200 and set_rate.json()["rate_per_minute"] == 3
    in_one_minute(calls=10)

    refused_by_name = [call(secret, {"period": "nonsense"}).status_code for _ in range(2)]
    allowed = [call(secret).status_code for _ in range(1)]
    over = call(secret)
    window_left = 60 - time.time() % 60
    second = call(second_secret)

    assert refused_by_name == [400] * 2  # a bad call costs the service too: it counts
    assert allowed == [200]
    assert over.status_code == 429
    assert over.json()["code"] == "rate_limited"
    assert "rows" not in over.json()
    assert 1 <= int(over["Retry-After"]) <= 60
    assert abs(int(over["Retry-After"]) - window_left) <= 2
    assert second.status_code == 200
    statuses = ServiceCall.objects.filter(api_key=key).order_by("pk").values_list("status")
    assert [s for (s,) in statuses] == [400, 400, 200, 429]


def test_only_operator_staff_set_a_keys_rate(serviced):
    scenario, developer, _definition, _secret = serviced
    key = ApiKey.objects.get(scenario=scenario)

    response = api(developer).post(
        f"/api/v1/api-keys/{key.pk}/rate/", {"rate_per_minute": 100000}, format="json"
    )

    assert response.status_code == 403
    key.refresh_from_db()
    assert key.rate_per_minute is None


def test_the_platform_rate_applies_to_a_key_without_its_own(serviced, settings):
    _scenario, _developer, _definition, secret = serviced
    settings.SERVICES_RATE_PER_MINUTE = 2
    in_one_minute(calls=3)

    statuses = [call(secret).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- Daily quota per organization and service --------------------------------------------


def test_an_organization_over_its_daily_quota_is_refused_until_midnight(
    serviced, django_capture_on_commit_callbacks
):
    scenario, developer, definition, secret = serviced
    with django_capture_on_commit_callbacks(execute=True):
        other_scenario, other_secret = second_organization_key(scenario.scenario_type)
    _second, second_secret = api_key_create(by=developer, scenario=scenario, name="second key")
    put = api(staff_user("op")).put(
        "/api/v1/services/quotas/",
        {"organization": scenario.organization_id, "service": "berth-traffic", "calls_per_day": 2},
        format="json",
    )
    assert put.status_code == 200

    refused_by_name = call(secret, {"period": "nonsense"}).status_code
    allowed = [call(secret).status_code, call(second_secret).status_code]
    before = seconds_to_midnight()
    over = call(secret)
    after = seconds_to_midnight()
    over_by_second_key = call(second_secret)
    other = [call(other_secret).status_code for _ in range(3)]

    assert refused_by_name == 400
    assert allowed == [200, 200]
    assert over.status_code == over_by_second_key.status_code == 429
    assert over.json()["code"] == "quota_exhausted"
    assert "rows" not in over.json()
    assert after - 2 <= int(over["Retry-After"]) <= before + 2
    assert other == [200, 200, 200]
    assert ServiceCall.objects.filter(scenario=other_scenario, status=200).count() == 3

    quota_set(
        by=staff_user("op"),
        organization=scenario.organization,
        service=definition.service,
        calls_per_day=10,
    )
    assert call(secret).status_code == 200
    assert call(second_secret).status_code == 200


def test_only_operator_staff_set_a_quota(serviced):
    scenario, developer, _definition, secret = serviced

    response = api(developer).put(
        "/api/v1/services/quotas/",
        {"organization": scenario.organization_id, "service": "berth-traffic", "calls_per_day": 1},
        format="json",
    )

    assert response.status_code == 403
    assert [call(secret).status_code for _ in range(2)] == [200, 200]


def test_calls_refused_over_the_quota_do_not_use_it_up(serviced):
    """A quota counts the calls an organization was served: raised by one after three
    refusals, it lets exactly one more call through."""
    scenario, _developer, definition, secret = serviced
    operator = staff_user("op")
    organization, service = scenario.organization, definition.service
    quota_set(by=operator, organization=organization, service=service, calls_per_day=2)
    assert [call(secret).status_code for _ in range(5)] == [200, 200, 429, 429, 429]

    quota_set(by=operator, organization=organization, service=service, calls_per_day=3)

    assert [call(secret).status_code for _ in range(2)] == [200, 429]


# --- Across processes --------------------------------------------------------------------

# Each process says it is ready (a file of its own), waits for the start signal (another
# file), then counts; it prints what it got and when it started and ended.
INCREMENTS = """
import json, os, sys, time
import django
django.setup()
from scenarios.dataservices import counters
from scenarios.dataservices.calllog import calls_log_drain
name, times, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
open(os.environ["START_FILE"] + f".{os.getpid()}", "w").close()
while not os.path.exists(os.environ["START_FILE"]):
    time.sleep(0.002)
started = time.time()
def take():
    settled = counters.call_settle(
        rate=(name, limit, 120), quota=None, record={}, ledger="", threshold=0, cells=[]
    )
    return settled[0] == 0
taken = [take() for _ in range(times)]
print(json.dumps({"taken": taken, "started": started, "ended": time.time()}))
"""
CALLS = """
import json, os, sys, time
import django
django.setup()
from core.errors import ApplicationError
from scenarios.dataservices.calls import service_call
secret, times, period = sys.argv[1], int(sys.argv[2]), sys.argv[3]
open(os.environ["START_FILE"] + f".{os.getpid()}", "w").close()
while not os.path.exists(os.environ["START_FILE"]):
    time.sleep(0.002)
started = time.time()
answers = []
for _ in range(times):
    try:
        service_call(secret=secret, code="berth-traffic", given={"period": period})
        answers.append([200, "ok"])
    except ApplicationError as error:
        answers.append([error.status, error.code])
print(json.dumps({"answers": answers, "started": started, "ended": time.time()}))
"""


def database_url_of_tests() -> str:
    """The URL of the test database this process uses, for other processes to open."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    return f"postgres://{user}:{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def run_processes(script: str, arguments: list[list[str]], settings, tmp_path) -> list:
    """Start one process per argument list, let them all go at once when all are ready,
    and return what each printed (parsed)."""
    start = tmp_path / f"start-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url_of_tests(),
        "START_FILE": str(start),
        "SERVICES_REDIS_URL": settings.SERVICES_REDIS_URL,
        "SERVICES_KEY_PREFIX": settings.SERVICES_KEY_PREFIX,
        "DATA_ROOT": str(settings.DATA_ROOT),
        "PYTHONPATH": str(BASE_DIR),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in arguments
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob(f"{start.name}.*"))) < len(processes):
        assert time.monotonic() < deadline, "the processes did not start"
        assert all(p.poll() is None for p in processes), processes[0].communicate()[1]
        time.sleep(0.01)
    start.touch()
    printed = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        printed.append(json.loads(out.strip().splitlines()[-1]))
    # They did run at the same time: each started before any other ended.
    assert max(p["started"] for p in printed) < min(p["ended"] for p in printed)
    return printed


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_processes_counting_at_once_lose_no_update_and_never_pass_the_limit(settings, tmp_path):
    name = f"rate:concurrent:{uuid.uuid4().hex}"
    processes, times, limit = 6, 40, 150

    got = run_processes(
        INCREMENTS, [[name, str(times), str(limit)]] * processes, settings, tmp_path
    )

    taken = [value for printed in got for value in printed["taken"]]
    assert taken.count(True) == limit  # exactly the limit, no lost or extra count

    def take(limit):
        settled = counters.call_settle(
            rate=(name, limit, 120), quota=None, record={}, ledger="", threshold=0, cells=[]
        )
        return settled[0] == 0

    assert not take(limit)
    assert take(limit + 1)  # a raised limit: one more
    # The one count every process shared is in Redis, and its window expires on its own.
    client = redis.Redis.from_url(settings.SERVICES_REDIS_URL)
    key = settings.SERVICES_KEY_PREFIX + name
    assert int(client.get(key)) == limit + 1
    assert 0 < client.ttl(key) <= 120


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_quota_holds_across_processes_calling_at_once(settings, tmp_path):
    scenario, _developer, definition, secret = serviced_scenario(tmp_path)  # built inline
    operator = staff_user("op")
    key = ApiKey.objects.get(scenario=scenario)
    api_key_rate_set(by=operator, key=key, rate_per_minute=100_000)
    quota = 7
    quota_set(
        by=operator,
        organization=scenario.organization,
        service=definition.service,
        calls_per_day=quota,
    )
    processes, times = 4, 5

    got = run_processes(CALLS, [[secret, str(times), MONTH]] * processes, settings, tmp_path)

    answers = [tuple(answer) for printed in got for answer in printed["answers"]]
    assert answers.count((200, "ok")) == quota
    assert set(answers) == {(200, "ok"), (429, "quota_exhausted")}
    calls_log_drain()  # as beat does: the processes left their calls in the log's stream
    calls = ServiceCall.objects.filter(api_key=key)
    assert calls.count() == processes * times
    assert calls.filter(status=200).count() == quota
    assert call(secret).status_code == 429


def test_the_ledger_checks_units_and_values_and_fingerprints_older_cells_once():
    """A cell with as many units as before but other values clashes (their difference is
    the rows in between); the same values are no difference. A cell recorded before
    fingerprints takes the first later answer's values."""
    ledger = f"ledger:test:{uuid.uuid4().hex}"
    counters.ledger_load(ledger, [("old", 12, "")])  # recorded before fingerprints

    def settle(*cells):
        return counters.call_settle(
            rate=(f"rate:{ledger}", 1000, 120),
            quota=None,
            record={},
            ledger=ledger,
            threshold=10,
            cells=list(cells),
        )[2:]  # the positions suppressed

    assert settle(("new", 12, "a")) == []
    assert settle(("new", 12, "a")) == []  # the same answer again
    assert settle(("new", 12, "b")) == [0]  # the same units, other values
    assert settle(("new", 15, "c")) == [0]  # fewer than the threshold apart
    assert settle(("new", 22, "d")) == []  # far enough apart
    assert settle(("old", 12, "x")) == []  # an older cell takes its fingerprint ...
    assert settle(("old", 12, "y"), ("old", 12, "x")) == [0]  # ... and keeps it
