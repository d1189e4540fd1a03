"""Reads that cross an organization line. Missing and forbidden both raise NotFound."""

from django.db.models import QuerySet

from core.errors import NotFound
from core.models import AuditEvent
from tenants import permissions
from tenants.models import AdmissionApplication, Membership, Organization, QualificationFile


def organizations_visible_to(user) -> QuerySet[Organization]:
    base = Organization.objects.all()
    if permissions.sees_everything(user):
        return base
    return permissions.visible_objects(user, "tenants.view_organization", base)


def admissions_visible_to(user) -> QuerySet[AdmissionApplication]:
    base = AdmissionApplication.objects.select_related("organization", "decided_by")
    if permissions.is_operator_staff(user):
        return base
    return permissions.visible_objects(user, "tenants.view_admissionapplication", base)


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


def members_organization_get(user, pk) -> Organization:
    """The organization whose members ``user`` reads (permissions.may_see_members)."""
    organization = Organization.objects.filter(pk=pk).first()
    if organization is None or not permissions.may_see_members(user, organization):
        raise NotFound()
    return organization


def members_of(organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("user__username")


def membership_get(user, pk) -> Membership:
    """A member whom ``user`` may see (permissions.may_see_members)."""
    found = Membership.objects.select_related("user", "organization").filter(pk=pk).first()
    if found is None or not permissions.may_see_members(user, found.organization_id):
        raise NotFound()
    return found


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    if not permissions.sees_everything(user):
        raise NotFound()
    return AuditEvent.objects.select_related("organization")
