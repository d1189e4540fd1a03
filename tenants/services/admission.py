"""Admission of secondary developers: one function per transition of the state machine."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import hooks
from core.errors import Conflict, InvalidInput, PermissionRefused
from core.services.audit import audit_record
from core.services.notifications import notification_send
from core.text import LONG_TEXT_MAX, REASON_MAX, clean_text
from tenants import permissions
from tenants.commitment import COMMITMENT_SHA256
from tenants.models import AdmissionApplication, AdmissionStatus, QualificationFile
from tenants.uploads import check_qualification_file

S = AdmissionStatus

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED),
    "admit": (frozenset({S.SUBMITTED}), S.ADMITTED),
    "reject": (frozenset({S.SUBMITTED}), S.REJECTED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
    "suspend": (frozenset({S.ADMITTED}), S.SUSPENDED),
    "reinstate": (frozenset({S.SUSPENDED}), S.ADMITTED),
    "revoke": (frozenset({S.ADMITTED, S.SUSPENDED}), S.REVOKED),
}


ACTION_LABELS = {
    "submit": gettext_lazy("submit"),
    "admit": gettext_lazy("admit"),
    "reject": gettext_lazy("reject"),
    "return": gettext_lazy("return"),
    "suspend": gettext_lazy("suspend"),
    "reinstate": gettext_lazy("reinstate"),
    "revoke": gettext_lazy("revoke"),
}


def allowed_actions(application: AdmissionApplication) -> list[str]:
    """The operator's actions that the application's current status allows."""
    return [
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if action != "submit" and application.status in sources
    ]


def _locked(application: AdmissionApplication) -> AdmissionApplication:
    return (
        # NO KEY UPDATE: audit events naming the organization (a foreign key share lock,
        # taken after the audit chain head) are never blocked by it.
        AdmissionApplication.objects.select_for_update(no_key=True)
        .select_related("organization")
        .get(pk=application.pk)
    )


def _check_transition(application: AdmissionApplication, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if application.status not in sources:
        raise Conflict(
            _("Cannot %(action)s this application: it is %(status)s.")
            % {"action": ACTION_LABELS[action], "status": application.get_status_display()}
        )
    return target


def _notify(application: AdmissionApplication, event: str) -> None:
    organization = application.organization
    admins = list(organization.admins_group.user_set.filter(is_active=True))
    notification_send(
        recipients=admins,
        subject_template=f"tenants/email/admission_{event}_subject.txt",
        body_template="tenants/email/admission_body.txt",
        context={"application": application, "organization": organization, "event": event},
        target_url=reverse("my-organization"),
    )


def admission_submit(
    *,
    by,
    application: AdmissionApplication,
    business_scope: str,
    security_measures: str,
    files: list,
    commitment_sha256: str,
) -> AdmissionApplication:
    """The organization's admin applies (or re-applies after a return)."""
    permissions.check_org_admin(
        by,
        application.organization_id,
        _("Only the organization's administrators can apply."),
    )
    # Before reading any file; checked again under the lock below.
    _check_transition(AdmissionApplication.objects.get(pk=application.pk), "submit")
    business_scope = clean_text(business_scope, field="business_scope", max_length=LONG_TEXT_MAX)
    security_measures = clean_text(
        security_measures, field="security_measures", max_length=LONG_TEXT_MAX
    )
    if not business_scope:
        raise InvalidInput(_("Describe the business scope."), field="business_scope")
    if not security_measures:
        raise InvalidInput(_("Describe the data-security measures."), field="security_measures")
    if commitment_sha256 != COMMITMENT_SHA256:
        raise InvalidInput(
            _("Accept the current data-security commitment (the text may have changed)."),
            field="commitment",
        )
    if len(files) > settings.QUALIFICATION_MAX_FILES:  # before reading any of them
        raise InvalidInput(
            _("At most %(n)d qualification files can be attached.")
            % {"n": settings.QUALIFICATION_MAX_FILES},
            field="files",
        )
    checked = [check_qualification_file(upload) for upload in files]
    stored: list[QualificationFile] = []
    try:
        with transaction.atomic():
            application = _locked(application)
            target = _check_transition(application, "submit")
            count = application.files.count() + len(checked)
            if count == 0:
                raise InvalidInput(_("Upload at least one qualification file."), field="files")
            if count > settings.QUALIFICATION_MAX_FILES:
                raise InvalidInput(
                    _("At most %(n)d qualification files can be attached.")
                    % {"n": settings.QUALIFICATION_MAX_FILES},
                    field="files",
                )
            QualificationFile.store(checked, by=by, into=stored, application=application)
            now = timezone.now()
            application.business_scope = business_scope.strip()
            application.security_measures = security_measures.strip()
            application.commitment_sha256 = commitment_sha256
            application.commitment_accepted_at = now
            application.submitted_at = now
            application.status = target
            application.reason = ""
            application.save()
            audit_record(
                by=by,
                action="admission.submit",
                target=application,
                organization=application.organization,
                details={
                    "commitment_sha256": commitment_sha256,
                    "files": [{"name": r.original_name, "sha256": r.sha256} for r in stored],
                },
            )
            _notify(application, "submit")
    except Exception:
        # Nothing half-written: files stored before the failure go with the transaction.
        for record in stored:
            record.file.delete(save=False)
        raise
    return application


