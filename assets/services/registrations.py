"""Registration applications and their two-stage review: the operator's preliminary review,
then the registration authority's re-review. One function per transition."""

import secrets
import string

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from assets import lineage as lineage_of
from assets.models import (
    ApplicationAction,
    ApplicationStatus,
    AssetApplication,
    AssetStatus,
    DataAsset,
    EvidenceFile,
    RightKind,
)
from core.errors import Conflict, InvalidInput, PermissionRefused
from core.services.audit import audit_record
from core.services.notifications import notification_send
from core.text import LONG_TEXT_MAX, NAME_MAX, REASON_MAX, clean_text
from tenants.models import AdmissionStatus, OrganizationKind
from tenants.permissions import check_member, check_registration_reviewer, membership_of
from tenants.uploads import check_qualification_file

S = ApplicationStatus
EDITABLE = (S.DRAFT, S.RETURNED)
PRELIMINARY_DECISIONS = ("pass", "return", "reject")
FINAL_DECISIONS = ("approve", "return", "reject")
# The letters of a certificate number by kind of right (持有, 加工, 经营).
NUMBER_CODES = {RightKind.HOLDING: "CY", RightKind.PROCESSING: "JG", RightKind.PRODUCT: "JY"}
# Rights that change hands: the holding of a resource (to another data provider, when the
# resource passes to it) and the operation of a data product (to an admitted developer).
# A processing and use right is the holder's own scenario authorization: not transferable.
TRANSFERABLE = (RightKind.HOLDING, RightKind.PRODUCT)
CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL")


def _eligible(organization, kind: str) -> bool:
    if kind == RightKind.HOLDING:
        return organization.kind == OrganizationKind.PROVIDER
    admission = getattr(organization, "admission", None)
    return admission is not None and admission.status == AdmissionStatus.ADMITTED


def _applicant(by, kind: str):
    membership = membership_of(by)
    if membership is None or not _eligible(membership.organization, kind):
        raise PermissionRefused(
            _(
                "The holding of a resource is registered by its provider; processing and "
                "product rights by an admitted developer."
            )
        )
    return membership.organization


def _texts(name: str, description: str) -> tuple[str, str]:
    name = clean_text(name, field="name", max_length=NAME_MAX).strip()
    description = clean_text(description, field="description", max_length=LONG_TEXT_MAX).strip()
    if not name:
        raise InvalidInput(_("Name the asset."), field="name")
    if not description:
        raise InvalidInput(_("Describe the asset and the right claimed."), field="description")
    return name, description


def _attach(by, application: AssetApplication, checked: list) -> list[EvidenceFile]:
    if application.evidence.count() + len(checked) > settings.QUALIFICATION_MAX_FILES:
        raise InvalidInput(
            _("At most %(n)d evidence files can be attached.")
            % {"n": settings.QUALIFICATION_MAX_FILES},
            field="files",
        )
    return EvidenceFile.store(checked, by=by, application=application)


def _checked(files) -> list:
    if len(files) > settings.QUALIFICATION_MAX_FILES:  # before reading any of them
        raise InvalidInput(
            _("At most %(n)d evidence files can be attached.")
            % {"n": settings.QUALIFICATION_MAX_FILES},
            field="files",
        )
    return [check_qualification_file(upload) for upload in files]


def _with_files(by, application, checked, change):
    """Run ``change(application)`` and store the evidence in one transaction; files
    written before a failure are removed with it."""
    stored: list[EvidenceFile] = []
    try:
        with transaction.atomic():
            application = change(application)
            stored = _attach(by, application, checked)
            return application, stored
    except Exception:
        for record in stored:
            record.file.delete(save=False)
        raise


def _files_detail(stored) -> list[dict]:
    return [{"name": r.original_name, "sha256": r.sha256} for r in stored]


