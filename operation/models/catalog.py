"""Data zones, data resources (managed Parquet, versioned) and development data catalogs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.names import BilingualName


class DataZone(BilingualName, models.Model):
    key = models.SlugField(_("key"), max_length=40, unique=True)
    code_prefix = models.CharField(
        _("catalog code prefix"),
        max_length=4,
        unique=True,
        help_text=_("Two to four capital letters: catalog codes are PREFIX-0001."),
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("data zone")
        verbose_name_plural = _("data zones")

    def __str__(self) -> str:
        return self.display_name


class DataResource(models.Model):
    """A provider's data set; each upload is a new ResourceVersion."""

    provider = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("data provider"),
        on_delete=models.PROTECT,
        related_name="resources",
    )
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data resource")
        verbose_name_plural = _("data resources")

    def __str__(self) -> str:
        return self.name


class ResourceVersion(models.Model):
    """One ingested upload: a managed Parquet file under DATA_ROOT. Never deleted, so a
    version that a scenario uses is always there."""

    resource = models.ForeignKey(DataResource, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    path = models.CharField(_("path under DATA_ROOT"), max_length=300)
    source_name = models.CharField(_("uploaded file"), max_length=200)
    source_format = models.CharField(_("format"), max_length=10)
    source_encoding = models.CharField(_("encoding"), max_length=20)
    row_count = models.PositiveBigIntegerField(_("rows"))
    bytes = models.PositiveBigIntegerField(_("bytes"))
    sha256 = models.CharField("SHA-256", max_length=64)
    schema = models.JSONField(_("schema"))
    statistics = models.JSONField(_("statistics"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="resource_version_unique")
        ]
        verbose_name = _("resource version")
        verbose_name_plural = _("resource versions")

    def __str__(self) -> str:
        return f"{self.resource} v{self.number}"

    @property
    def columns(self) -> list[str]:
        return [column["name"] for column in self.schema]


class UpdateFrequency(models.TextChoices):
    IRREGULAR = "irregular", _("Irregular")
    REALTIME = "realtime", _("Real-time")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALFYEARLY = "halfyearly", _("Half-yearly")
    YEARLY = "yearly", _("Yearly")
    OTHER = "other", _("Other")


class SharingType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("Unconditional sharing")
    CONDITIONAL = "conditional", _("Conditional sharing")
    NOT_SHARED = "not_shared", _("Not shared")


class OpenType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("Unconditionally open")
    CONDITIONAL = "conditional", _("Conditionally open")
    NOT_OPEN = "not_open", _("Not open")


class CatalogStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SensitivityLevel(models.IntegerChoices):
    L1 = 1, _("L1 public")
    L2 = 2, _("L2 low")
    L3 = 3, _("L3 sensitive")
    L4 = 4, _("L4 highly sensitive")


class MaskingRule(models.TextChoices):
    KEEP = "keep", _("Keep")
    PSEUDONYM = "pseudonym", _("Keyed pseudonym")
    GENERALIZE = "generalize", _("Generalize")
    DROP = "drop", _("Drop")


class FieldType(models.TextChoices):
    STRING = "string", _("Text")
    INTEGER = "integer", _("Integer")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Boolean")
    DATE = "date", _("Date")
    TIMESTAMP = "timestamp", _("Timestamp")
    TIME = "time", _("Time")


class Catalog(BilingualName, models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    zone = models.ForeignKey(
        DataZone, verbose_name=_("data zone"), on_delete=models.PROTECT, related_name="catalogs"
    )
    provider = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("data provider"),
        on_delete=models.PROTECT,
        related_name="catalogs",
    )
    resource_version = models.ForeignKey(
        ResourceVersion,
        verbose_name=_("resource version"),
        on_delete=models.PROTECT,
        related_name="catalogs",
    )
    summary = models.TextField(_("summary"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    update_frequency = models.CharField(
        _("update frequency"),
        max_length=12,
        choices=UpdateFrequency.choices,
        default=UpdateFrequency.IRREGULAR,
    )
    data_range = models.CharField(_("data range"), max_length=200, blank=True)
    sharing_type = models.CharField(
        _("sharing type"),
        max_length=16,
        choices=SharingType.choices,
        default=SharingType.CONDITIONAL,
    )
    open_type = models.CharField(
        _("open type"), max_length=16, choices=OpenType.choices, default=OpenType.CONDITIONAL
    )
    time_coverage_start = models.DateField(_("time coverage from"), null=True, blank=True)
    time_coverage_end = models.DateField(_("time coverage to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CatalogStatus.choices, default=CatalogStatus.DRAFT
    )
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    level = models.PositiveSmallIntegerField(
        _("sensitivity level"), choices=SensitivityLevel.choices, default=SensitivityLevel.L1
    )
    # The latest published snapshot (None while a draft); bumped by every change after
    # publication, so a published version never changes.
    version = models.PositiveIntegerField(_("version"), default=0)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Lower-cased names, summary, keywords and field names, kept by the services.
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("development data catalog")
        verbose_name_plural = _("development data catalogs")
        indexes = [models.Index(fields=["status", "zone"])]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"


class CatalogField(models.Model):
    """One information item (column) of a catalog."""

    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveSmallIntegerField(_("position"))
    column = models.CharField(_("column"), max_length=64)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    data_type = models.CharField(_("type"), max_length=10, choices=FieldType.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    level = models.PositiveSmallIntegerField(
        _("sensitivity level"), choices=SensitivityLevel.choices, default=SensitivityLevel.L1
    )
    is_identifier = models.BooleanField(_("identifies an entity"), default=False)
    masking = models.CharField(
        _("masking rule"), max_length=12, choices=MaskingRule.choices, default=MaskingRule.KEEP
    )
    generalize = models.CharField(
        _("generalization"),
        max_length=20,
        blank=True,
        help_text=_("hour, day or month for times; grid:0.1 for coordinates; band:10 for numbers"),
    )

    class Meta:
        ordering = ["catalog", "position"]
        constraints = [
            models.UniqueConstraint(fields=["catalog", "column"], name="catalog_field_unique")
        ]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self) -> str:
        return f"{self.catalog.code}.{self.column}"


class CatalogVersion(models.Model):
    """A frozen, published state of a catalog: metadata, fields and resource version."""

    catalog = models.ForeignKey(Catalog, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    resource_version = models.ForeignKey(
        ResourceVersion, on_delete=models.PROTECT, related_name="catalog_versions"
    )
    snapshot = models.JSONField(_("snapshot"))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["catalog", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["catalog", "number"], name="catalog_version_unique")
        ]
        verbose_name = _("catalog version")
        verbose_name_plural = _("catalog versions")

    def __str__(self) -> str:
        return f"{self.catalog.code} v{self.number}"
