"""The fee basis of a data product or data service, as the operator discloses it: free for
public-interest use, or a government-guided price (政府指导价) with its amount, unit and
basis. Set by operator staff (scenarios.services.pricing)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FeeBasis(models.TextChoices):
    UNSET = "", _("Not set")
    FREE = "free", _("Free for public-interest use")
    GUIDED = "guided", _("Government-guided price")


class Priced(models.Model):
    fee_basis = models.CharField(
        _("fee basis"), max_length=8, choices=FeeBasis.choices, blank=True, default=""
    )
    price_amount = models.DecimalField(
        _("price (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    price_unit = models.CharField(_("price unit"), max_length=60, blank=True)
    price_basis = models.TextField(_("pricing basis"), blank=True)
    priced_at = models.DateTimeField(_("priced at"), null=True, blank=True)

    class Meta:
        abstract = True
