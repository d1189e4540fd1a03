"""Data services through the API: the call (with an API key), definitions and their
review, keys, quotas and usage. Thin views over selectors and services."""

import codecs
import json

import orjson
from django.conf import settings
from django.http import HttpResponse, QueryDict
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.csv import csv_attachment
from core.errors import ApplicationError, NotFound
from core.fields import BoundedDateTimeField
from core.params import parse_query_int
from core.parsers import JSONParser
from scenarios.dataservices import calls as call_svc
from scenarios.dataservices import definitions as definition_svc
from scenarios.dataservices import keys as key_svc
from scenarios.dataservices import quotas as quota_svc
from scenarios.models import ApiKey, DataService, ServiceDefinition
from scenarios.selectors import (
    USAGE_EXPORT_HEADER,
    api_key_get,
    api_keys_visible_to,
    definition_get,
    definitions_visible_to,
    scenario_get,
    scenario_type_get,
    service_calls_visible_to,
    usage_export_rows,
    usage_filter,
    usage_summary,
)
from tenants.selectors import organizations_visible_to


class JsonOrCsv(BaseContentNegotiation):
    """Answers are JSON, or CSV written by the view itself for ``Accept: text/csv``; an
    error is JSON whatever the Accept header says, never a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)


def wants_csv(request) -> bool:
    return "text/csv" in request.META.get("HTTP_ACCEPT", "")


def api_key_of(request) -> str:
    """The key from ``Authorization: ApiKey <key>`` (or ``X-API-Key``)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "apikey":
        return value.strip()
    return request.META.get("HTTP_X_API_KEY", "").strip()


def _single(query: QueryDict) -> dict:
    """A query's values: one per name, a list for a name given more than once."""
    lists = {name: query.getlist(name) for name in query}
    return {name: values[0] if len(values) == 1 else values for name, values in lists.items()}


def _object(pairs) -> dict:
    """A JSON object whose keys given more than once hold the list of their values."""
    values: dict[str, list] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    return {key: found[0] if len(found) == 1 else found for key, found in values.items()}


class JsonParametersParser(JSONParser):
    """Strict JSON (no NaN or Infinity) in which a repeated key is never silently lost (and,
    as every JSON the API reads, of bounded size and depth). NUL is refused by the call,
    which names the parameter and records the refusal."""

    refuse_nul = False

    def decode(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class ServiceAnswerOutput(serializers.Serializer):
    """A data service's answer (``Accept: text/csv``: the rows as CSV)."""

    service = serializers.CharField()
    version = serializers.IntegerField()
    scenario = serializers.IntegerField()
    workspace_version = serializers.IntegerField()
    threshold = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text=(
            "One object per row: its columns, and suppressed (the columns hidden). A row "
            "whose every statistic is suppressed is left out (counted in cells_suppressed)."
        ),
    )
    cells_suppressed = serializers.IntegerField()
    cached = serializers.BooleanField()


SERVICE_ANSWER = {200: ServiceAnswerOutput, (200, "text/csv"): str}


def call_lean(request, code: str) -> HttpResponse:
    """A call by GET answered in JSON, without DRF's request, negotiation and renderer: the
    same key, answer and error shape as ServiceCallView's."""
    try:
        answer = call_svc.service_call(
            secret=api_key_of(request), code=code, given=_single(request.GET)
        )
        response = HttpResponse(orjson.dumps(answer), content_type="application/json")
    except ApplicationError as error:  # as core.errors.api_exception_handler
        body = {"code": error.code, "detail": error.message}
        if error.field:
            body["field"] = error.field
        response = HttpResponse(
            orjson.dumps(body), status=error.status, content_type="application/json"
        )
        for name, value in error.headers.items():
            response[name] = value
    patch_vary_headers(response, ["Accept"])
    return response