def application_create(
    *,
    by,
    kind: str,
    name: str,
    description: str,
    catalog=None,
    scenario=None,
    service=None,
    outputs=(),
    files=(),
) -> AssetApplication:
    """An initial registration, as a draft of the applicant's organization: its subject
    named and checked now, its lineage filled on submission."""
    if kind not in RightKind.values:
        raise InvalidInput(_("Choose the kind of right."), field="kind")
    organization = _applicant(by, kind)
    name, description = _texts(name, description)
    outputs = list(outputs)
    if kind == RightKind.HOLDING:
        scenario, service, outputs = None, None, []
    else:
        catalog = None
        if kind == RightKind.PROCESSING:
            service, outputs = None, []
    lineage_of.build(
        kind=kind,
        catalog=catalog,
        scenario=scenario,
        service=service,
        outputs=outputs,
        organization=organization,
    )
    checked = _checked(files)

    def create(_nothing):
        application = AssetApplication.objects.create(
            action=ApplicationAction.INITIAL,
            kind=kind,
            organization=organization,
            name=name,
            description=description,
            catalog=catalog,
            scenario=scenario,
            service=service,
            created_by=by,
        )
        application.outputs.set(outputs)
        assign_perm("assets.view_assetapplication", organization.members_group, application)
        return application

    application, stored = _with_files(by, None, checked, create)
    audit_record(
        by=by,
        action="asset_application.create",
        target=application,
        organization=organization,
        details={"kind": kind, "name": name, "files": _files_detail(stored)},
    )
    return application


def application_for_asset(
    *,
    by,
    asset: DataAsset,
    action: str,
    name: str = "",
    description: str = "",
    transferee=None,
    files=(),
) -> AssetApplication:
    """A change, transfer or cancellation of a registered asset, by its holder: a draft
    reviewed like an initial registration."""
    if action not in ApplicationAction.values[1:]:
        raise InvalidInput(_("Choose change, transfer or cancellation."), field="action")
    check_member(by, asset.holder_id, _("Only the holder applies for its asset."))
    if asset.status not in (AssetStatus.REGISTERED, AssetStatus.FLAGGED):
        raise Conflict(_("This asset is no longer registered."))
    name, description = _texts(name or asset.name, description)
    if action == ApplicationAction.TRANSFER:
        if asset.kind not in TRANSFERABLE:
            raise InvalidInput(
                _(
                    "A processing and use right rests on the holder's own authorized scenario "
                    "and is not transferred: another organization registers the right of its "
                    "own scenario."
                ),
                field="action",
            )
        if transferee is None or transferee.pk == asset.holder_id:
            raise InvalidInput(
                _("Choose the organization it is transferred to."), field="transferee"
            )
        if not _eligible(transferee, asset.kind):
            raise InvalidInput(
                _("A data resource's holding is transferred to a data provider only.")
                if asset.kind == RightKind.HOLDING
                else _("A data product is transferred to an admitted developer only."),
                field="transferee",
            )
    else:
        transferee = None
    checked = _checked(files)

    def create(_nothing):
        application = AssetApplication.objects.create(
            action=action,
            kind=asset.kind,
            organization=asset.holder,
            asset=asset,
            name=name,
            description=description,
            catalog=asset.catalog,
            scenario=asset.scenario,
            service=asset.service,
            transferee=transferee,
            created_by=by,
        )
        application.outputs.set(asset.outputs.all())
        assign_perm("assets.view_assetapplication", asset.holder.members_group, application)
        return application

    application, stored = _with_files(by, None, checked, create)
    audit_record(
        by=by,
        action=f"asset_application.{action}",
        target=application,
        organization=asset.holder,
        details={
            "asset": asset.certificate_number,
            "transferee": transferee.pk if transferee else None,
            "files": _files_detail(stored),
        },
    )
    return application


def _locked(application: AssetApplication) -> AssetApplication:
    return AssetApplication.objects.select_for_update().get(pk=application.pk)


def _refuse_unless(application: AssetApplication, *states) -> None:
    if application.status not in states:
        raise Conflict(
            _("This application is %(status)s: the action is not possible.")
            % {"status": application.get_status_display()}
        )


def application_update(
    *, by, application: AssetApplication, name: str, description: str, files=()
) -> AssetApplication:
    """The applicant corrects a draft or a returned application, and may add evidence."""
    check_member(by, application.organization_id, _("Only the applicant edits its application."))
    name, description = _texts(name, description)
    checked = _checked(files)

    def change(application):
        application = _locked(application)
        _refuse_unless(application, *EDITABLE)
        application.name, application.description = name, description
        application.save(update_fields=["name", "description"])
        return application

    application, stored = _with_files(by, application, checked, change)
    audit_record(
        by=by,
        action="asset_application.update",
        target=application,
        organization=application.organization,
        details={"name": name, "files": _files_detail(stored)},
    )
    return application


