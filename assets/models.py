"""Data asset registration (数据资产登记): applications, reviewed in two stages, and the
registered assets with their certificates."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.storage import private_storage
from tenants.models.admission import CheckedUpload


class RightKind(models.TextChoices):
    """The three rights the city's registration rules separate."""

    HOLDING = "holding", _("Data resource holding right")
    PROCESSING = "processing", _("Data processing and use right")
    PRODUCT = "product", _("Data product operation right")


class ApplicationAction(models.TextChoices):
    INITIAL = "initial", _("Initial registration")
    CHANGE = "change", _("Change registration")
    TRANSFER = "transfer", _("Transfer registration")
    CANCELLATION = "cancellation", _("Cancellation")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting preliminary review")
    PRELIMINARY_PASSED = "preliminary_passed", _("Awaiting re-review")
    RETURNED = "returned", _("Returned for correction")
    REJECTED = "rejected", _("Rejected")
    APPROVED = "approved", _("Registered")


class AssetStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    FLAGGED = "flagged", _("Flagged: basis under question")
    LAPSED = "lapsed", _("Lapsed")
    CANCELLED = "cancelled", pgettext_lazy("registration", "Cancelled")


class AssetSubject(models.Model):
    """What a right is on, as named: a catalog (holding), a scenario (processing and use),
    or a product of a scenario (a data service, or released outputs)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"))
    catalog = models.ForeignKey(
        "operation.Catalog", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scenario = models.ForeignKey(
        "scenarios.Scenario", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        "scenarios.DataService", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outputs = models.ManyToManyField("scenarios.JobOutput", blank=True, related_name="+")

    class Meta:
        abstract = True


class DataAsset(AssetSubject):
    """A registered right, with its certificate. A change or transfer re-issues the
    certificate (a new verification code, the edition counted)."""

    certificate_number = models.CharField(_("certificate number"), max_length=32, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=16)
    edition = models.PositiveIntegerField(_("edition"), default=1)
    kind = models.CharField(_("kind of right"), max_length=12, choices=RightKind.choices)
    holder = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="data_assets",
    )
    # Catalog codes of the lineage, to find the assets a withdrawn catalog concerns.
    catalog_codes = models.JSONField(default=list)
    lineage = models.JSONField(_("lineage"), default=dict)
    status = models.CharField(
        _("status"), max_length=12, choices=AssetStatus.choices, default=AssetStatus.REGISTERED
    )
    status_reason = models.TextField(_("reason"), blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-registered_at", "-pk"]
        verbose_name = _("data asset")
        verbose_name_plural = _("data assets")

    def __str__(self) -> str:
        return self.certificate_number


class AssetApplication(AssetSubject):
    action = models.CharField(_("registration"), max_length=12, choices=ApplicationAction.choices)
    kind = models.CharField(_("kind of right"), max_length=12, choices=RightKind.choices)
    organization = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="asset_applications",
    )
    asset = models.ForeignKey(
        DataAsset,
        verbose_name=_("registered asset"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    transferee = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("transferee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Filled by the platform on submission, never by the applicant.
    lineage = models.JSONField(_("lineage"), default=dict)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    preliminary_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    preliminary_at = models.DateTimeField(_("preliminary review at"), null=True, blank=True)
    preliminary_comment = models.TextField(_("preliminary review comment"), blank=True)
    final_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    final_at = models.DateTimeField(_("re-review at"), null=True, blank=True)
    final_comment = models.TextField(_("re-review comment"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("registration application")
        verbose_name_plural = _("registration applications")

    def __str__(self) -> str:
        return self.name


def _evidence_path(instance: "EvidenceFile", filename: str) -> str:
    return f"asset-evidence/{instance.application.organization_id}/{uuid.uuid4().hex}"


class EvidenceFile(CheckedUpload):
    application = models.ForeignKey(
        AssetApplication, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(upload_to=_evidence_path, storage=private_storage, max_length=200)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")


class AssetApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AssetApplication, on_delete=models.CASCADE)


class AssetApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(AssetApplication, on_delete=models.CASCADE)
