"""One year's disclosure report: a draft computed from the live data, then published and
frozen (its content is stored, never recomputed)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class DisclosureReport(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    # The figures and lists of the year (transparency.report.report_content): recomputed
    # while a draft, stored for good once published.
    content = models.JSONField(_("content"))
    computed_at = models.DateTimeField(_("computed at"))
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("disclosure report")
        verbose_name_plural = _("disclosure reports")

    def __str__(self) -> str:
        return f"{self.year} ({self.status})"

    @property
    def is_published(self) -> bool:
        return self.status == ReportStatus.PUBLISHED
