"""Prices of data services and data products (released output sets): free for
public-interest use, or a government-guided price with its amount, unit and basis. Set by
operator staff; shown on the service's and the release's pages and API, and disclosed
each year (transparency)."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput
from core.services.audit import audit_record
from core.text import REASON_MAX, clean_text
from scenarios.models import DataService, FeeBasis, ReleaseRequest, ReleaseStatus
from tenants.permissions import check_operator_staff

MAX_PRICE = Decimal("9999999999.99")


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Give the price as a number of yuan."), field="price_amount") from None
    if not Decimal("0") < amount <= MAX_PRICE:
        raise InvalidInput(
            _("The price must be more than 0 and at most %(max)s yuan.") % {"max": MAX_PRICE},
            field="price_amount",
        )
    return amount


def price_set(
    *,
    by,
    target: DataService | ReleaseRequest,
    fee_basis: str,
    price_amount=None,
    price_unit: str = "",
    price_basis: str = "",
) -> DataService | ReleaseRequest:
    """Operator staff set the fee basis of a data service or of a released output set: free
    (no amount) or a guided price (amount in yuan, unit, and the basis it rests on)."""
    check_operator_staff(by, _("Only operator staff set prices."))
    if fee_basis not in (FeeBasis.FREE, FeeBasis.GUIDED):
        raise InvalidInput(_("Choose free or a guided price."), field="fee_basis")
    basis = clean_text(price_basis, field="price_basis", max_length=REASON_MAX)
    unit = clean_text(price_unit, field="price_unit", max_length=60)
    amount = None
    if fee_basis == FeeBasis.GUIDED:
        if price_amount in (None, ""):
            raise InvalidInput(_("A guided price needs its amount."), field="price_amount")
        amount = _amount(price_amount)
        if not unit:
            raise InvalidInput(
                _("Say what the price is per (per call, per year ...)."), field="price_unit"
            )
        if not basis:
            raise InvalidInput(_("Name the basis of the guided price."), field="price_basis")
    else:
        unit = ""
    model = type(target)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=target.pk)
        if isinstance(locked, ReleaseRequest) and locked.status != ReleaseStatus.APPROVED:
            raise Conflict(_("Only released outputs are data products with a price."))
        locked.fee_basis = fee_basis
        locked.price_amount = amount
        locked.price_unit = unit
        locked.price_basis = basis
        locked.priced_at = timezone.now()
        locked.save(
            update_fields=["fee_basis", "price_amount", "price_unit", "price_basis", "priced_at"]
        )
        audit_record(
            by=by,
            action="pricing.set",
            target=locked,
            organization=(
                locked.scenario.organization
                if isinstance(locked, ReleaseRequest)
                else locked.scenario_type.proposer
            ),
            details={
                "fee_basis": fee_basis,
                "price_amount": str(amount) if amount is not None else None,
                "price_unit": unit,
                "price_basis": basis,
            },
        )
    return locked
