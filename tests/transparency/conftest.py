import datetime

import pytest

from scenarios.dataservices.calls import service_call
from scenarios.models import JobStatus
from scenarios.services.jobs import job_submit
from scenarios.services.pricing import price_set
from scenarios.services.releases import release_request_create, release_review
from tenants.roles import PlatformRole
from tests.assets.conftest import registered, registration_people
from tests.factories import serviced_scenario, staff_user

BY_TYPE = "-- output: by_type\nSELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type"
MARCH = "2025-03-01/2025-03-31"


@pytest.fixture
def seeded(tmp_path, django_capture_on_commit_callbacks):
    """This year's operation in small: one published catalog, one admitted developer, one
    authorized scenario whose type carries the berth-traffic service (priced at a guided
    price), one real job whose output is released (a free product), two service calls,
    one registered data asset (the scenario's processing right).
    Returns a dict of what the tests look at."""
    with django_capture_on_commit_callbacks(execute=True):
        scenario, developer, definition, secret = serviced_scenario(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(
            by=developer, scenario=scenario, language="sql", code=BY_TYPE, dry_run=False
        )
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.reason
    output = job.outputs.get(name="by_type.csv")
    release = release_request_create(
        by=developer,
        scenario=scenario,
        items=[{"output": output.pk, "context": "各类船舶数量", "controls": "每格至少10艘"}],
    )
    for name in ("reviewer1", "reviewer2"):
        release = release_review(
            by=staff_user(name, PlatformRole.REVIEWER), request=release, decision="approve"
        )
    release.refresh_from_db()
    for _ in range(2):
        service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    op = staff_user("op")
    price_set(
        by=op,
        target=definition.service,
        fee_basis="guided",
        price_amount="0.50",
        price_unit="每次调用",
        price_basis="市发改委〔2026〕12号",
    )
    price_set(by=op, target=release, fee_basis="free", price_basis="公益用途")
    registered(scenario, developer, registration_people())
    return {
        "op": op,
        "developer": developer,
        "scenario": scenario,
        "service": definition.service,
        "release": release,
        "job": job,
        "year": datetime.date.today().year,
    }
