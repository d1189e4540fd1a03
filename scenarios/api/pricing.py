"""Prices of data services and data products (released output sets) through the API: operator
staff set them (scenarios.services.pricing); whoever sees the service or the request reads
them in its own answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scenarios.models import DataService, FeeBasis, ReleaseRequest
from scenarios.selectors import release_request_get, service_get
from scenarios.services.pricing import price_set


class PriceInput(serializers.Serializer):
    """Free for public-interest use (no amount), or a government-guided price: its amount
    in yuan, what it is per, and the basis it rests on."""

    fee_basis = serializers.ChoiceField([FeeBasis.FREE, FeeBasis.GUIDED])
    price_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="Yuan; required for a guided price.",
    )
    price_unit = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="What the price is per (per call, per year ...); required for a guided price.",
    )
    price_basis = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The basis of the price; required for a guided price.",
    )


class PriceOutput(serializers.Serializer):
    fee_basis = serializers.ChoiceField(FeeBasis.choices)
    price_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    price_unit = serializers.CharField()
    price_basis = serializers.CharField()
    priced_at = serializers.DateTimeField(allow_null=True)


def _price(request, target: DataService | ReleaseRequest) -> Response:
    values = PriceInput(data=request.data)
    values.is_valid(raise_exception=True)
    priced = price_set(by=request.user, target=target, **values.validated_data)
    return Response(PriceOutput(priced).data)


class ServicePriceView(APIView):
    """The price of a data service (operator staff)."""

    @extend_schema(operation_id="service_price_set", request=PriceInput, responses=PriceOutput)
    def put(self, request, code: str):
        return _price(request, service_get(request.user, code))


class ReleasePriceView(APIView):
    """The price of a data product: a released output set (operator staff)."""

    @extend_schema(operation_id="release_price_set", request=PriceInput, responses=PriceOutput)
    def put(self, request, pk: int):
        return _price(request, release_request_get(request.user, pk))
