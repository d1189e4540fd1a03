"""Scenarios (one organization's use under an approved type) and their workspaces."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from scenarios.models.scenario_type import ScenarioType


class ScenarioStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Beyond scope: under review")
    AUTHORIZED = "authorized", _("Authorized")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    CLOSED = "closed", _("Closed")


class Scenario(models.Model):
    scenario_type = models.ForeignKey(
        ScenarioType,
        verbose_name=_("scenario type"),
        on_delete=models.PROTECT,
        related_name="scenarios",
    )
    organization = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="scenarios",
    )
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"))
    responsible_person = models.CharField(_("responsible person"), max_length=100)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(_("status"), max_length=16, choices=ScenarioStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    # Suspended by its organization's suspension (not by staff, not by a catalog): it is
    # authorized again when the organization is reinstated.
    suspended_with_organization = models.BooleanField(
        _("suspended with its organization"), default=False
    )
    agreement_sha256 = models.CharField(_("accepted agreement (SHA-256)"), max_length=64)
    agreement_accepted_at = models.DateTimeField(_("agreement accepted at"))
    # The type's scope version the scenario was authorized under.
    scope_version = models.PositiveIntegerField(_("scope version"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)
    authorized_at = models.DateTimeField(_("authorized at"), null=True, blank=True)
    # HMAC key of the scenario's pseudonyms: in the database, never in the workspace.
    pseudonym_key = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-applied_at", "-pk"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.name


class ScenarioScopeItem(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="scope")
    catalog = models.ForeignKey("operation.Catalog", on_delete=models.PROTECT, related_name="+")
    columns = models.JSONField(_("fields"))

    class Meta:
        ordering = ["scenario", "catalog__code"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "catalog"], name="scenario_scope_unique")
        ]
        verbose_name = _("scope item")
        verbose_name_plural = _("scope items")

    def __str__(self) -> str:
        return f"{self.scenario_id}:{self.catalog_id}"


class AmendmentReview(models.Model):
    """A reviewer's decision on a scenario that asks beyond its type's approved scope."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["scenario", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "reviewer"], name="amendment_review_once")
        ]
        verbose_name = _("amendment review")
        verbose_name_plural = _("amendment reviews")

    def __str__(self) -> str:
        return f"{self.scenario_id} {self.decision}"


class WorkspaceStatus(models.TextChoices):
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    DESTROYED = "destroyed", _("Destroyed")


class Workspace(models.Model):
    """One materialized version of a scenario's data: a folder under DATA_ROOT holding one
    Parquet file per catalog, with only the authorized fields, masked."""

    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="workspaces")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WorkspaceStatus.choices,
        default=WorkspaceStatus.BUILDING,
    )
    reason = models.TextField(_("reason"), blank=True)
    path = models.CharField(_("path under DATA_ROOT"), max_length=300)
    manifest = models.JSONField(_("manifest"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    # When its build was last handed to the broker (None: never, the broker was away).
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scenario", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "version"], name="workspace_version_unique")
        ]
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self) -> str:
        return f"{self.scenario} v{self.version}"
