"""Creating organizations and members, and granting platform roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from core.errors import InvalidInput, PermissionRefused
from core.services.audit import audit_record
from tenants import permissions
from tenants.models import (
    AdmissionApplication,
    MemberRole,
    Membership,
    Organization,
    OrganizationKind,
)
from tenants.permissions import check_role_holder
from tenants.roles import PlatformRole, role_group
from tenants.uscc import normalize_uscc

User = get_user_model()


def _validated(instance, *, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(f"{messages[0]}", field=field) from None


def _create_organization(*, by, kind: str, fields: dict) -> Organization:
    fields = {**fields, "credit_code": normalize_uscc(fields.get("credit_code", ""))}
    organization = Organization(kind=kind, **fields)
    _validated(organization, exclude=["members_group", "admins_group"])
    label = f"org:{organization.credit_code}"
    organization.members_group = Group.objects.create(name=f"{label}:members")
    organization.admins_group = Group.objects.create(name=f"{label}:admins")
    organization.save()
    assign_perm("tenants.view_organization", organization.members_group, organization)
    if kind == OrganizationKind.DEVELOPER:
        application = AdmissionApplication.objects.create(organization=organization)
        assign_perm("tenants.view_admissionapplication", organization.members_group, application)
    audit_record(
        by=by,
        action="organization.create",
        target=organization,
        organization=organization,
        details={"kind": kind, "name": organization.name, "credit_code": organization.credit_code},
    )
    return organization


def _create_member(*, by, organization: Organization, role: str, user_fields: dict):
    password = user_fields.pop("password")
    user = User(**user_fields)
    _validated(user, exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, organization=organization, role=role)
    user.groups.add(organization.members_group)
    if role == MemberRole.ADMIN:
        user.groups.add(organization.admins_group)
    audit_record(
        by=by or user,
        action="member.add",
        target=user,
        organization=organization,
        details={"username": user.username, "role": role},
    )
    return user


def developer_sign_up(*, organization_fields: dict, admin_fields: dict):
    """A new developer organization and its first admin, from the public sign-up form."""
    if User.objects.filter(username__iexact=admin_fields.get("username", "")).exists():
        raise InvalidInput(_("This username is taken."), field="username")
    with transaction.atomic():
        organization = _create_organization(
            by=None, kind=OrganizationKind.DEVELOPER, fields=organization_fields
        )
        user = _create_member(
            by=None,
            organization=organization,
            role=MemberRole.ADMIN,
            user_fields=dict(admin_fields),
        )
    return organization, user


def organization_create(*, by, kind: str, fields: dict) -> Organization:
    """Operator staff register an organization (operator, provider or developer)."""
    if by is not None and not permissions.is_operator_staff(by):
        raise PermissionRefused(_("Only operator staff can register organizations."))
    with transaction.atomic():
        return _create_organization(by=by, kind=kind, fields=fields)


def member_create(*, by, organization: Organization, role: str, user_fields: dict):
    """An organization admin (or operator staff) adds a person to the organization."""
    if by is not None and not (
        permissions.is_operator_staff(by) or permissions.is_org_admin(by, organization)
    ):
        raise PermissionRefused(_("Only the organization's administrators can add members."))
    if User.objects.filter(username__iexact=user_fields.get("username", "")).exists():
        raise InvalidInput(_("This username is taken."), field="username")
    with transaction.atomic():
        return _create_member(
            by=by, organization=organization, role=role, user_fields=dict(user_fields)
        )


def role_grant(*, by, user, role: PlatformRole) -> None:
    """Give a person a platform role. ``by`` None means a command-line operator. Who may
    hold a role is decided in tenants.permissions (reviewers: never a developer's member)."""
    if by is not None and not permissions.is_operator_staff(by):
        raise PermissionRefused(_("Only operator staff can grant platform roles."))
    check_role_holder(user, role)
    with transaction.atomic():
        user.groups.add(role_group(role))
        user.__dict__.pop("_platform_roles", None)
        audit_record(
            by=by,
            action="role.grant",
            target=user,
            details={"username": user.username, "role": role.value},
        )
