"""Setting the price of a data service or a data product (a released output set) from
their pages: one form, one service call."""

from django.contrib import messages
from django.utils.translation import gettext as _

from core.portal import act
from scenarios.forms import PriceForm
from scenarios.services.pricing import price_set


def price_form_for(priced) -> PriceForm:
    return PriceForm(
        initial={
            "fee_basis": priced.fee_basis or "free",
            "price_amount": priced.price_amount,
            "price_unit": priced.price_unit,
            "price_basis": priced.price_basis,
        }
    )


def price_post(request, priced) -> None:
    """Set the price from the posted PriceForm; a refusal becomes an error message."""
    form = PriceForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for e in form.errors.values() for m in e))
        return
    act(
        request,
        lambda: price_set(by=request.user, target=priced, **form.cleaned_data),
        done=_("The price is set."),
    )
