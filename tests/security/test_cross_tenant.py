"""Another organization's objects answer 404, never 403, on every path."""

import pytest
from rest_framework.test import APIClient

from tests.factories import submitted_developer

pytestmark = [pytest.mark.django_db, pytest.mark.security]


@pytest.fixture
def two_developers():
    first = submitted_developer("海洋实验室", "lab")
    second = submitted_developer("保险公司", "insurer")
    return first, second


def test_api_hides_other_organizations(two_developers):
    (org_a, admin_a), (org_b, _admin_b) = two_developers
    client = APIClient()
    client.force_authenticate(admin_a)
    application_b = org_b.admission
    file_b = application_b.files.get()
    assert client.get(f"/api/v1/admissions/{application_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/organizations/{org_b.pk}/").status_code == 404
    assert (
        client.get(f"/api/v1/admissions/{application_b.pk}/files/{file_b.pk}/").status_code == 404
    )
    response = client.post(f"/api/v1/admissions/{application_b.pk}/reject/", {"reason": "x"})
    assert response.status_code == 404
    assert [a["id"] for a in client.get("/api/v1/admissions/").json()] == [org_a.admission.pk]
    assert [o["id"] for o in client.get("/api/v1/organizations/").json()] == [org_a.pk]


def test_a_missing_object_and_a_forbidden_one_look_the_same(two_developers):
    (_org_a, admin_a), (org_b, _admin_b) = two_developers
    client = APIClient()
    client.force_authenticate(admin_a)
    forbidden = client.get(f"/api/v1/admissions/{org_b.admission.pk}/")
    missing = client.get("/api/v1/admissions/999999/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()


def test_portal_hides_other_organizations(client, two_developers):
    (_org_a, admin_a), (org_b, _admin_b) = two_developers
    client.force_login(admin_a)
    application_b = org_b.admission
    file_b = application_b.files.get()
    assert client.get(f"/admissions/{application_b.pk}/").status_code == 404
    assert client.get(f"/admissions/{application_b.pk}/files/{file_b.pk}/").status_code == 404
    assert client.post(f"/admissions/{application_b.pk}/decide/reject/").status_code == 404
    assert client.get("/admissions/").status_code == 404
    assert client.get("/audit/").status_code == 404


def test_the_applicant_and_operator_staff_can_read_the_file(client, two_developers):
    from tests.factories import staff_user

    (org_a, admin_a), _second = two_developers
    record = org_a.admission.files.get()
    for user in (admin_a, staff_user("op")):
        client.force_login(user)
        response = client.get(f"/admissions/{org_a.admission.pk}/files/{record.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
