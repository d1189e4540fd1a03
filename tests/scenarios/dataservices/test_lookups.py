"""What a call looks up is remembered per web worker: a change saved in another process
(a revoked key) is seen within a second, one saved in this process at once, and a new
workspace version is answered from its own data, never from the old one's cache."""

import time

import pytest
from django.utils import timezone

from core.errors import Unauthenticated
from scenarios.dataservices.calls import service_call
from scenarios.models import ApiKey, Workspace
from tests.factories import serviced_scenario

pytestmark = pytest.mark.django_db
MARCH = "2025-03-01/2025-03-31"


def call(secret):
    return service_call(secret=secret, code="berth-traffic", given={"period": MARCH})


def test_a_key_revoked_by_another_process_is_refused_within_a_second(serviced, settings):
    scenario, _developer, _definition, secret = serviced
    assert settings.SERVICES_LOOKUP_MS < 1000
    assert call(secret)["rows"]  # the key is remembered now
    # A queryset update sends no signal: as a revocation by another worker looks here.
    ApiKey.objects.filter(scenario=scenario).update(revoked_at=timezone.now())
    revoked = time.monotonic()
    while True:
        try:
            call(secret)
        except Unauthenticated as error:
            assert error.code == "key_revoked"
            break
        assert time.monotonic() - revoked < 1.0, "still answered a second after revocation"
        time.sleep(0.05)
    assert time.monotonic() - revoked < 1.0


def test_a_new_workspace_version_is_answered_from_its_own_data_not_the_cache(
    tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scenario, _developer, _definition, secret = serviced_scenario(tmp_path, cached=True)
    first, again = call(secret), call(secret)
    assert (first["cached"], again["cached"], again["workspace_version"]) == (False, True, 1)

    old = Workspace.objects.get(scenario=scenario)
    Workspace.objects.create(
        scenario=scenario,
        version=2,
        status=old.status,
        path=old.path,
        manifest=old.manifest,
        ready_at=timezone.now(),
    )

    fresh = call(secret)
    assert (fresh["cached"], fresh["workspace_version"]) == (False, 2)
    assert call(secret)["cached"] is True
