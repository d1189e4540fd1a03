"""Data services ("shared interfaces"): parameterized aggregate queries a scenario type
carries, reviewed with it; API keys bound to one scenario; quotas; the call log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.names import BilingualName
from scenarios.models.pricing import Priced


class DataService(Priced):
    """A service's identity: its code, under one scenario type, for good; its price."""

    scenario_type = models.ForeignKey(
        "scenarios.ScenarioType",
        verbose_name=_("scenario type"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("data service")
        verbose_name_plural = _("data services")

    def __str__(self) -> str:
        return self.code


class DefinitionStatus(models.TextChoices):
    DRAFT = "draft", _("Proposed with the type")
    SUBMITTED = "submitted", _("Amendment under review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class ParameterType(models.TextChoices):
    DATE = "date", _("Date")
    DATE_RANGE = "date_range", _("Date range")
    INTEGER = "integer", _("Integer")
    NUMBER = "number", _("Number")
    CHOICE = "choice", _("One of a list")


class ServiceDefinition(BilingualName, models.Model):
    """One version of a service: what reviewers approve. A change is a new version."""

    service = models.ForeignKey(DataService, on_delete=models.CASCADE, related_name="definitions")
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    sql = models.TextField(_("SQL template"))
    # [{"name", "type" (ParameterType), "label", "required", "choices", "min", "max",
    #   "max_days"}]; a date range "p" binds $p_start and $p_end (inclusive).
    parameters = models.JSONField(_("parameters"), default=list)
    columns = models.JSONField(_("output columns"))
    # The unit counted against the threshold: an identifier field, or "" for rows.
    unit = models.CharField(_("unit counted"), max_length=100, blank=True)
    cached = models.BooleanField(_("results cached"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=DefinitionStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="service_version_unique"),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status="approved"),
                name="service_one_approved",
            ),
        ]
        verbose_name = _("service definition")
        verbose_name_plural = _("service definitions")

    def __str__(self) -> str:
        return f"{self.service.code} v{self.version}"


class ServiceReview(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    definition = models.ForeignKey(
        ServiceDefinition, on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["definition", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "reviewer"], name="service_review_once")
        ]
        verbose_name = _("service review")
        verbose_name_plural = _("service reviews")

    def __str__(self) -> str:
        return f"{self.definition_id} {self.decision}"


class ApiKey(models.Model):
    """A key bound to one scenario. Only its SHA-256 is stored; the key is shown once."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.PROTECT, related_name="api_keys"
    )
    scenario = models.ForeignKey(
        "scenarios.Scenario",
        verbose_name=_("scenario"),
        on_delete=models.PROTECT,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Calls per minute; None: SERVICES_RATE_PER_MINUTE. Set by operator staff.
    rate_per_minute = models.PositiveIntegerField(_("calls per minute"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ServiceQuota(models.Model):
    """Calls per day of one organization to one service, set by operator staff."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="service_quotas"
    )
    service = models.ForeignKey(DataService, on_delete=models.CASCADE, related_name="quotas")
    calls_per_day = models.PositiveIntegerField(_("calls per day"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "service"], name="service_quota_once")
        ]
        verbose_name = _("service quota")
        verbose_name_plural = _("service quotas")

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.service_id} {self.calls_per_day}/day"


class ServiceCall(models.Model):
    """One call with a valid key, whatever its outcome."""

    at = models.DateTimeField(_("time"), db_index=True)
    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.PROTECT, related_name="+"
    )
    scenario = models.ForeignKey("scenarios.Scenario", on_delete=models.PROTECT, related_name="+")
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="calls")
    service = models.ForeignKey(
        DataService, null=True, on_delete=models.PROTECT, related_name="calls"
    )
    service_code = models.CharField(_("service"), max_length=60)
    version = models.PositiveIntegerField(null=True)
    params_sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(_("rows returned"), default=0)
    suppressed = models.PositiveIntegerField(_("cells suppressed"), default=0)
    latency_ms = models.FloatField(_("latency (ms)"))
    status = models.PositiveSmallIntegerField(_("HTTP status"))
    cached = models.BooleanField(default=False)
    # Its entry in the call log's stream (dataservices/calllog.py): moved here once.
    entry = models.CharField(max_length=40, null=True, unique=True, editable=False)  # noqa: DJ001 (unique; calls from before the log have none)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "at"], name="service_call_org_at"),
            models.Index(fields=["service", "at"], name="service_call_service_at"),
        ]
        verbose_name = _("service call")
        verbose_name_plural = _("service calls")

    def __str__(self) -> str:
        return f"{self.service_code} {self.status} @ {self.at:%Y-%m-%d %H:%M:%S}"


class ServiceLedger(models.Model):
    """A cell an organization was answered by a service: its key (hashed), the number of
    units in it and a fingerprint of its values. A later answer whose same cell differs
    by fewer than the threshold, or has as many units but other values, would disclose
    the difference: it is suppressed. (A row recorded before fingerprints has none: the
    first later answer with as many units gives it its own, beside it.)"""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(DataService, on_delete=models.CASCADE, related_name="+")
    key_sha256 = models.CharField(max_length=64)
    units = models.PositiveIntegerField()
    values_sha256 = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "service", "key_sha256", "units", "values_sha256"],
                name="service_ledger_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.service_id}:{self.key_sha256[:8]}={self.units}"
