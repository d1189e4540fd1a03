import pytest
from rest_framework.test import APIClient

from tenants.commitment import COMMITMENT_SHA256
from tenants.models import AdmissionStatus
from tests.factories import developer, pdf_upload, staff_user, submitted_developer

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_me_shows_organization_and_roles():
    organization, admin = developer("海洋实验室", "lab")
    body = client_for(admin).get("/api/v1/me/").json()
    assert body["organization"]["credit_code"] == organization.credit_code
    assert body["organization_role"] == "admin"
    assert body["roles"] == []
    staff = staff_user("op")
    assert client_for(staff).get("/api/v1/me/").json()["roles"] == ["operator_staff"]


def test_anonymous_calls_are_refused():
    assert APIClient().get("/api/v1/admissions/").status_code == 401


def test_developer_submits_through_the_api_with_a_multipart_upload():
    organization, admin = developer("海洋实验室", "lab")
    response = client_for(admin).post(
        f"/api/v1/admissions/{organization.admission.pk}/submit/",
        {
            "business_scope": "赤潮预警",
            "security_measures": "专人负责",
            "commitment_sha256": COMMITMENT_SHA256,
            "files": [pdf_upload()],
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert response.json()["files"][0]["kind"] == "pdf"


def test_bad_upload_through_the_api_is_a_400_naming_the_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    organization, admin = developer("海洋实验室", "lab")
    response = client_for(admin).post(
        f"/api/v1/admissions/{organization.admission.pk}/submit/",
        {
            "business_scope": "赤潮预警",
            "security_measures": "专人负责",
            "commitment_sha256": COMMITMENT_SHA256,
            "files": [SimpleUploadedFile("licence.pdf", b"MZ not a pdf")],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "files"
    assert "licence.pdf" in response.json()["detail"]


def test_operator_lists_the_queue_and_admits():
    organization, _admin = submitted_developer("海洋实验室", "lab")
    staff = client_for(staff_user("op"))
    listed = staff.get("/api/v1/admissions/?status=submitted").json()
    assert [a["organization"]["name"] for a in listed] == ["海洋实验室"]
    assert listed[0]["allowed_actions"] == ["admit", "reject", "return"]
    response = staff.post(f"/api/v1/admissions/{organization.admission.pk}/admit/", {})
    assert response.status_code == 200
    assert response.json()["status"] == AdmissionStatus.ADMITTED


def test_illegal_transition_answers_409_with_a_message():
    organization, _admin = submitted_developer("海洋实验室", "lab")
    staff = client_for(staff_user("op"))
    response = staff.post(f"/api/v1/admissions/{organization.admission.pk}/reinstate/", {})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["detail"]


def test_reject_without_reason_is_a_400():
    organization, _admin = submitted_developer("海洋实验室", "lab")
    staff = client_for(staff_user("op"))
    response = staff.post(f"/api/v1/admissions/{organization.admission.pk}/reject/", {})
    assert response.status_code == 400
    assert response.json()["field"] == "reason"


def test_developer_cannot_admit_itself():
    organization, admin = submitted_developer("海洋实验室", "lab")
    response = client_for(admin).post(f"/api/v1/admissions/{organization.admission.pk}/admit/")
    assert response.status_code == 403
    organization.admission.refresh_from_db()
    assert organization.admission.status == AdmissionStatus.SUBMITTED


def test_unknown_decision_is_a_404():
    organization, _admin = submitted_developer("海洋实验室", "lab")
    staff = client_for(staff_user("op"))
    assert staff.post(f"/api/v1/admissions/{organization.admission.pk}/bless/").status_code == 404


def test_schema_and_docs_are_served():
    assert APIClient().get("/api/schema/").status_code == 200
    assert APIClient().get("/api/docs/").status_code == 200


def test_a_username_longer_than_any_is_refused_before_any_login_attempt_is_recorded():
    from axes.models import AccessAttempt

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "x" * 1_000_000, "password": "p"}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "username"
    assert not AccessAttempt.objects.exists()
