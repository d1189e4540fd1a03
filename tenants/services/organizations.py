"""Creating organizations and members, deactivating members and setting their role, and
granting platform roles."""

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token

from core import hooks
from core.errors import Conflict, InvalidInput, PermissionRefused
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


def _check_username_free(username: str) -> None:
    """One username per person whatever its case, read as login reads it (NFKC: a
    full-width "ＬＡＢ" is "LAB"), so that nobody takes a look-alike of another's name."""
    if User.objects.filter(username__iexact=User.normalize_username(username)).exists():
        raise InvalidInput(_("This username is taken."), field="username")


def developer_sign_up(*, organization_fields: dict, admin_fields: dict):
    """A new developer organization and its first admin, from the public sign-up form."""
    _check_username_free(admin_fields.get("username", ""))
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
    if by is not None:
        permissions.check_member_manager(
            by, organization, _("Only the organization's administrators can add members.")
        )
    if role not in MemberRole.values:
        raise InvalidInput(_("Choose administrator or member."), field="role")
    _check_username_free(user_fields.get("username", ""))
    with transaction.atomic():
        return _create_member(
            by=by, organization=organization, role=role, user_fields=dict(user_fields)
        )


def _locked(by, membership: Membership, message: str) -> Membership:
    """``membership`` read again, after checking that ``by`` manages its organization's
    members, with its organization locked: one change of an organization's members at a
    time, so that two admins demoting each other still leave one. Inside a transaction."""
    permissions.check_member_manager(by, membership.organization_id, message)
    Organization.objects.select_for_update().filter(pk=membership.organization_id).exists()
    return Membership.objects.select_related("user", "organization").get(pk=membership.pk)


def _check_not_last_admin(membership: Membership) -> None:
    if permissions.is_last_active_admin(membership):
        raise Conflict(
            _(
                "%(name)s is the organization's last active administrator: make another "
                "member an administrator first."
            )
            % {"name": membership.user.username}
        )


def _end_sessions(user) -> None:
    """Log ``user`` out everywhere: their portal sessions and their API token."""
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
            session.delete()
    Token.objects.filter(user=user).delete()


def member_deactivate(*, by, membership: Membership, reason: str = "") -> Membership:
    """An administrator of the member's organization (or operator staff) deactivates a
    member who left: they can no longer log in, their sessions and API token end, and the
    API keys they made are revoked (scenarios listens to MEMBER_DEACTIVATED). The
    organization's last active administrator is never deactivated, and no one deactivates
    themselves (another administrator does, so that no one locks themselves out)."""
    with transaction.atomic():
        membership = _locked(
            by, membership, _("Only the organization's administrators can deactivate members.")
        )
        user = membership.user
        if not user.is_active:
            raise Conflict(_("This member is already deactivated."))
        _check_not_last_admin(membership)
        if user.pk == by.pk:
            raise Conflict(_("You cannot deactivate yourself: ask another administrator."))
        user.is_active = False
        user.save(update_fields=["is_active"])
        # Operator staff acting on an organization not their own: a sanction its own
        # administrators cannot lift.
        membership.deactivated_by_operator = permissions.is_operator_staff(
            by
        ) and not permissions.is_member(by, membership.organization_id)
        membership.save(update_fields=["deactivated_by_operator"])
        _end_sessions(user)
        audit_record(
            by=by,
            action="member.deactivate",
            target=user,
            organization=membership.organization,
            details={
                "username": user.username,
                "reason": reason,
                "by_operator": membership.deactivated_by_operator,
            },
        )
        hooks.announce(
            hooks.MEMBER_DEACTIVATED,
            by=by,
            user=user,
            organization=membership.organization,
            reason=reason,
        )
    return membership


def member_reactivate(*, by, membership: Membership, reason: str = "") -> Membership:
    """An administrator of the member's organization (or operator staff) lets a deactivated
    member log in again, with their role as it was; the API keys revoked when they were
    deactivated stay revoked."""
    with transaction.atomic():
        membership = _locked(
            by, membership, _("Only the organization's administrators can reactivate members.")
        )
        user = membership.user
        if user.is_active:
            raise Conflict(_("This member is active."))
        if not permissions.may_reactivate(by, membership):
            raise PermissionRefused(
                _("Operator staff deactivated this member: only operator staff reactivate them.")
            )
        user.is_active = True
        user.save(update_fields=["is_active"])
        membership.deactivated_by_operator = False
        membership.save(update_fields=["deactivated_by_operator"])
        audit_record(
            by=by,
            action="member.reactivate",
            target=user,
            organization=membership.organization,
            details={"username": user.username, "reason": reason},
        )
    return membership


def member_role_set(*, by, membership: Membership, role: str) -> Membership:
    """An administrator of the member's organization (or operator staff) makes an active
    member an administrator or a plain member. The organization's last active
    administrator is never demoted."""
    with transaction.atomic():
        membership = _locked(
            by, membership, _("Only the organization's administrators can change roles.")
        )
        if role not in MemberRole.values:
            raise InvalidInput(_("Choose administrator or member."), field="role")
        user = membership.user
        if not user.is_active:
            raise Conflict(_("This member is deactivated: reactivate them first."))
        previous = membership.role
        if role == previous:
            raise Conflict(_("This member already has this role."))
        _check_not_last_admin(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        # The admins group mirrors the role for the object permissions it carries.
        if role == MemberRole.ADMIN:
            user.groups.add(membership.organization.admins_group)
        else:
            user.groups.remove(membership.organization.admins_group)
        audit_record(
            by=by,
            action="member.role_set",
            target=user,
            organization=membership.organization,
            details={"username": user.username, "from": previous, "to": role},
        )
    return membership


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
