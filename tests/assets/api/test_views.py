import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from assets.models import ApplicationStatus
from scenarios.services.scenarios import scenario_transition
from tests.assets.conftest import registered
from tests.factories import pdf_upload

pytestmark = pytest.mark.django_db


def test_the_whole_flow_through_the_api(scenario, people):
    scenario, developer = scenario
    api = APIClient()
    api.force_authenticate(developer)
    created = api.post(
        "/api/v1/data-assets/applications/",
        {
            "kind": "processing",
            "name": "港口拥堵加工使用权",
            "description": "在授权场景内加工",
            "scenario": scenario.pk,
            "files": [pdf_upload("协议.pdf")],
        },
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["lineage"] == {} and len(created.json()["evidence"]) == 1
    submitted = api.post(f"/api/v1/data-assets/applications/{pk}/submit/")
    assert submitted.json()["lineage"]["catalogs"][0]["code"] == "HY-0001"
    api.force_authenticate(people["staff"])
    assert (
        api.post(
            f"/api/v1/data-assets/applications/{pk}/final/", {"decision": "approve"}
        ).status_code
        == 403
    )
    passed = api.post(f"/api/v1/data-assets/applications/{pk}/preliminary/", {"decision": "pass"})
    assert passed.json()["status"] == ApplicationStatus.PRELIMINARY_PASSED
    api.force_authenticate(people["registrar"])
    approved = api.post(f"/api/v1/data-assets/applications/{pk}/final/", {"decision": "approve"})
    number = approved.json()["certificate_number"]
    assert approved.json()["status"] == "approved" and number

    public = APIClient()
    listed = public.get("/api/v1/data-assets/").json()
    assert [a["certificate_number"] for a in listed["results"]] == [number]
    assert listed["results"][0]["holder"] == scenario.organization.name
    assert listed["results"][0]["kind"] == "processing"
    assert "verification_code" not in listed["results"][0]
    assert public.get(f"/api/v1/data-assets/{number}/").json()["status"] == "registered"


def test_verification_answers_only_the_right_code(scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    public = APIClient()
    good = public.post(
        "/api/v1/data-assets/verify/",
        {
            "certificate_number": asset.certificate_number,
            "verification_code": asset.verification_code,
        },
    ).json()
    assert good["valid"] is True and good["asset"]["certificate_number"] == asset.certificate_number
    bad = public.post(
        "/api/v1/data-assets/verify/",
        {"certificate_number": asset.certificate_number, "verification_code": "ZZZZZZZZZZ"},
    ).json()
    assert bad == {"valid": False, "asset": None}


def test_the_public_api_leaves_out_a_flagged_registrations_reason(scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    scenario_transition(
        by=people["staff"], scenario=scenario, action="suspend", reason="欠费待核查"
    )
    public = APIClient()
    detail = public.get(f"/api/v1/data-assets/{asset.certificate_number}/")
    listed = public.get("/api/v1/data-assets/", {"status": "flagged"})
    verified = public.post(
        "/api/v1/data-assets/verify/",
        {
            "certificate_number": asset.certificate_number,
            "verification_code": asset.verification_code,
        },
    )
    assert detail.json()["status"] == "flagged" and listed.json()["count"] == 1
    for response in (detail, listed, verified):
        assert "欠费待核查" not in response.content.decode()


def test_the_certificate_and_evidence_are_for_the_holder_and_the_reviewers(scenario, people):
    scenario, developer = scenario
    application = registered(scenario, developer, people)
    evidence = application.evidence.get()
    api = APIClient()
    for user, code in ((developer, 200), (people["registrar"], 200), (people["staff"], 200)):
        api.force_authenticate(user)
        response = api.get(f"/api/v1/data-assets/{application.asset_id}/certificate")
        assert response.status_code == code and response.content.startswith(b"%PDF")
        file = api.get(f"/api/v1/data-assets/applications/{application.pk}/evidence/{evidence.pk}")
        assert file.status_code == 200 and b"".join(file.streaming_content).startswith(b"%PDF")
    api.force_authenticate(None)
    assert api.get(f"/api/v1/data-assets/{application.asset_id}/certificate").status_code == 401


def test_the_schema_documents_the_registry():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/data-assets/" in schema["paths"]
    assert "/api/v1/data-assets/verify/" in schema["paths"]


def test_the_registry_list_takes_the_same_queries_for_more_assets(
    scenario, people, django_assert_num_queries
):
    scenario, developer = scenario
    registered(scenario, developer, people)
    public = APIClient()
    with CaptureQueriesContext(connection) as one:
        assert len(public.get("/api/v1/data-assets/").json()["results"]) == 1
    registered(scenario, developer, people)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(public.get("/api/v1/data-assets/").json()["results"]) == 2
