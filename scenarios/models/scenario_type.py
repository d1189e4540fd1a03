"""Scenario types: a kind of use, reviewed once ("one scenario type, one approval")."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.names import BilingualName


class ScenarioTypeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Under review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for changes")
    REVOKED = "revoked", _("Revoked")


class OutputKind(models.TextChoices):
    AGGREGATE = "aggregate", _("Aggregate tables")
    MODEL = "model", _("Statistical models")
    FIGURE = "figure", _("Figures")
    SERVICE = "service", _("Data services")


class ScenarioType(BilingualName, models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    purpose = models.TextField(_("purpose and beneficiaries"))
    public_interest = models.BooleanField(_("public interest"), default=True)
    proposer = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("proposing organization"),
        on_delete=models.PROTECT,
        related_name="proposed_types",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    output_kinds = models.JSONField(_("output kinds"), default=list)
    min_cell_count = models.PositiveIntegerField(_("minimum cell count"), default=10)
    dominance_n = models.PositiveSmallIntegerField(_("dominance n"), default=2)
    dominance_k = models.FloatField(_("dominance k"), default=0.9)
    p_percent = models.FloatField(_("p-percent"), default=0.1)
    min_dof = models.PositiveIntegerField(_("minimum residual degrees of freedom"), default=10)
    # Sandbox limits of this type's jobs (keys of SANDBOX_LIMITS), within SANDBOX_MAX_LIMITS.
    sandbox_limits = models.JSONField(_("sandbox limits"), default=dict, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ScenarioTypeStatus.choices,
        default=ScenarioTypeStatus.DRAFT,
    )
    review_round = models.PositiveIntegerField(_("review round"), default=0)
    # Bumped each time reviewers approve a scope (the first approval, then amendments).
    scope_version = models.PositiveIntegerField(_("scope version"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("scenario type")
        verbose_name_plural = _("scenario types")

    def __str__(self) -> str:
        return self.display_name


class TypeScopeItem(models.Model):
    """One catalog and the fields of it inside a type's scope."""

    scenario_type = models.ForeignKey(ScenarioType, on_delete=models.CASCADE, related_name="scope")
    catalog = models.ForeignKey("operation.Catalog", on_delete=models.PROTECT, related_name="+")
    columns = models.JSONField(_("fields"))

    class Meta:
        ordering = ["scenario_type", "catalog__code"]
        constraints = [
            models.UniqueConstraint(fields=["scenario_type", "catalog"], name="type_scope_unique")
        ]
        verbose_name = _("scope item")
        verbose_name_plural = _("scope items")

    def __str__(self) -> str:
        return f"{self.scenario_type_id}:{self.catalog_id}"


class TypeReview(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        RETURN = "return", _("Return for changes")

    scenario_type = models.ForeignKey(
        ScenarioType, on_delete=models.CASCADE, related_name="reviews"
    )
    round = models.PositiveIntegerField(_("round"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["scenario_type", "round", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario_type", "round", "reviewer"], name="type_review_once_per_round"
            )
        ]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.scenario_type_id} r{self.round} {self.decision}"
