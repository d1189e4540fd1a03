"""Permission decisions that cross an organization line, made here only: services, views
and selectors ask these functions and keep no private copy.

Reviews. One rule for every review (a scenario type, an amendment of a type, a data
service's definition, a release of outputs): the reviewer holds the reviewer role, belongs
to the operator or a government body (never a developer organization), belongs to none of
the organizations concerned (the one that files, the one that proposed the type, the one
whose job made an output) and is none of the people concerned (who filed it, who wrote a
job whose output is under review). Which organizations and people a review concerns is
the caller's to say (scenarios.reviews names them for each kind of review).

Organizations. A member acts for their own organization only; an organization's
administrator (MemberRole.ADMIN) also manages its keys and members. Platform roles
(tenants.roles: operator staff, reviewer, auditor) are Django groups; object permissions
(django-guardian) scope what a user may see (tenants.selectors)."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user

from core.errors import PermissionRefused
from tenants.models import AdmissionStatus, MemberRole, Membership, OrganizationKind
from tenants.roles import PlatformRole, has_role, user_roles


def membership_of(user):
    """The user's membership, or None (platform staff may belong to the operator)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.membership
    except AttributeError:
        return None


def roles_of(user) -> set[PlatformRole]:
    """The user's platform roles (for display; decisions ask the predicates below)."""
    return user_roles(user)


def visible_objects(user, permission: str, queryset: QuerySet) -> QuerySet:
    """The objects of ``queryset`` on which ``user`` holds the object permission
    ``permission`` (django-guardian; a group's permission counts, a global one or being a
    superuser does not)."""
    return get_objects_for_user(
        user, permission, queryset, accept_global_perms=False, with_superuser=False
    )


def _pk(organization) -> int | None:
    return getattr(organization, "pk", organization)


def organization_of(user) -> int | None:
    """The id of the user's organization (None: they belong to none)."""
    membership = membership_of(user) if user is not None else None
    return membership.organization_id if membership is not None else None


def is_member(user, organization) -> bool:
    """Whether ``user`` belongs to ``organization`` (an Organization or its id)."""
    own = organization_of(user)
    return own is not None and own == _pk(organization)


def is_org_admin(user, organization) -> bool:
    """Whether ``user`` is an administrator of ``organization`` (an Organization or its id):
    the one answer, from the membership's role. (The organization's admins group mirrors
    that role for the object permissions it carries; no one asks it who is an admin.)"""
    membership = membership_of(user)
    return (
        membership is not None
        and membership.organization_id == _pk(organization)
        and membership.role == MemberRole.ADMIN
    )


def is_operator_staff(user) -> bool:
    return has_role(user, PlatformRole.OPERATOR_STAFF)


def may_manage_members(user, organization) -> bool:
    """Whether ``user`` adds, deactivates and sets the role of ``organization``'s members
    (an Organization or its id): its administrators and operator staff, no other
    organization's administrator."""
    return is_org_admin(user, organization) or is_operator_staff(user)


def may_see_members(user, organization) -> bool:
    """Whether ``user`` reads ``organization``'s members (an Organization or its id): its
    own members, operator staff and auditors."""
    membership = membership_of(user)
    own = membership is not None and membership.organization_id == _pk(organization)
    return own or sees_everything(user)


def may_reactivate(user, membership) -> bool:
    """Whether ``user`` lets a deactivated member log in again: whoever manages the
    organization's members, except that a member operator staff deactivated (a
    sanction) is reactivated by operator staff only."""
    if membership.deactivated_by_operator:
        return is_operator_staff(user)
    return may_manage_members(user, membership.organization_id)


def check_member_manager(user, organization, message: str) -> None:
    """Raise PermissionRefused(message) unless ``user`` manages ``organization``'s members."""
    if not may_manage_members(user, organization):
        raise PermissionRefused(message)


