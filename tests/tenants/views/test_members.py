"""The members page: an organization's administrators deactivate, reactivate and set the
role of its members there (POST only, with the CSRF token); others cannot."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core.models import AuditEvent
from tenants.models import MemberRole
from tenants.roles import PlatformRole
from tests.factories import developer, is_active, org_member, staff_user

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_deactivates_with_a_reason_and_sees_the_member_as_deactivated():
    _organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    client = _as(admin)
    page = client.get("/organization/members/").content.decode()
    deactivate = f"/members/{alice.membership.pk}/deactivate/"
    assert deactivate in page and 'data-consequence="deactivate"' in page
    assert client.get(deactivate).status_code == 405

    response = client.post(deactivate, {"reason": "已离职"}, follow=True)
    page = response.content.decode()
    assert "alice is deactivated" in page
    assert 'data-status="inactive"' in page
    assert f"/members/{alice.membership.pk}/reactivate/" in page
    assert not is_active(alice)
    assert AuditEvent.objects.get(action="member.deactivate").details["reason"] == "已离职"

    page = client.post(f"/members/{alice.membership.pk}/reactivate/", follow=True).content.decode()
    assert "alice can log in again" in page and is_active(alice)


def test_the_messages_speak_chinese():
    _organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    client = _as(admin)
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    page = client.post(
        f"/members/{alice.membership.pk}/deactivate/", follow=True, **chinese
    ).content.decode()
    assert "已停用" in page
    page = client.post(
        f"/members/{admin.membership.pk}/role/",
        {"role": "member"},
        follow=True,
        **chinese,
    ).content.decode()
    assert "最后一位" in page


def test_an_admin_changes_a_role_and_the_last_admin_is_kept():
    _organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    client = _as(admin)
    role = f"/members/{alice.membership.pk}/role/"
    page = client.post(role, {"role": "admin"}, follow=True).content.decode()
    assert "alice is now: Administrator." in page
    alice.membership.refresh_from_db()
    assert alice.membership.role == MemberRole.ADMIN
    assert AuditEvent.objects.filter(action="member.role_set").count() == 1

    page = client.post(role, {"role": "owner"}, follow=True).content.decode()
    assert "Choose administrator or member." in page

    client.post(role, {"role": "member"})
    own = f"/members/{admin.membership.pk}/"
    for path, data in ((own + "role/", {"role": "member"}), (own + "deactivate/", {})):
        page = client.post(path, data, follow=True).content.decode()
        assert "lab is the organization&#x27;s last active administrator" in page
    admin.membership.refresh_from_db()
    assert admin.membership.role == MemberRole.ADMIN and is_active(admin)


def test_posts_need_the_csrf_token():
    _organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(f"/members/{alice.membership.pk}/deactivate/")
    assert response.status_code == 403 and is_active(alice)


def test_a_plain_member_sees_no_actions_and_is_refused():
    _organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    bob = _as(org_member(admin, "bob"))
    page = bob.get("/organization/members/").content.decode()
    assert "/deactivate/" not in page and "/role/" not in page
    base = f"/members/{alice.membership.pk}/"
    assert bob.post(base + "deactivate/").status_code == 403
    assert bob.post(base + "role/", {"role": "admin"}).status_code == 403
    alice.membership.refresh_from_db()
    assert is_active(alice) and alice.membership.role == MemberRole.MEMBER


def test_another_organizations_admin_finds_nothing():
    _organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    stranger = _as(developer("蓝湾数据", "bluebay")[1])
    base = f"/members/{alice.membership.pk}/"
    for action, data in (("deactivate/", {}), ("reactivate/", {}), ("role/", {"role": "admin"})):
        assert stranger.post(base + action, data).status_code == 404
        assert stranger.post("/members/999999/" + action, data).status_code == 404
    alice.membership.refresh_from_db()
    assert is_active(alice) and alice.membership.role == MemberRole.MEMBER


def test_operator_staff_manage_another_organizations_members_from_its_admission():
    organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    staff = _as(staff_user("operator1"))
    page = staff.get(f"/admissions/{organization.admission.pk}/").content.decode()
    members = f"/organizations/{organization.pk}/members/"
    assert f'href="{members}"' in page and "2 members" in page
    admission = f"/admissions/{organization.admission.pk}/"
    assert "2 名成员" in staff.get(admission, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    page = staff.get(members).content.decode()
    assert "海洋实验室" in page and 'data-member="alice"' in page
    deactivate = f"/members/{alice.membership.pk}/deactivate/"
    assert deactivate in page
    response = staff.post(deactivate, {"reason": "单位来函"})
    assert response.status_code == 302 and response["Location"] == members
    page = staff.get(members).content.decode()
    assert "alice is deactivated" in page and not is_active(alice)
    event = AuditEvent.objects.get(action="member.deactivate")
    assert event.organization == organization and event.details["reason"] == "单位来函"

    staff.post(f"/members/{alice.membership.pk}/reactivate/")
    assert is_active(alice)
    added = staff.post(
        members,
        {
            "username": "carol",
            "email": "carol@dev.cn",
            "password": "Zx9!long-enough-pass",
            "role": MemberRole.ADMIN,
        },
    )
    assert added.status_code == 302 and added["Location"] == members
    carol = get_user_model().objects.get(username="carol")
    assert carol.membership.organization == organization
    assert carol.membership.role == MemberRole.ADMIN


def test_an_auditor_reads_the_members_and_changes_nothing():
    organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    auditor = _as(staff_user("auditor1", PlatformRole.AUDITOR))
    page = auditor.get(f"/organizations/{organization.pk}/members/").content.decode()
    assert 'data-member="alice"' in page and "/deactivate/" not in page
    assert auditor.post(f"/members/{alice.membership.pk}/deactivate/").status_code == 403
    assert is_active(alice)


def test_others_find_no_members_page_of_an_organization():
    organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    members = f"/organizations/{organization.pk}/members/"
    assert _as(alice).get(members).status_code == 200  # its own members
    for user in (
        developer("蓝湾数据", "bluebay")[1],
        staff_user("reviewer1", PlatformRole.REVIEWER),
    ):
        client = _as(user)
        assert client.get(members).status_code == 404
        assert client.get("/organizations/999999/members/").status_code == 404
        assert client.post(f"/members/{alice.membership.pk}/deactivate/").status_code == 404
    assert is_active(alice)


def test_an_admin_sees_a_member_deactivated_by_operator_staff_without_reactivate():
    organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    staff = _as(staff_user("operator1"))
    staff.post(f"/members/{alice.membership.pk}/deactivate/", {"reason": "违规调用"})
    client = _as(admin)
    page = client.get("/organization/members/").content.decode()
    assert "Deactivated by operator staff" in page
    assert f"/members/{alice.membership.pk}/reactivate/" not in page
    refused = client.post(f"/members/{alice.membership.pk}/reactivate/")
    assert refused.status_code == 403 and not is_active(alice)
    page = client.get("/organization/members/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已被运营方停用" in page
    page = staff.get(f"/organizations/{organization.pk}/members/").content.decode()
    assert f"/members/{alice.membership.pk}/reactivate/" in page
