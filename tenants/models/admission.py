"""Admission of secondary developers: the application, its files and its status."""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.storage import private_storage
from tenants.models.organization import Organization


class AdmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Not yet applied")
    SUBMITTED = "submitted", _("Under review")
    RETURNED = "returned", _("Returned for more information")
    ADMITTED = "admitted", _("Admitted")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class AdmissionApplication(models.Model):
    """One per developer organization; its status is the organization's admission."""

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="admission"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=AdmissionStatus.choices, default=AdmissionStatus.DRAFT
    )
    business_scope = models.TextField(_("business scope"), blank=True)
    security_measures = models.TextField(_("data-security measures"), blank=True)
    commitment_sha256 = models.CharField(_("accepted commitment (SHA-256)"), max_length=64)
    commitment_accepted_at = models.DateTimeField(_("commitment accepted at"), null=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    # The reason given with the last rejection, return, suspension or revocation.
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("admission application")
        verbose_name_plural = _("admission applications")

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_status_display()})"

    @property
    def is_admitted(self) -> bool:
        return self.status == AdmissionStatus.ADMITTED


def _qualification_path(instance: "QualificationFile", filename: str) -> str:
    return f"qualifications/{instance.application.organization_id}/{uuid.uuid4().hex}"


class CheckedUpload(models.Model):
    """A file whose bytes were checked (tenants/uploads.py: PDF, PNG or JPEG), its name kept
    for display only: admission's qualification files and registrations' evidence."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        PNG = "png", "PNG"
        JPEG = "jpeg", "JPEG"

    original_name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("type"), max_length=8)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    @property
    def content_type(self) -> str:
        return {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}[self.kind]

    @classmethod
    def store(cls, checked, *, by, into: list | None = None, **parent) -> list:
        """Save each checked file (``CheckedFile``) under ``parent`` (its application),
        appending each record to ``into`` as soon as its bytes are stored (so that a caller
        can remove them when its transaction fails)."""
        stored = [] if into is None else into
        for item in checked:
            record = cls(
                original_name=item.display_name,
                kind=item.kind,
                size=item.size,
                sha256=item.sha256,
                uploaded_by=by,
                **parent,
            )
            record.file.save(item.kind, ContentFile(item.content), save=False)
            stored.append(record)
            record.save()
        return stored


class QualificationFile(CheckedUpload):
    application = models.ForeignKey(
        AdmissionApplication, on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(upload_to=_qualification_path, storage=private_storage, max_length=200)
    kind = models.CharField(_("type"), max_length=8, choices=CheckedUpload.Kind.choices)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("qualification file")
        verbose_name_plural = _("qualification files")


class AdmissionApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AdmissionApplication, on_delete=models.CASCADE)


class AdmissionApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(AdmissionApplication, on_delete=models.CASCADE)
