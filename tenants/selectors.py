"""Reads that cross an organization line. Missing and forbidden both raise NotFound."""

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from core.errors import NotFound
from core.models import AuditEvent
from tenants.models import AdmissionApplication, Organization, QualificationFile
from tenants.roles import PlatformRole, has_role


def membership_of(user):
    """The user's membership, or None (platform staff may belong to the operator)."""
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except AttributeError:
        return None


def organizations_visible_to(user) -> QuerySet[Organization]:
    base = Organization.objects.all()
    if has_role(user, PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR):
        return base
    return get_objects_for_user(
        user, "tenants.view_organization", base, accept_global_perms=False, with_superuser=False
    )


def admissions_visible_to(user) -> QuerySet[AdmissionApplication]:
    base = AdmissionApplication.objects.select_related("organization", "decided_by")
    if has_role(user, PlatformRole.OPERATOR_STAFF):
        return base
    return get_objects_for_user(
        user,
        "tenants.view_admissionapplication",
        base,
        accept_global_perms=False,
        with_superuser=False,
    )


def admission_get(user, pk) -> AdmissionApplication:
    application = admissions_visible_to(user).filter(pk=pk).first()
    if application is None:
        raise NotFound()
    return application


def qualification_file_get(user, application_pk, file_pk) -> QualificationFile:
    application = admission_get(user, application_pk)
    record = application.files.filter(pk=file_pk).first()
    if record is None:
        raise NotFound()
    return record


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    if not has_role(user, PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR):
        raise NotFound()
    return AuditEvent.objects.select_related("organization")
