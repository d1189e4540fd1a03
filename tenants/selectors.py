"""Reads that cross an organization line. Missing and forbidden both raise NotFound."""

from django.db.models import QuerySet

from core.errors import NotFound
from core.models import AuditEvent
from tenants import permissions
from tenants.models import AdmissionApplication, Organization, QualificationFile


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


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    if not permissions.sees_everything(user):
        raise NotFound()
    return AuditEvent.objects.select_related("organization")
