"""The members page: an organization's administrators deactivate, reactivate and set the
role of its members there (POST only, with the CSRF token); others cannot."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from core.models import AuditEvent
from tenants.models import MemberRole
from tenants.services.organizations import member_create
from tests.factories import PASSWORD, developer

pytestmark = pytest.mark.django_db


def _member(admin, username, role=MemberRole.MEMBER):
    return member_create(
        by=admin,
        organization=admin.membership.organization,
        role=role,
        user_fields={"username": username, "email": f"{username}@dev.cn", "password": PASSWORD},
    )


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _active(user) -> bool:
    return get_user_model().objects.get(pk=user.pk).is_active


def test_an_admin_deactivates_with_a_reason_and_sees_the_member_as_deactivated():
    _organization, admin = developer("海洋实验室", "lab")
    alice = _member(admin, "alice")
    client = _as(admin)
    page = client.get("/organization/members/").content.decode()
    deactivate = f"/organization/members/{alice.membership.pk}/deactivate/"
    assert deactivate in page and 'data-consequence="deactivate"' in page
    assert client.get(deactivate).status_code == 405

    response = client.post(deactivate, {"reason": "已离职"}, follow=True)
    page = response.content.decode()
    assert "alice is deactivated" in page
    assert 'data-status="inactive"' in page
    assert f"/organization/members/{alice.membership.pk}/reactivate/" in page
    assert not _active(alice)
    assert AuditEvent.objects.get(action="member.deactivate").details["reason"] == "已离职"

    page = client.post(
        f"/organization/members/{alice.membership.pk}/reactivate/", follow=True
    ).content.decode()
    assert "alice can log in again" in page and _active(alice)


def test_the_messages_speak_chinese():
    _organization, admin = developer("海洋实验室", "lab")
    alice = _member(admin, "alice")
    client = _as(admin)
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    page = client.post(
        f"/organization/members/{alice.membership.pk}/deactivate/", follow=True, **chinese
    ).content.decode()
    assert "已停用" in page
    page = client.post(
        f"/organization/members/{admin.membership.pk}/role/",
        {"role": "member"},
        follow=True,
        **chinese,
    ).content.decode()
    assert "最后一位" in page


def test_an_admin_changes_a_role_and_the_last_admin_is_kept():
    _organization, admin = developer("海洋实验室", "lab")
    alice = _member(admin, "alice")
    client = _as(admin)
    role = f"/organization/members/{alice.membership.pk}/role/"
    page = client.post(role, {"role": "admin"}, follow=True).content.decode()
    assert "alice is now: Administrator." in page
    alice.membership.refresh_from_db()
    assert alice.membership.role == MemberRole.ADMIN
    assert AuditEvent.objects.filter(action="member.role_set").count() == 1

    page = client.post(role, {"role": "owner"}, follow=True).content.decode()
    assert "Choose administrator or member." in page

    client.post(role, {"role": "member"})
    own = f"/organization/members/{admin.membership.pk}/"
    for path, data in ((own + "role/", {"role": "member"}), (own + "deactivate/", {})):
        page = client.post(path, data, follow=True).content.decode()
        assert "lab is the organization&#x27;s last active administrator" in page
    admin.membership.refresh_from_db()
    assert admin.membership.role == MemberRole.ADMIN and _active(admin)


def test_posts_need_the_csrf_token():
    _organization, admin = developer("海洋实验室", "lab")
    alice = _member(admin, "alice")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(f"/organization/members/{alice.membership.pk}/deactivate/")
    assert response.status_code == 403 and _active(alice)


def test_a_plain_member_sees_no_actions_and_is_refused():
    _organization, admin = developer("海洋实验室", "lab")
    alice = _member(admin, "alice")
    bob = _as(_member(admin, "bob"))
    page = bob.get("/organization/members/").content.decode()
    assert "/deactivate/" not in page and "/role/" not in page
    base = f"/organization/members/{alice.membership.pk}/"
    assert bob.post(base + "deactivate/").status_code == 403
    assert bob.post(base + "role/", {"role": "admin"}).status_code == 403
    alice.membership.refresh_from_db()
    assert _active(alice) and alice.membership.role == MemberRole.MEMBER


def test_another_organizations_admin_finds_nothing():
    _organization, admin = developer("海洋实验室", "lab")
    alice = _member(admin, "alice")
    stranger = _as(developer("蓝湾数据", "bluebay")[1])
    base = f"/organization/members/{alice.membership.pk}/"
    for action, data in (("deactivate/", {}), ("reactivate/", {}), ("role/", {"role": "admin"})):
        assert stranger.post(base + action, data).status_code == 404
        assert stranger.post("/organization/members/999999/" + action, data).status_code == 404
    alice.membership.refresh_from_db()
    assert _active(alice) and alice.membership.role == MemberRole.MEMBER