def _current_lineage(application: AssetApplication) -> dict:
    """The application's lineage as it stands now; Conflict when its basis is gone: for an
    application on an asset, the applicant no longer holds it (another application moved
    it meanwhile) or the transferee is no longer eligible."""
    if application.action != ApplicationAction.INITIAL:
        asset = DataAsset.objects.get(pk=application.asset_id)
        if asset.holder_id != application.organization_id:
            raise Conflict(
                _(
                    "The applicant no longer holds this asset (another application changed "
                    "it): this application cannot go on."
                )
            )
        if application.action == ApplicationAction.TRANSFER and not _eligible(
            application.transferee, asset.kind
        ):
            raise Conflict(
                _("The organization it is transferred to is no longer eligible to hold it.")
            )
        return asset.lineage
    return lineage_of.build(
        kind=application.kind,
        catalog=application.catalog,
        scenario=application.scenario,
        service=application.service,
        outputs=application.outputs.select_related("job"),
        organization=application.organization,
    )


def application_submit(*, by, application: AssetApplication) -> AssetApplication:
    """The applicant submits (or resubmits): the platform fills the lineage now."""
    check_member(by, application.organization_id, _("Only the applicant submits its application."))
    with transaction.atomic():
        application = _locked(application)
        _refuse_unless(application, *EDITABLE)
        if not application.evidence.exists():
            raise InvalidInput(_("Attach at least one evidence file."), field="files")
        application.lineage = _current_lineage(application)
        application.status = S.SUBMITTED
        application.submitted_at = timezone.now()
        application.reason = ""
        application.preliminary_by = application.final_by = None
        application.preliminary_at = application.final_at = None
        application.preliminary_comment = application.final_comment = ""
        application.save()
        audit_record(
            by=by,
            action="asset_application.submit",
            target=application,
            organization=application.organization,
            details={"lineage": application.lineage},
        )
    return application


def _notify(application: AssetApplication) -> None:
    """The applicant's administrators learn of each decision (with the reasons)."""
    notification_send(
        recipients=application.organization.admins_group.user_set.filter(is_active=True),
        subject_template="assets/email/application_subject.txt",
        body_template="assets/email/application_body.txt",
        context={"application": application},
        target_url=reverse("asset-application-detail", args=[application.pk]),
    )


def _notify_transferee(application: AssetApplication) -> None:
    """A transfer approved: the new holder's administrators learn that the asset is
    theirs (the application itself stays the old holder's)."""
    asset = application.asset
    notification_send(
        recipients=application.transferee.admins_group.user_set.filter(is_active=True),
        subject_template="assets/email/transfer_subject.txt",
        body_template="assets/email/transfer_body.txt",
        context={"application": application, "asset": asset},
        target_url=reverse("asset-registry-detail", args=[asset.certificate_number]),
    )


def _decision_reason(decision: str, comment: str, allowed) -> str:
    if decision not in allowed:
        raise InvalidInput(_("Choose a decision."), field="decision")
    comment = clean_text(comment, field="comment", max_length=REASON_MAX).strip()
    if decision in ("return", "reject") and not comment:
        raise InvalidInput(_("Give the reasons."), field="comment")
    return comment


def application_preliminary(
    *, by, application: AssetApplication, decision: str, comment: str = ""
) -> AssetApplication:
    """The operator's preliminary review: pass to the registration authority, return for
    correction or reject, with reasons."""
    comment = _decision_reason(decision, comment, PRELIMINARY_DECISIONS)
    check_registration_reviewer(
        by,
        final=False,
        organization=application.organization_id,
        applicant=application.created_by_id,
    )
    with transaction.atomic():
        application = _locked(application)
        _refuse_unless(application, S.SUBMITTED)
        if decision == "pass":
            _current_lineage(application)  # the basis is still there
        application.status = {
            "pass": S.PRELIMINARY_PASSED,
            "return": S.RETURNED,
            "reject": S.REJECTED,
        }[decision]
        application.preliminary_by, application.preliminary_at = by, timezone.now()
        application.preliminary_comment = comment
        application.reason = comment if decision != "pass" else ""
        application.save()
        audit_record(
            by=by,
            action=f"asset_application.preliminary.{decision}",
            target=application,
            organization=application.organization,
            details={"comment": comment},
        )
        if decision != "pass":
            _notify(application)
    return application