def _decide(
    *, by, application: AdmissionApplication, action: str, reason: str, reason_required: bool
) -> AdmissionApplication:
    if not permissions.is_operator_staff(by):
        raise PermissionRefused(_("Only operator staff can decide on admission."))
    reason = clean_text(reason, field="reason", max_length=REASON_MAX)
    if reason_required and not reason:
        raise InvalidInput(_("Give a reason."), field="reason")
    with transaction.atomic():
        application = _locked(application)
        previous = application.status
        application.status = _check_transition(application, action)
        application.reason = reason
        application.decided_at = timezone.now()
        application.decided_by = by
        application.save()
        audit_record(
            by=by,
            action=f"admission.{action}",
            target=application,
            organization=application.organization,
            details={"from": previous, "to": application.status, "reason": reason},
        )
        _notify(application, action)
        if action in ("suspend", "revoke"):
            hooks.announce(
                hooks.ORGANIZATION_SUSPENDED,
                by=by,
                organization=application.organization,
                action=action,
                reason=reason,
            )
        elif action == "reinstate":
            hooks.announce(
                hooks.ORGANIZATION_REINSTATED, by=by, organization=application.organization
            )
    return application


def admission_admit(*, by, application, reason: str = "") -> AdmissionApplication:
    return _decide(
        by=by, application=application, action="admit", reason=reason, reason_required=False
    )


def admission_reject(*, by, application, reason: str) -> AdmissionApplication:
    return _decide(
        by=by, application=application, action="reject", reason=reason, reason_required=True
    )


def admission_return(*, by, application, reason: str) -> AdmissionApplication:
    return _decide(
        by=by, application=application, action="return", reason=reason, reason_required=True
    )


def admission_suspend(*, by, application, reason: str) -> AdmissionApplication:
    return _decide(
        by=by, application=application, action="suspend", reason=reason, reason_required=True
    )


def admission_reinstate(*, by, application, reason: str = "") -> AdmissionApplication:
    return _decide(
        by=by, application=application, action="reinstate", reason=reason, reason_required=False
    )


def admission_revoke(*, by, application, reason: str) -> AdmissionApplication:
    return _decide(
        by=by, application=application, action="revoke", reason=reason, reason_required=True
    )


DECISIONS = {
    "admit": admission_admit,
    "reject": admission_reject,
    "return": admission_return,
    "suspend": admission_suspend,
    "reinstate": admission_reinstate,
    "revoke": admission_revoke,
}
