"""Compute vouchers: CPU-hours granted by operator staff, drawn on by real jobs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from scenarios.models.job import Job


class ComputeVoucher(models.Model):
    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.PROTECT, related_name="vouchers"
    )
    cpu_hours = models.DecimalField(_("CPU-hours"), max_digits=10, decimal_places=3)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        ordering = ["organization", "valid_until", "pk"]
        verbose_name = _("compute voucher")
        verbose_name_plural = _("compute vouchers")

    def __str__(self) -> str:
        return f"{self.cpu_hours} CPU-h ({self.organization_id})"


class ComputeDraw(models.Model):
    """CPU seconds of one finished job charged to one voucher (a job may span two)."""

    voucher = models.ForeignKey(ComputeVoucher, on_delete=models.PROTECT, related_name="draws")
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="draws")
    cpu_seconds = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.cpu_seconds}s of voucher {self.voucher_id}"