def _verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(10))


def _certificate_number(kind: str, now) -> str:
    prefix = f"DA{now.year}{NUMBER_CODES[kind]}"
    last = (
        DataAsset.objects.filter(certificate_number__startswith=prefix)
        .order_by("-certificate_number")
        .values_list("certificate_number", flat=True)
        .first()
    )
    serial = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{serial:06d}"


def _register(application: AssetApplication, now) -> DataAsset:
    asset = DataAsset(
        certificate_number=_certificate_number(application.kind, now),
        verification_code=_verification_code(),
        kind=application.kind,
        holder=application.organization,
        name=application.name,
        description=application.description,
        catalog=application.catalog,
        scenario=application.scenario,
        service=application.service,
        lineage=application.lineage,
        catalog_codes=lineage_of.catalog_codes(application.lineage),
        registered_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        raise Conflict(_("Another certificate was issued at the same time; try again.")) from None
    asset.outputs.set(application.outputs.all())
    return asset


def _apply_to_asset(application: AssetApplication, now) -> DataAsset:
    asset = DataAsset.objects.select_for_update().get(pk=application.asset_id)
    if asset.status not in (AssetStatus.REGISTERED, AssetStatus.FLAGGED):
        raise Conflict(_("This asset is no longer registered."))
    if asset.holder_id != application.organization_id:  # moved since _current_lineage
        raise Conflict(_("The applicant no longer holds this asset."))
    if application.action == ApplicationAction.CANCELLATION:
        asset.status, asset.status_reason = AssetStatus.CANCELLED, application.description
    else:
        asset.name, asset.description = application.name, application.description
        if application.action == ApplicationAction.TRANSFER:
            asset.holder = application.transferee
        asset.edition += 1
        asset.verification_code = _verification_code()  # the old certificate stops verifying
    asset.updated_at = now
    asset.save()
    return asset


def application_final(
    *, by, application: AssetApplication, decision: str, comment: str = ""
) -> AssetApplication:
    """The registration authority's re-review, by another person than the preliminary
    review: approval registers the asset (a certificate number and verification code),
    or the change, transfer or cancellation; return for correction; rejection."""
    comment = _decision_reason(decision, comment, FINAL_DECISIONS)
    with transaction.atomic():
        application = _locked(application)
        check_registration_reviewer(
            by,
            final=True,
            organization=application.organization_id,
            applicant=application.created_by_id,
            preliminary_by=application.preliminary_by_id,
        )
        _refuse_unless(application, S.PRELIMINARY_PASSED)
        now = timezone.now()
        application.final_by, application.final_at, application.final_comment = by, now, comment
        if decision == "approve":
            _current_lineage(application)  # the basis is still there
            if application.action == ApplicationAction.INITIAL:
                application.asset = _register(application, now)
            else:
                application.asset = _apply_to_asset(application, now)
            application.status, application.reason = S.APPROVED, ""
        else:
            application.status = S.RETURNED if decision == "return" else S.REJECTED
            application.reason = comment
        application.save()
        audit_record(
            by=by,
            action=f"asset_application.final.{decision}",
            target=application,
            organization=application.organization,
            details={
                "comment": comment,
                "certificate_number": application.asset.certificate_number
                if decision == "approve"
                else None,
            },
        )
        if decision == "approve":
            audit_record(
                by=by,
                action=f"data_asset.{application.action}",
                target=application.asset,
                organization=application.asset.holder,
                details={
                    "certificate_number": application.asset.certificate_number,
                    "edition": application.asset.edition,
                    "status": application.asset.status,
                },
            )
        _notify(application)
        if decision == "approve" and application.action == ApplicationAction.TRANSFER:
            _notify_transferee(application)
    return application