@extend_schema(auth=[{"apiKeyAuth": []}])  # config/openapi.py: API_KEY_SCHEME
class ServiceCallView(APIView):
    """Call a data service with an API key bound to an authorized scenario."""

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [JsonParametersParser, FormParser]
    checks_nul_itself = True  # by parameter name, recorded (core/middleware.py)
    content_negotiation_class = JsonOrCsv

    def dispatch(self, request, *args, **kwargs):
        """A GET answered in JSON (nearly every call) takes the lean path (call_lean);
        config/wsgi.py sends it there without most of Django's middleware."""
        if request.method == "GET" and not wants_csv(request):
            return call_lean(request, kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    def _answer(self, request, code: str, given: dict):
        answer = call_svc.service_call(secret=api_key_of(request), code=code, given=given)
        if not wants_csv(request):
            return Response(answer)
        columns = answer["columns"]
        rows = (
            [("" if row[c] is None else row[c]) for c in columns] + [";".join(row["suppressed"])]
            for row in answer["rows"]
        )
        response = csv_attachment([*columns, "suppressed"], rows, f"{code}.csv")
        response["X-Cells-Suppressed"] = str(answer["cells_suppressed"])
        return response

    @extend_schema(responses=SERVICE_ANSWER)
    def get(self, request, code: str):
        return self._answer(request, code, _single(request.GET))

    @extend_schema(request=dict, responses=SERVICE_ANSWER)
    def post(self, request, code: str):
        try:
            given = request.data
        except ParseError:
            given = None  # refused by the call, after the key, so it is recorded
        if isinstance(given, QueryDict):
            given = _single(given)
        return self._answer(request, code, given)


class DefinitionOutput(serializers.ModelSerializer):
    code = serializers.CharField(source="service.code")
    scenario_type = serializers.IntegerField(source="service.scenario_type_id")
    call = serializers.SerializerMethodField()
    fee_basis = serializers.CharField(source="service.fee_basis")
    price_amount = serializers.DecimalField(
        source="service.price_amount", max_digits=12, decimal_places=2, allow_null=True
    )
    price_unit = serializers.CharField(source="service.price_unit")
    price_basis = serializers.CharField(source="service.price_basis")

    class Meta:
        model = ServiceDefinition
        fields = [
            "id",
            "code",
            "version",
            "scenario_type",
            "name",
            "name_en",
            "description",
            "sql",
            "parameters",
            "columns",
            "unit",
            "cached",
            "status",
            "reason",
            "created_at",
            "approved_at",
            "call",
            "fee_basis",
            "price_amount",
            "price_unit",
            "price_basis",
        ]

    def get_call(self, obj) -> str:
        return f"/api/v1/services/{obj.service.code}/call"


class DefinitionInput(serializers.Serializer):
    code = serializers.CharField(max_length=60)
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    sql = serializers.CharField(trim_whitespace=False)
    parameters = serializers.JSONField(default=list)
    columns = serializers.ListField(child=serializers.CharField(max_length=63))
    unit = serializers.CharField(max_length=100, required=False, allow_blank=True)
    cached = serializers.BooleanField(default=False)


class DefinitionListView(ListAPIView):
    """Service versions visible to the caller (approved ones to everyone logged in);
    ``?status=`` and ``?scenario_type=`` filter."""

    serializer_class = DefinitionOutput

    def get_queryset(self):
        found = definitions_visible_to(self.request.user)
        if self.request.GET.get("status"):
            found = found.filter(status=self.request.GET["status"])
        scenario_type = parse_query_int(self.request.GET, "scenario_type")
        if scenario_type is not None:
            found = found.filter(service__scenario_type_id=scenario_type)
        return found


class TypeServiceProposeView(APIView):
    @extend_schema(request=DefinitionInput, responses={201: DefinitionOutput})
    def post(self, request, pk: int):
        scenario_type = scenario_type_get(request.user, pk)
        values = DefinitionInput(data=request.data)
        values.is_valid(raise_exception=True)
        definition = definition_svc.service_propose(
            by=request.user, scenario_type=scenario_type, **values.validated_data
        )
        return Response(DefinitionOutput(definition).data, status=status.HTTP_201_CREATED)


class ReviewInput(serializers.Serializer):
    decision = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DefinitionReviewView(APIView):
    @extend_schema(request=ReviewInput, responses={200: DefinitionOutput})
    def post(self, request, pk: int):
        definition = definition_get(request.user, pk)
        values = ReviewInput(data=request.data)
        values.is_valid(raise_exception=True)
        definition = definition_svc.service_review(
            by=request.user, definition=definition, **values.validated_data
        )
        return Response(DefinitionOutput(definition).data)


EXPIRES_AT_HELP = (
    "The moment the key stops working (calls at or after it are refused); null: never. "
    "A key made in the portal to expire after day D stops at midnight at the start of "
    "D + 1 in the platform's time zone, so it is valid until the end of D (the portal "
    "shows D)."
)


class ApiKeyOutput(serializers.ModelSerializer):
    scenario = serializers.IntegerField(source="scenario_id")
    organization = serializers.IntegerField(source="organization_id")
    created_by = serializers.CharField(source="created_by.username")

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scenario",
            "organization",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "rate_per_minute",
        ]
        extra_kwargs = {"expires_at": {"help_text": EXPIRES_AT_HELP}}


class ApiKeyInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = BoundedDateTimeField(
        required=False, allow_null=True, default=None, help_text=EXPIRES_AT_HELP
    )


class ScenarioApiKeyListView(ListAPIView):
    """A scenario's keys; an administrator of its organization creates one (its secret
    is in the answer, once)."""

    serializer_class = ApiKeyOutput

    def get_queryset(self):
        scenario = scenario_get(self.request.user, self.kwargs["pk"])
        return api_keys_visible_to(self.request.user).filter(scenario=scenario)

    @extend_schema(request=ApiKeyInput, responses={201: ApiKeyOutput})
    def post(self, request, pk: int):
        scenario = scenario_get(request.user, pk)
        values = ApiKeyInput(data=request.data)
        values.is_valid(raise_exception=True)
        key, secret = key_svc.api_key_create(
            by=request.user, scenario=scenario, **values.validated_data
        )
        return Response({**ApiKeyOutput(key).data, "key": secret}, status=status.HTTP_201_CREATED)


class RateInput(serializers.Serializer):
    rate_per_minute = serializers.IntegerField(allow_null=True, min_value=1)


class ApiKeyActionView(APIView):
    @extend_schema(request=RateInput, responses={200: ApiKeyOutput})
    def post(self, request, pk: int, action: str):
        key = api_key_get(request.user, pk)
        if action == "revoke":
            key = key_svc.api_key_revoke(by=request.user, key=key)
        elif action == "rate":
            values = RateInput(data=request.data)
            values.is_valid(raise_exception=True)
            key = quota_svc.api_key_rate_set(by=request.user, key=key, **values.validated_data)
        else:
            raise NotFound()
        return Response(ApiKeyOutput(key).data)


class QuotaInput(serializers.Serializer):
    organization = serializers.IntegerField()
    service = serializers.CharField()
    calls_per_day = serializers.IntegerField(allow_null=True, min_value=1)


class QuotaView(APIView):
    """Operator staff set an organization's daily calls to a service (null: default)."""

    @extend_schema(request=QuotaInput, responses={200: QuotaInput})
    def put(self, request):
        values = QuotaInput(data=request.data)
        values.is_valid(raise_exception=True)
        organization = (
            organizations_visible_to(request.user)
            .filter(pk=values.validated_data["organization"])
            .first()
        )
        service = DataService.objects.filter(code=values.validated_data["service"]).first()
        if organization is None or service is None:
            raise NotFound()
        quota_svc.quota_set(
            by=request.user,
            organization=organization,
            service=service,
            calls_per_day=values.validated_data["calls_per_day"],
        )
        return Response(values.validated_data)


class UsageView(APIView):
    """Calls per day, service and organization: everything for operator staff and
    auditors, one's own organization's for its members. ``Accept: text/csv`` exports."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOrCsv

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str),
            OpenApiParameter("to", str),
            OpenApiParameter("service", str),
            OpenApiParameter("organization", int),
        ],
        responses={
            200: OpenApiResponse(dict, description="usage summary"),
            (200, "text/csv"): OpenApiResponse(str, description="usage per day, as CSV"),
        },
    )
    def get(self, request):
        calls, start, end = usage_filter(service_calls_visible_to(request.user), request.GET)
        if wants_csv(request):
            return csv_attachment(
                USAGE_EXPORT_HEADER, usage_export_rows(calls), f"usage-{start}-{end}.csv"
            )
        summary = usage_summary(calls, start, end)
        return Response(summary)
