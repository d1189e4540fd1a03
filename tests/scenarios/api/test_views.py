import datetime

import pytest
from rest_framework.test import APIClient

from scenarios.agreement import AGREEMENT_SHA256
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, approved_type, published_vessel_catalog, staff_user

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_type_goes_from_proposal_through_two_approvals(tmp_path):
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    _org, lab = admitted_developer("海洋实验室", "lab", by=operator)
    response = api(lab).post(
        "/api/v1/scenario-types/",
        {
            "name": "港口拥堵",
            "purpose": "研究",
            "output_kinds": ["aggregate"],
            "valid_from": str(TODAY),
            "valid_until": str(TODAY + datetime.timedelta(days=60)),
            "scope": {"HY-0001": ["mmsi", "berth"]},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    type_id = response.json()["id"]
    assert api(lab).post(f"/api/v1/scenario-types/{type_id}/submit/").json()["status"] == (
        "submitted"
    )
    for name in ("reviewer1", "reviewer2"):
        reviewer = api(staff_user(name, PlatformRole.REVIEWER))
        body = reviewer.post(
            f"/api/v1/scenario-types/{type_id}/review/", {"decision": "approve"}, format="json"
        ).json()
    assert body["status"] == "approved" and len(body["reviews"]) == 2
    listed = api(lab).get("/api/v1/scenario-types/?status=approved").json()["results"]
    assert [t["id"] for t in listed] == [type_id]


def test_filing_through_the_api_and_the_list_filtered_to_the_caller(
    tmp_path, django_capture_on_commit_callbacks
):
    scenario_type, lab = approved_type(tmp_path)
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    payload = {
        "scenario_type": scenario_type.pk,
        "name": "拥堵",
        "purpose": "研究",
        "responsible_person": "王五",
        "period_start": str(TODAY),
        "period_end": str(TODAY + datetime.timedelta(days=10)),
        "scope": {"HY-0001": ["mmsi"]},
        "agreement_sha256": AGREEMENT_SHA256,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api(insurer).post("/api/v1/scenarios/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "authorized" and body["scope"] == {"HY-0001": ["mmsi"]}
    assert body["workspace"]["status"] == "building"  # a worker builds it after commit
    scenario_id = body["id"]
    workspace = api(insurer).get(f"/api/v1/scenarios/{scenario_id}/").json()["workspace"]
    assert workspace["status"] == "ready"
    assert workspace["tables"] == {"HY-0001": {"rows": 200, "columns": ["mmsi"]}}
    assert api(insurer).get("/api/v1/scenarios/?status=authorized").json()["count"] == 1
    assert api(lab).get("/api/v1/scenarios/").json()["count"] == 0
    assert api(lab).get(f"/api/v1/scenarios/{scenario_id}/").status_code == 404
    response = api(insurer).post(f"/api/v1/scenarios/{scenario_id}/suspend/", {"reason": "x"})
    assert response.status_code == 403
    response = api(staff_user("op")).post(
        f"/api/v1/scenarios/{scenario_id}/suspend/", {"reason": "违规"}, format="json"
    )
    assert response.json()["status"] == "suspended"


def test_an_l4_field_is_refused_with_a_clear_400(tmp_path):
    scenario_type, lab = approved_type(tmp_path)
    response = api(lab).post(
        "/api/v1/scenarios/",
        {
            "scenario_type": scenario_type.pk,
            "name": "x",
            "purpose": "x",
            "responsible_person": "x",
            "period_start": str(TODAY),
            "period_end": str(TODAY),
            "scope": {"HY-0001": ["owner_phone"]},
            "agreement_sha256": AGREEMENT_SHA256,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "L4" in response.json()["detail"]


def test_the_openapi_schema_is_valid_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
