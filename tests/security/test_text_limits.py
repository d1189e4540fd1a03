"""Free text has a length limit no real user reaches: a 4 MB purpose, context or reason is
refused with a 400 naming the field (API) or a form error (portal), never stored."""

import datetime

import pytest
from rest_framework.test import APIClient

from core.errors import InvalidInput
from core.text import clean_text
from scenarios.models import JobStatus, ReleaseRequest, ScenarioType
from scenarios.services.jobs import job_submit
from tenants.models import AdmissionStatus
from tests.factories import (
    admitted_developer,
    authorized_scenario,
    published_vessel_catalog,
    staff_user,
    submitted_developer,
)
from tests.scenarios.views.test_portal import proposal

pytestmark = [pytest.mark.django_db, pytest.mark.security]

TODAY = datetime.date.today()
FOUR_MB = "x" * (4 * 1024 * 1024)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_clean_text_trims_and_refuses_text_over_the_limit():
    assert clean_text("  港口拥堵 \n", field="name", max_length=4) == "港口拥堵"
    assert clean_text(None, field="name", max_length=4) == ""
    with pytest.raises(InvalidInput) as refused:
        clean_text("x" * 5, field="purpose", max_length=4)
    assert refused.value.field == "purpose"
    assert refused.value.code == "too_long"
    assert "At most 4 characters" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        clean_text(" ", field="reason", max_length=4, required=True)
    assert refused.value.field == "reason"
    with pytest.raises(InvalidInput):
        clean_text(["not", "text"], field="reason", max_length=4)


@pytest.fixture
def lab(tmp_path):
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    _org, lab = admitted_developer("海洋实验室", "lab", by=operator)
    return lab


def type_payload(**overrides) -> dict:
    return {
        "name": "港口拥堵",
        "purpose": "研究",
        "output_kinds": ["aggregate"],
        "valid_from": str(TODAY),
        "valid_until": str(TODAY + datetime.timedelta(days=60)),
        "scope": {"HY-0001": ["mmsi", "berth"]},
        **overrides,
    }


def test_a_4_mb_type_purpose_is_refused_by_the_api(lab):
    response = api(lab).post(
        "/api/v1/scenario-types/", type_payload(purpose=FOUR_MB), format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "purpose"
    assert body["code"] == "too_long"
    assert "10,000" in body["detail"]
    assert not ScenarioType.objects.exists()


def test_a_long_but_real_purpose_is_accepted(lab):
    purpose = "泊位利用率研究，服务港口调度。" * 600  # 9,000 characters

    response = api(lab).post(
        "/api/v1/scenario-types/", type_payload(purpose=purpose), format="json"
    )

    assert response.status_code == 201, response.content
    assert ScenarioType.objects.get().purpose == purpose


def test_a_4_mb_type_purpose_is_a_form_error_in_the_portal(client, lab):
    client.force_login(lab)

    response = client.post("/scenario-types/new/", proposal(purpose=FOUR_MB))

    assert response.status_code == 200
    assert response.context["form"].errors["purpose"] == [
        "At most 10,000 characters (this text has 4,194,304)."
    ]
    assert not ScenarioType.objects.exists()


def test_a_4_mb_admission_reason_is_refused_by_the_api():
    organization, _admin = submitted_developer("海洋实验室", "lab")
    operator = staff_user("op")
    application = organization.admission

    response = api(operator).post(
        f"/api/v1/admissions/{application.pk}/reject/", {"reason": FOUR_MB}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    application.refresh_from_db()
    assert application.status == AdmissionStatus.SUBMITTED


def test_a_4_mb_release_context_is_refused_by_the_api(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scenario, developer = authorized_scenario(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(
            by=developer,
            scenario=scenario,
            language="sql",
            code="SELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type",
            dry_run=False,
        )
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.reason
    output = job.outputs.get(name="result.csv")
    item = {"output": output.pk, "context": FOUR_MB, "controls": "每格至少10艘"}

    response = api(developer).post(
        "/api/v1/release-requests/", {"scenario": scenario.pk, "items": [item]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "items[0].context"
    assert not ReleaseRequest.objects.exists()
