"""Prices through the API: operator staff set a data service's or a data product's fee
basis; others are refused and the price stays as it was."""

import pytest
from rest_framework.test import APIClient

from core.models import AuditEvent
from scenarios.models import JobStatus, ReleaseStatus
from scenarios.services.jobs import job_submit
from scenarios.services.releases import release_request_create, release_review
from tenants.roles import PlatformRole
from tests.factories import staff_user

pytestmark = pytest.mark.django_db

GUIDED = {
    "fee_basis": "guided",
    "price_amount": "0.5",
    "price_unit": "per call",
    "price_basis": "City pricing notice 12",
}


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_operator_staff_price_a_service_through_the_api_and_everyone_reads_it(serviced):
    _scenario, developer, definition, _secret = serviced
    service, op = definition.service, staff_user("op")
    url = f"/api/v1/services/{service.code}/price/"

    answer = api_as(op).put(url, GUIDED, format="json")

    assert answer.status_code == 200, answer.data
    assert (answer.data["fee_basis"], answer.data["price_amount"]) == ("guided", "0.50")
    assert answer.data["price_unit"] == "per call" and answer.data["priced_at"]
    event = AuditEvent.objects.get(action="pricing.set", target_id=str(service.pk))
    assert event.actor == op and event.details["price_basis"] == "City pricing notice 12"
    (row,) = api_as(developer).get("/api/v1/services/").data["results"]
    assert (row["fee_basis"], row["price_amount"], row["price_unit"]) == (
        "guided",
        "0.50",
        "per call",
    )

    # Back to free: the amount and unit go.
    free = api_as(op).put(url, {"fee_basis": "free", "price_basis": "公益用途"}, format="json")
    assert free.status_code == 200
    assert (free.data["price_amount"], free.data["price_unit"]) == (None, "")


def test_a_price_through_the_api_is_refused_to_a_developer_and_when_incomplete(serviced):
    _scenario, developer, definition, _secret = serviced
    service, op = definition.service, staff_user("op")
    url = f"/api/v1/services/{service.code}/price/"

    refused = api_as(developer).put(url, GUIDED, format="json")
    assert refused.status_code == 403 and refused.data["code"] == "forbidden"
    auditor = staff_user("auditor", PlatformRole.AUDITOR)
    assert api_as(auditor).put(url, GUIDED, format="json").status_code == 403

    incomplete = api_as(op).put(url, {**GUIDED, "price_basis": ""}, format="json")
    assert incomplete.status_code == 400 and incomplete.data["field"] == "price_basis"
    unknown = api_as(op).put(url, {"fee_basis": "auction"}, format="json")
    assert unknown.status_code == 400 and unknown.data["field"] == "fee_basis"
    assert api_as(op).put("/api/v1/services/no-such/price/", GUIDED).status_code == 404

    service.refresh_from_db()
    assert service.fee_basis == "" and service.price_amount is None
    assert not AuditEvent.objects.filter(action="pricing.set").exists()


def test_a_data_product_is_priced_through_the_api_once_released(
    serviced, django_capture_on_commit_callbacks
):
    scenario, developer, _definition, _secret = serviced
    op = staff_user("op")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(
            by=developer,
            scenario=scenario,
            language="sql",
            code="-- output: n\nSELECT count(*) AS n FROM hy_0001",
            dry_run=False,
        )
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.reason
    release = release_request_create(
        by=developer,
        scenario=scenario,
        items=[{"output": job.outputs.get(name="n.csv").pk, "context": "总数", "controls": "汇总"}],
    )
    url = f"/api/v1/release-requests/{release.pk}/price/"

    under_review = api_as(op).put(url, GUIDED, format="json")
    assert under_review.status_code == 409

    for name in ("reviewer1", "reviewer2"):
        release_review(
            by=staff_user(name, PlatformRole.REVIEWER), request=release, decision="approve"
        )
    release.refresh_from_db()
    assert release.status == ReleaseStatus.APPROVED
    assert api_as(developer).put(url, GUIDED, format="json").status_code == 403

    priced = api_as(op).put(url, GUIDED, format="json")
    assert priced.status_code == 200 and priced.data["price_amount"] == "0.50"
    shown = api_as(developer).get(f"/api/v1/release-requests/{release.pk}/").data
    assert (shown["fee_basis"], shown["price_basis"]) == ("guided", "City pricing notice 12")
