"""Members leave and change role: an organization's administrators (and operator staff)
deactivate a member, reactivate them and make them an administrator or a plain member;
no other organization's administrator does, and the last active administrator stays."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from scenarios.dataservices.keys import api_key_create
from tenants.models import MemberRole
from tenants.permissions import is_org_admin
from tenants.services.organizations import (
    member_create,
    member_deactivate,
    member_reactivate,
    member_role_set,
)
from tests.factories import PASSWORD, developer, is_active, org_member, staff_user

pytestmark = pytest.mark.django_db
MARCH = "2025-03-01/2025-03-31"
CALL = "/api/v1/services/berth-traffic/call"


def _logged_in(username) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_a_deactivated_member_is_logged_out_everywhere_and_their_keys_are_refused(serviced):
    scenario, admin, _definition, admins_secret = serviced
    leaver = org_member(admin, "leaver", MemberRole.ADMIN)
    _key, secret = api_key_create(by=leaver, scenario=scenario, name="leaver's key")
    assert APIClient().get(CALL, {"period": MARCH}, HTTP_X_API_KEY=secret).status_code == 200
    session = _logged_in("leaver")
    assert session.get("/organization/members/").status_code == 200
    token = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "leaver", "password": PASSWORD})
        .json()["token"]
    )

    member_deactivate(by=admin, membership=leaver.membership, reason="离职")

    refused = APIClient().get(CALL, {"period": MARCH}, HTTP_X_API_KEY=secret)
    assert refused.status_code == 401 and refused.json()["code"] == "key_revoked"
    assert APIClient().get(CALL, {"period": MARCH}, HTTP_X_API_KEY=admins_secret).status_code == 200
    assert session.get("/organization/members/")["Location"].startswith("/login/")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 401
    login = Client().post("/login/", {"username": "leaver", "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in login.client.session
    again = APIClient().post("/api/v1/auth/token/", {"username": "leaver", "password": PASSWORD})
    assert again.status_code == 400

    event = AuditEvent.objects.get(action="member.deactivate")
    assert event.actor_username == admin.username
    assert event.organization_id == scenario.organization_id
    assert event.details == {"username": "leaver", "reason": "离职", "by_operator": False}
    revocation = AuditEvent.objects.get(action="api_key.revoke")
    assert revocation.actor_username == admin.username


def test_a_reactivated_member_logs_in_again_but_old_sessions_and_keys_stay_ended(serviced):
    scenario, admin, _definition, _secret = serviced
    leaver = org_member(admin, "leaver", MemberRole.ADMIN)
    _key, secret = api_key_create(by=leaver, scenario=scenario, name="leaver's key")
    session = _logged_in("leaver")
    member_deactivate(by=admin, membership=leaver.membership)
    with pytest.raises(Conflict):
        member_deactivate(by=admin, membership=leaver.membership)

    member_reactivate(by=admin, membership=leaver.membership, reason="返岗")

    assert session.get("/organization/members/")["Location"].startswith("/login/")
    assert APIClient().get(CALL, {"period": MARCH}, HTTP_X_API_KEY=secret).status_code == 401
    assert _logged_in("leaver").get("/organization/members/").status_code == 200
    assert AuditEvent.objects.filter(action="member.reactivate").count() == 1
    with pytest.raises(Conflict):
        member_reactivate(by=admin, membership=leaver.membership)


def test_the_role_changes_with_its_rights_and_is_audited():
    organization, admin = developer("海洋实验室", "lab")
    member = org_member(admin, "alice")
    assert not is_org_admin(member, organization)

    member_role_set(by=admin, membership=member.membership, role=MemberRole.ADMIN)
    member.membership.refresh_from_db()
    assert is_org_admin(member, organization)
    assert organization.admins_group.user_set.filter(pk=member.pk).exists()
    org_member(member, "bob")  # an admin now: adds members

    member_role_set(by=member, membership=admin.membership, role=MemberRole.MEMBER)
    admin.membership.refresh_from_db()
    assert not is_org_admin(admin, organization)
    assert not organization.admins_group.user_set.filter(pk=admin.pk).exists()
    with pytest.raises(PermissionRefused):
        org_member(admin, "carol")

    events = AuditEvent.objects.filter(action="member.role_set").order_by("pk")
    assert [e.details for e in events] == [
        {"username": "alice", "from": "member", "to": "admin"},
        {"username": "lab", "from": "admin", "to": "member"},
    ]
    assert {e.organization_id for e in events} == {organization.pk}
    with pytest.raises(Conflict):
        member_role_set(by=member, membership=admin.membership, role=MemberRole.MEMBER)
    with pytest.raises(InvalidInput):
        member_role_set(by=member, membership=admin.membership, role="owner")


def test_the_last_active_admin_is_neither_deactivated_nor_demoted():
    _organization, admin = developer("海洋实验室", "lab")
    with pytest.raises(Conflict, match="last active administrator"):
        member_deactivate(by=admin, membership=admin.membership)
    with pytest.raises(Conflict, match="last active administrator"):
        member_role_set(by=admin, membership=admin.membership, role=MemberRole.MEMBER)

    # A deactivated administrator is no second one.
    other = org_member(admin, "other", MemberRole.ADMIN)
    member_deactivate(by=admin, membership=other.membership)
    with pytest.raises(Conflict, match="last active administrator"):
        member_deactivate(by=staff_user("op"), membership=admin.membership)
    with pytest.raises(Conflict):
        member_role_set(by=admin, membership=other.membership, role=MemberRole.MEMBER)

    # With another active administrator, the first may leave.
    member_reactivate(by=admin, membership=other.membership)
    member_deactivate(by=other, membership=admin.membership)
    admin.refresh_from_db()
    assert not admin.is_active


def test_another_organizations_admin_and_a_plain_member_are_refused_and_staff_may():
    _organization, admin = developer("海洋实验室", "lab")
    member = org_member(admin, "alice")
    _other, stranger = developer("蓝湾数据", "bluebay")
    for by in (stranger, org_member(admin, "bob")):
        with pytest.raises(PermissionRefused):
            member_deactivate(by=by, membership=member.membership)
        with pytest.raises(PermissionRefused):
            member_role_set(by=by, membership=member.membership, role=MemberRole.ADMIN)
        with pytest.raises(PermissionRefused):
            member_reactivate(by=by, membership=member.membership)
    member.refresh_from_db()
    assert member.is_active and member.membership.role == MemberRole.MEMBER

    operator = staff_user("op")
    member_role_set(by=operator, membership=member.membership, role=MemberRole.ADMIN)
    member_deactivate(by=operator, membership=member.membership, reason="违规")
    member.refresh_from_db()
    assert not member.is_active
    assert AuditEvent.objects.get(action="member.deactivate").actor_username == "op"


def test_a_member_operator_staff_deactivated_is_reactivated_by_operator_staff_only():
    _organization, admin = developer("海洋实验室", "lab")
    alice = org_member(admin, "alice")
    operator = staff_user("op")
    member_deactivate(by=operator, membership=alice.membership, reason="违规调用")
    event = AuditEvent.objects.get(action="member.deactivate")
    assert event.details["by_operator"] is True
    with pytest.raises(PermissionRefused, match="only operator staff"):
        member_reactivate(by=admin, membership=alice.membership)
    assert not is_active(alice)
    member_reactivate(by=operator, membership=alice.membership)
    assert is_active(alice)

    # Once reactivated, or deactivated by their own administrator, the administrator may.
    member_deactivate(by=admin, membership=alice.membership)
    alice.membership.refresh_from_db()
    assert not alice.membership.deactivated_by_operator
    member_reactivate(by=admin, membership=alice.membership)
    assert is_active(alice)


def test_no_one_deactivates_themselves():
    _organization, admin = developer("海洋实验室", "lab")
    org_member(admin, "second", role=MemberRole.ADMIN)
    with pytest.raises(Conflict, match="cannot deactivate yourself"):
        member_deactivate(by=admin, membership=admin.membership)
    operator = staff_user("op")
    with pytest.raises(Conflict, match="cannot deactivate yourself"):
        member_deactivate(by=operator, membership=operator.membership)
    assert is_active(admin) and is_active(operator)


def test_a_username_differing_only_in_case_or_width_is_taken():
    """One username per person whatever its case, and a full-width name is the name it
    reads as once normalized (NFKC, as the login form reads it): "ＬＡＢ" is "LAB", which
    is "lab"'s. A look-alike of another's name is refused, by sign-up as by an admin."""
    _organization, admin = developer("海洋实验室", "lab")
    staff_user("alice")
    for name in ("ALICE", "ＡＬＩＣＥ", "ａｌｉｃｅ"):
        with pytest.raises(InvalidInput) as refused:
            member_create(
                by=admin,
                organization=admin.membership.organization,
                role=MemberRole.MEMBER,
                user_fields={"username": name, "email": "alice2@dev.cn", "password": PASSWORD},
            )
        assert refused.value.field == "username"
    with pytest.raises(InvalidInput) as refused:
        developer("蓝湾数据", "ＬＡＢ")
    assert refused.value.field == "username"
    users = get_user_model().objects
    assert list(users.filter(username__iexact="alice").values_list("username", flat=True)) == [
        "alice"
    ]
    assert list(users.filter(username__iexact="lab").values_list("username", flat=True)) == ["lab"]


def test_a_member_is_not_created_with_an_unknown_role():
    """member_create refuses a role that is neither administrator nor member, as
    member_role_set does, and creates nobody."""
    organization, admin = developer("海洋实验室", "lab")
    for role in ("owner", "", "ADMIN"):
        with pytest.raises(InvalidInput) as refused:
            member_create(
                by=admin,
                organization=organization,
                role=role,
                user_fields={"username": "alice", "email": "alice@dev.cn", "password": PASSWORD},
            )
        assert refused.value.field == "role"
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not AuditEvent.objects.filter(action="member.add", details__username="alice").exists()