def is_last_active_admin(membership) -> bool:
    """Whether ``membership`` is its organization's one active administrator: who keeps the
    organization managed, so never deactivated nor made a plain member."""
    if membership.role != MemberRole.ADMIN or not membership.user.is_active:
        return False
    return not (
        Membership.objects.filter(
            organization_id=membership.organization_id,
            role=MemberRole.ADMIN,
            user__is_active=True,
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def is_reviewer(user) -> bool:
    return has_role(user, PlatformRole.REVIEWER)


def holds_role(user, role: PlatformRole) -> bool:
    """Whether ``user`` holds ``role`` (granting it is tenants.services' role_grant)."""
    return has_role(user, role)


def sees_everything(user) -> bool:
    """Whether ``user`` sees every organization's records (jobs, usage, the queue, the
    audit trail, organizations): operator staff and auditors."""
    return has_role(user, PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR)


def is_admitted_member(user) -> bool:
    """Whether ``user`` belongs to an organization whose admission is granted."""
    membership = membership_of(user)
    admission = getattr(membership.organization, "admission", None) if membership else None
    return admission is not None and admission.status == AdmissionStatus.ADMITTED


def may_propose_type(user) -> bool:
    """Whether ``user`` may propose a scenario type: operator staff who belong to an
    organization (the operator), or a member of an admitted organization."""
    if is_operator_staff(user):
        return organization_of(user) is not None
    return is_admitted_member(user)


def is_overseer(user) -> bool:
    """Whether ``user`` oversees the platform's work: a reviewer, operator staff or an
    auditor (what they see of an organization's work is the selectors' to say)."""
    return has_role(user, PlatformRole.REVIEWER, PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR)


def sees_reviewers(user) -> bool:
    """Whether ``user`` sees who reviewed what and their comments (a scenario type's,
    an amendment's or a data service's reviews and history): reviewers and operator staff."""
    return has_role(user, PlatformRole.REVIEWER, PlatformRole.OPERATOR_STAFF)


def check_member(user, organization, message: str) -> None:
    """Raise PermissionRefused(message) unless ``user`` belongs to ``organization``."""
    if not is_member(user, organization):
        raise PermissionRefused(message)


def check_org_admin(user, organization, message: str) -> None:
    """Raise PermissionRefused(message) unless ``user`` administers ``organization``."""
    if not is_org_admin(user, organization):
        raise PermissionRefused(message)


def check_operator_staff(user, message: str) -> None:
    """Raise PermissionRefused(message) unless ``user`` is operator staff."""
    if not is_operator_staff(user):
        raise PermissionRefused(message)


# Reviewers belong to the operator or to a government body (a data provider), or to no
# organization at all (a person given the role from the command line).
REVIEWER_ORGANIZATION_KINDS = (OrganizationKind.OPERATOR, OrganizationKind.PROVIDER)


def _organization_kind(user) -> str | None:
    membership = membership_of(user)
    return membership.organization.kind if membership is not None else None


def is_developer_member(user) -> bool:
    """Whether ``user`` belongs to a secondary developer's organization (their home shows
    their jobs, releases, keys and compute)."""
    return _organization_kind(user) == OrganizationKind.DEVELOPER


def is_provider_member(user) -> bool:
    """Whether ``user`` belongs to a data provider (their home shows their catalogs)."""
    return _organization_kind(user) == OrganizationKind.PROVIDER


def role_refusal(user, role: PlatformRole) -> str | None:
    """Why ``user`` may not hold ``role`` (None: they may)."""
    developer = _organization_kind(user) == OrganizationKind.DEVELOPER
    if role == PlatformRole.REGISTRATION_AUTHORITY and developer:
        return _("The registration authority never belongs to a developer organization.")
    if role in (PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR) and developer:
        # Both oversee every organization: a developer's member would see the others'.
        return _("Operator staff and auditors never belong to a developer organization.")
    if role == PlatformRole.REVIEWER:
        kind = _organization_kind(user)
        if kind is not None and kind not in REVIEWER_ORGANIZATION_KINDS:
            return _(
                "Reviewers belong to the operator or a government body: a member of a "
                "developer organization cannot be a reviewer."
            )
    return None


def check_role_holder(user, role: PlatformRole) -> None:
    """Refuse to give ``role`` to someone who may not hold it."""
    reason = role_refusal(user, role)
    if reason is not None:
        raise PermissionRefused(reason)


def review_refusal(user, *, organizations: Iterable = (), authors: Iterable = ()) -> str | None:
    """Why ``user`` may not review something that concerns ``organizations`` and
    ``authors`` (organization and user ids, or objects); None when they may."""
    if not has_role(user, PlatformRole.REVIEWER):
        return _("Only reviewers review.")
    reason = role_refusal(user, PlatformRole.REVIEWER)
    if reason is not None:
        return reason
    concerned = {_pk(o) for o in organizations} - {None}
    if organization_of(user) in concerned:
        return _(
            "A reviewer never reviews what concerns their own organization (it files, "
            "proposed the type or made the output)."
        )
    if user.pk in {getattr(a, "pk", a) for a in authors}:
        return _("A job's author never reviews its outputs.")
    return None


def may_review(user, *, organizations: Iterable = (), authors: Iterable = ()) -> bool:
    return review_refusal(user, organizations=organizations, authors=authors) is None


def check_reviewer(user, *, organizations: Iterable = (), authors: Iterable = ()) -> None:
    """Raise PermissionRefused unless ``user`` may review (see the module's rule)."""
    reason = review_refusal(user, organizations=organizations, authors=authors)
    if reason is not None:
        raise PermissionRefused(reason)


def reviewable_by(user, *, organizations: Iterable[str] = (), authors: Iterable[str] = ()) -> Q:
    """The same rule as a filter: the objects ``user`` may review, where ``organizations``
    and ``authors`` are lookups from the model to the organizations and people concerned
    (a lookup through a many-valued relation excludes the object if any of them matches)."""
    nothing = Q(pk__in=[])
    if not has_role(user, PlatformRole.REVIEWER):
        return nothing
    if role_refusal(user, PlatformRole.REVIEWER) is not None:
        return nothing
    allowed = Q()
    own = organization_of(user)
    if own is not None:
        for lookup in organizations:
            allowed &= ~Q(**{lookup: own})
    for lookup in authors:
        allowed &= ~Q(**{lookup: user.pk})
    return allowed


def may_file_demand(user) -> bool:
    """Whether ``user`` may file a data demand: a member of any organization."""
    return organization_of(user) is not None


def check_demand_filer(user, message: str) -> None:
    """Raise PermissionRefused(message) unless ``user`` may file a data demand."""
    if not may_file_demand(user):
        raise PermissionRefused(message)


# Data asset registration: the operator's preliminary review, then the registration
# authority's re-review, by two distinct people, none of the applying organization.


def is_registration_authority(user) -> bool:
    return has_role(user, PlatformRole.REGISTRATION_AUTHORITY)


def sees_registrations(user) -> bool:
    """Whether ``user`` sees every organization's submitted registration applications and
    their evidence: operator staff, the registration authority and auditors."""
    return has_role(
        user,
        PlatformRole.OPERATOR_STAFF,
        PlatformRole.REGISTRATION_AUTHORITY,
        PlatformRole.AUDITOR,
    )


def registration_review_refusal(
    user, *, final: bool, organization, applicant, preliminary_by=None
) -> str | None:
    """Why ``user`` may not decide a registration application of ``organization`` filed
    by ``applicant``: at the preliminary stage (operator staff) or, when ``final``, at the
    re-review (the registration authority, never who decided the preliminary stage)."""
    if final and not is_registration_authority(user):
        return _("Only the registration authority re-reviews a registration.")
    if not final and not is_operator_staff(user):
        return _("Only operator staff make the preliminary review of a registration.")
    if is_member(user, organization) or user.pk == _pk(applicant):
        return _("Nobody of the applying organization reviews its registration.")
    if final and preliminary_by is not None and user.pk == _pk(preliminary_by):
        return _("The re-review is made by another person than the preliminary review.")
    return None


def check_registration_reviewer(
    user, *, final: bool, organization, applicant, preliminary_by=None
) -> None:
    reason = registration_review_refusal(
        user,
        final=final,
        organization=organization,
        applicant=applicant,
        preliminary_by=preliminary_by,
    )
    if reason is not None:
        raise PermissionRefused(reason)
