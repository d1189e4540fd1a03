"""The call log: a call is appended to a Redis stream before it is answered and moved into
ServiceCall in batches, by a later call or by beat within seconds, each call once, even
when the web worker that answered it is killed at once."""

import json
import os
import signal
import subprocess
import sys

import pytest
import redis
from django.conf import settings as django_settings

from scenarios import tasks
from scenarios.dataservices import calllog, counters
from scenarios.dataservices.calls import service_call
from scenarios.models import ApiKey, ServiceCall, ServiceLedger
from tests.factories import serviced_scenario
from tests.scenarios.dataservices.test_counters import BASE_DIR, database_url_of_tests

pytestmark = pytest.mark.django_db
MARCH = "2025-03-01/2025-03-31"


def waiting(settings) -> int:
    client = redis.Redis.from_url(settings.SERVICES_REDIS_URL)
    return client.xlen(settings.SERVICES_KEY_PREFIX + calllog.STREAM)


def test_beat_drains_the_log_within_seconds():
    drain = django_settings.CELERY_BEAT_SCHEDULE["drain-service-calls"]
    assert drain["task"] == "scenarios.tasks.service_calls_drain"
    assert drain["schedule"] <= 5


def test_a_call_is_logged_before_its_answer_and_moved_into_the_database_once(serviced, settings):
    scenario, _developer, _definition, secret = serviced
    settings.SERVICES_LOG_BATCH = 1000  # no call drains: beat does
    answer = service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    with pytest.raises(Exception, match="period"):
        service_call(secret=secret, code="berth-traffic", given={"period": "March"})
    assert waiting(settings) == 2 and not ServiceCall.objects.exists()

    assert tasks.service_calls_drain() == 2

    ok, bad = ServiceCall.objects.order_by("at", "pk")
    assert (ok.status, ok.rows, bad.status, bad.rows) == (200, len(answer["rows"]), 400, 0)
    assert ServiceLedger.objects.filter(organization=scenario.organization).count() == 7
    assert ApiKey.objects.get(scenario=scenario).last_used_at == bad.at
    assert waiting(settings) == 0 and tasks.service_calls_drain() == 0


def test_a_drainer_dying_before_it_deletes_what_it_moved_duplicates_nothing(serviced, settings):
    _scenario, _developer, _definition, secret = serviced
    settings.SERVICES_LOG_BATCH = 1000
    for _ in range(3):
        service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    client = counters.client()
    entries = client.xrange(counters.name_of(calllog.STREAM))
    calllog._record(entries[:2])  # written, then the drainer died: still in the stream

    assert calllog.calls_log_drain() == 3
    assert ServiceCall.objects.count() == 3
    assert ServiceCall.objects.values("entry").distinct().count() == 3


KILLED = """
import json, os, signal, sys
import django
django.setup()
from scenarios.dataservices.calls import service_call
answer = service_call(secret=sys.argv[1], code="berth-traffic", given={"period": sys.argv[2]})
print(json.dumps({"rows": len(answer["rows"])}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the worker dies right after answering
"""


@pytest.mark.django_db(transaction=True)
def test_a_call_answered_by_a_worker_killed_at_once_is_in_the_log(settings, tmp_path):
    _scenario, _developer, _definition, secret = serviced_scenario(tmp_path)  # built inline
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url_of_tests(),
        "SERVICES_REDIS_URL": settings.SERVICES_REDIS_URL,
        "SERVICES_KEY_PREFIX": settings.SERVICES_KEY_PREFIX,
        "SERVICES_LOG_BATCH": "100000",
        "DATA_ROOT": str(settings.DATA_ROOT),
        "PYTHONPATH": str(BASE_DIR),
    }
    worker = subprocess.run(
        [sys.executable, "-c", KILLED, secret, MARCH],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    assert json.loads(worker.stdout)["rows"] == 7  # answered
    assert not ServiceCall.objects.exists()  # not in the database yet

    tasks.service_calls_drain()  # beat's next round

    call = ServiceCall.objects.get()
    assert (call.status, call.rows) == (200, 7)
