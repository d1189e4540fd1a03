"""A data demand (数据需求) on the demand list and the steps of its supply–demand matching."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from operation.models import UpdateFrequency


class DemandStatus(models.TextChoices):
    OPEN = "open", _("Awaiting triage")
    ASSIGNED = "assigned", _("Assigned to a provider")
    PROMISED = "promised", _("Provider will publish")
    DECLINED = "declined", _("Provider cannot supply")
    MATCHED = "matched", _("Matched to a catalog")
    BLOCKED = "blocked", _("Data blockage")
    MERGED = "merged", _("Merged as a duplicate")


# Transitions: the statuses each action starts from (demands.services.demands).
ASSIGNABLE = (
    DemandStatus.OPEN,
    DemandStatus.ASSIGNED,
    DemandStatus.DECLINED,
    DemandStatus.BLOCKED,
)
ANSWERABLE = (DemandStatus.ASSIGNED, DemandStatus.PROMISED)
MATCHABLE = (
    DemandStatus.OPEN,
    DemandStatus.ASSIGNED,
    DemandStatus.PROMISED,
    DemandStatus.DECLINED,
    DemandStatus.BLOCKED,
    DemandStatus.MATCHED,
)
BLOCKABLE = (
    DemandStatus.OPEN,
    DemandStatus.ASSIGNED,
    DemandStatus.PROMISED,
    DemandStatus.DECLINED,
)
# Still in the pipeline: neither answered by a catalog nor folded into another demand.
ACTIVE = (
    DemandStatus.OPEN,
    DemandStatus.ASSIGNED,
    DemandStatus.PROMISED,
    DemandStatus.DECLINED,
    DemandStatus.BLOCKED,
)


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    IMPORTANT = "important", _("Important")
    URGENT = "urgent", _("Urgent")


class Demand(models.Model):
    organization = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("requesting organization"),
        on_delete=models.PROTECT,
        related_name="demands",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    scenario = models.ForeignKey(
        "scenarios.Scenario",
        verbose_name=_("scenario served"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="demands",
    )
    title = models.CharField(_("data wanted"), max_length=200)
    fields_wanted = models.TextField(_("fields wanted"))
    area = models.CharField(_("area"), max_length=200, blank=True)
    period = models.CharField(_("period"), max_length=200, blank=True)
    update_frequency = models.CharField(
        _("update frequency"),
        max_length=20,
        choices=UpdateFrequency.choices,
        default=UpdateFrequency.IRREGULAR,
    )
    zone = models.ForeignKey(
        "operation.DataZone",
        verbose_name=_("data zone"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="demands",
    )
    purpose = models.TextField(_("purpose"))
    legal_basis = models.TextField(_("legal basis"))
    urgency = models.CharField(
        _("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DemandStatus.choices, default=DemandStatus.OPEN
    )
    provider = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("assigned provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_demands",
    )
    due_date = models.DateField(_("to be published by"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    awaited_catalog = models.ForeignKey(
        "operation.Catalog",
        verbose_name=_("awaited catalog"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="awaiting_demands",
    )
    catalogs = models.ManyToManyField(
        "operation.Catalog",
        verbose_name=_("matched catalogs"),
        blank=True,
        related_name="demands",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data demand")
        verbose_name_plural = _("data demands")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"XQ-{self.pk:05d}"


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    ASSIGNED = "assigned", _("Assigned to a provider")
    PROMISED = "promised", _("Provider will publish")
    DECLINED = "declined", _("Provider cannot supply")
    AWAITING = "awaiting", _("Waiting for a catalog to be published")
    MATCHED = "matched", _("Matched to a catalog")
    PUBLISHED = "published", _("Awaited catalog published")
    WITHDRAWN = "withdrawn", _("Matched catalog withdrawn")
    BLOCKED = "blocked", _("Marked as a data blockage")
    MERGED = "merged", _("Merged as a duplicate")
    DUPLICATE = "duplicate", _("A duplicate merged into it")


class DemandEvent(models.Model):
    """One step of a demand, shown to its demander as a timeline (who acted is in the
    audit trail; the timeline names the provider, never a person)."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("step"), max_length=20, choices=EventKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    provider = models.ForeignKey(
        "tenants.Organization", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    catalog = models.ForeignKey(
        "operation.Catalog", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    other = models.ForeignKey(Demand, on_delete=models.SET_NULL, null=True, related_name="+")
    due_date = models.DateField(null=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.demand.number} {self.kind}"
