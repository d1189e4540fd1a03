"""The members API: an organization's members listed for its members, operator staff and
auditors; deactivate, reactivate and role for its administrators and operator staff."""

import pytest
from rest_framework.test import APIClient

from core.models import AuditEvent
from tenants.roles import PlatformRole
from tests.factories import developer, is_active, org_member, staff_user

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_staff_list_and_deactivate_another_organizationsorg_member():
    organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    staff = _api(staff_user("operator1"))
    listed = staff.get(f"/api/v1/organizations/{organization.pk}/members/").json()
    assert [(m["username"], m["role"], m["active"]) for m in listed] == [
        ("alice", "member", True),
        ("lab", "admin", True),
    ]

    url = f"/api/v1/members/{alice.membership.pk}/"
    answer = staff.post(url + "deactivate/", {"reason": "单位来函"}, format="json")
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert not is_active(alice)
    assert AuditEvent.objects.get(action="member.deactivate").organization == organization
    again = staff.post(url + "deactivate/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"

    assert staff.post(url + "reactivate/", {}, format="json").json()["active"] is True
    answer = staff.post(url + "role/", {"role": "admin"}, format="json")
    assert answer.status_code == 200 and answer.json()["role"] == "admin"


def test_an_admin_manages_their_own_members_and_the_last_admin_stays():
    organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    client = _api(admin)
    assert len(client.get(f"/api/v1/organizations/{organization.pk}/members/").json()) == 2
    missing = client.post(f"/api/v1/members/{alice.membership.pk}/role/", {}, format="json")
    assert missing.status_code == 400 and missing.json()["field"] == "role"
    wrong = client.post(f"/api/v1/members/{alice.membership.pk}/role/", {"role": "owner"})
    assert wrong.status_code == 400
    last = client.post(f"/api/v1/members/{admin.membership.pk}/deactivate/", {}, format="json")
    assert last.status_code == 409 and is_active(admin)


def test_others_find_nothing_and_a_member_or_auditor_changes_nothing():
    organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    members = f"/api/v1/organizations/{organization.pk}/members/"
    action = f"/api/v1/members/{alice.membership.pk}/deactivate/"
    for user in (
        developer("蓝湾数据", "bluebay")[1],
        staff_user("reviewer1", PlatformRole.REVIEWER),
    ):
        client = _api(user)
        assert client.get(members).status_code == 404
        assert client.post(action, {}, format="json").status_code == 404
    for user in (alice, staff_user("auditor1", PlatformRole.AUDITOR)):
        client = _api(user)
        assert client.get(members).status_code == 200
        assert client.post(action, {}, format="json").status_code == 403
    assert APIClient().get(members).status_code in (401, 403)
    assert _api(admin).post(f"/api/v1/members/{alice.membership.pk}/promote/").status_code == 404
    assert is_active(alice)
