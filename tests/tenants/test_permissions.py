"""Reviewers belong to the operator or a government body: the reviewer role is refused to
members of developer organizations, from the command line and through the service."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import PermissionRefused
from core.models import AuditEvent
from tenants.models import MemberRole
from tenants.roles import PlatformRole, has_role
from tenants.services.organizations import member_create, role_grant
from tests.factories import PASSWORD, developer, provider_org, staff_user

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_grant_role_refuses_to_make_a_developer_member_a_reviewer():
    _org, admin = developer("海洋实验室", "lab")
    with pytest.raises(CommandError, match="developer organization"):
        call_command("grant_role", "lab", "reviewer")
    assert not has_role(fresh(admin), PlatformRole.REVIEWER)
    assert not AuditEvent.objects.filter(action="role.grant").exists()


def test_operator_staff_cannot_make_a_developer_member_a_reviewer_either():
    _org, admin = developer("海洋实验室", "lab")
    with pytest.raises(PermissionRefused, match="developer organization"):
        role_grant(by=staff_user("op"), user=admin, role=PlatformRole.REVIEWER)
    assert not has_role(fresh(admin), PlatformRole.REVIEWER)


@pytest.mark.parametrize("role", [PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR])
def test_a_developer_member_never_becomes_operator_staff_or_an_auditor(role):
    """Both oversee every organization: a developer's member would see the others'
    jobs and unreleased outputs."""
    _org, admin = developer("海洋实验室", "lab")
    with pytest.raises(PermissionRefused, match="never belong to a developer organization"):
        role_grant(by=staff_user("op"), user=admin, role=role)
    assert not has_role(fresh(admin), role)
    assert not AuditEvent.objects.filter(action="role.grant", target_id=str(admin.pk)).exists()


def test_operator_and_government_members_become_reviewers():
    staff_user("op")  # the operator
    official = member_create(
        by=None,
        organization=provider_org(),
        role=MemberRole.MEMBER,
        user_fields={"username": "official", "email": "o@gov.cn", "password": PASSWORD},
    )
    call_command("grant_role", "official", "reviewer")
    assert has_role(fresh(official), PlatformRole.REVIEWER)
    colleague = staff_user("colleague", PlatformRole.AUDITOR)
    call_command("grant_role", "colleague", "reviewer")
    assert has_role(fresh(colleague), PlatformRole.REVIEWER)
