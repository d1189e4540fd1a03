"""The demand list through the API: the public summary (anyone), filing (any organization
member), details and timeline (the demanders, the assigned provider, staff), triage
(operator staff), the provider's answer, and the operator's pipeline."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.fields import BoundedPrimaryKeyRelatedField
from demands.models import Demand, DemandEvent, Urgency
from demands.selectors import (
    catalog_suggestions,
    demand_detailed,
    demand_shown,
    demands_public,
    pipeline,
)
from demands.services import demands as svc
from operation.models import DataZone, UpdateFrequency
from operation.selectors import catalog_get
from scenarios.selectors import scenario_get
from tenants.models import Organization, OrganizationKind
from tenants.permissions import is_operator_staff


class DemandSummary(serializers.ModelSerializer):
    """What anyone sees of a demand: never who asked, why, or on what basis."""

    number = serializers.CharField()
    zone = serializers.CharField(source="zone.key", allow_null=True, default=None)
    provider = serializers.CharField(source="provider.name", allow_null=True, default=None)
    catalogs = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Demand
        fields = [
            "id",
            "number",
            "title",
            "fields_wanted",
            "area",
            "period",
            "update_frequency",
            "zone",
            "urgency",
            "status",
            "provider",
            "due_date",
            "reason",
            "catalogs",
            "merged_into",
            "created_at",
        ]


class DemandEventOutput(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider.name", allow_null=True, default=None)
    catalog = serializers.CharField(source="catalog.code", allow_null=True, default=None)

    class Meta:
        model = DemandEvent
        fields = ["kind", "provider", "catalog", "other", "due_date", "note", "created_at"]


class DemandDetail(DemandSummary):
    """The summary and the timeline; the purpose and legal basis for the filing
    organization, the assigned provider and staff; the requester for the filing
    organization and staff (null otherwise)."""

    awaited_catalog = serializers.CharField(
        source="awaited_catalog.code", allow_null=True, default=None
    )
    purpose = serializers.SerializerMethodField()
    legal_basis = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    scenario = serializers.SerializerMethodField()
    events = DemandEventOutput(many=True)

    class Meta(DemandSummary.Meta):
        fields = [
            *DemandSummary.Meta.fields,
            "purpose",
            "legal_basis",
            "awaited_catalog",
            "organization",
            "scenario",
            "events",
        ]

    def get_purpose(self, obj) -> str | None:
        return obj.purpose if self.context["shown"].details else None

    def get_legal_basis(self, obj) -> str | None:
        return obj.legal_basis if self.context["shown"].details else None

    def get_organization(self, obj) -> str | None:
        return obj.organization.name if self.context["shown"].requester else None

    def get_scenario(self, obj) -> int | None:
        return obj.scenario_id if self.context["shown"].requester else None


def _detail(request, pk: int) -> Response:
    shown = demand_shown(request.user, pk)
    if not shown.timeline:
        raise NotFound()
    return Response(DemandDetail(shown.demand, context={"shown": shown}).data)


class DemandInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    fields_wanted = serializers.CharField()
    purpose = serializers.CharField()
    legal_basis = serializers.CharField()
    area = serializers.CharField(required=False, allow_blank=True, default="")
    period = serializers.CharField(required=False, allow_blank=True, default="")
    update_frequency = serializers.ChoiceField(
        choices=UpdateFrequency.choices, default=UpdateFrequency.IRREGULAR
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    zone = serializers.SlugRelatedField(
        slug_field="key", queryset=DataZone.objects.all(), required=False, allow_null=True
    )
    scenario = serializers.IntegerField(required=False, allow_null=True, min_value=1)


@extend_schema(
    parameters=[
        OpenApiParameter("status", str),
        OpenApiParameter("zone", str, description="zone key, e.g. marine"),
        OpenApiParameter("provider", int),
    ]
)
class DemandListView(ListAPIView):
    """GET: the public demand list (no login needed). POST: file a demand."""

    serializer_class = DemandSummary

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    def get_queryset(self):
        return demands_public(self.request.query_params)

    @extend_schema(request=DemandInput, responses={201: DemandDetail})
    def post(self, request):
        values = DemandInput(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        scenario = data.pop("scenario", None)
        demand = svc.demand_file(
            by=request.user,
            scenario=scenario_get(request.user, scenario) if scenario else None,
            **data,
        )
        response = _detail(request, demand.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class DemandDetailView(APIView):
    @extend_schema(responses=DemandDetail)
    def get(self, request, pk: int):
        return _detail(request, pk)


class AssignInput(serializers.Serializer):
    provider = BoundedPrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind=OrganizationKind.PROVIDER)
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MatchInput(serializers.Serializer):
    catalog = serializers.CharField(max_length=20, help_text="catalog code, e.g. HY-0001")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BlockInput(serializers.Serializer):
    reason = serializers.CharField()


class MergeInput(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="the id of the demand kept")


class AnswerInput(serializers.Serializer):
    will_publish = serializers.BooleanField()
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    catalog = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="a catalog's code: a draft is awaited, a published one matches at once",
    )


class StaffOnly(IsAuthenticated):
    """Triage is for operator staff, refused before any input is read or object found."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and is_operator_staff(request.user)


class DemandAssignView(APIView):
    permission_classes = [StaffOnly]

    @extend_schema(request=AssignInput, responses=DemandDetail)
    def post(self, request, pk: int):
        demand = demand_detailed(request.user, pk)
        values = AssignInput(data=request.data)
        values.is_valid(raise_exception=True)
        svc.demand_assign(by=request.user, demand=demand, **values.validated_data)
        return _detail(request, pk)


class DemandMatchView(APIView):
    permission_classes = [StaffOnly]

    @extend_schema(request=MatchInput, responses=DemandDetail)
    def post(self, request, pk: int):
        demand = demand_detailed(request.user, pk)
        values = MatchInput(data=request.data)
        values.is_valid(raise_exception=True)
        catalog = catalog_get(request.user, values.validated_data["catalog"])
        svc.demand_match(
            by=request.user, demand=demand, catalog=catalog, note=values.validated_data["note"]
        )
        return _detail(request, pk)


class DemandBlockView(APIView):
    permission_classes = [StaffOnly]

    @extend_schema(request=BlockInput, responses=DemandDetail)
    def post(self, request, pk: int):
        demand = demand_detailed(request.user, pk)
        values = BlockInput(data=request.data)
        values.is_valid(raise_exception=True)
        svc.demand_block(by=request.user, demand=demand, **values.validated_data)
        return _detail(request, pk)


class DemandMergeView(APIView):
    permission_classes = [StaffOnly]

    @extend_schema(request=MergeInput, responses=DemandDetail)
    def post(self, request, pk: int):
        demand = demand_detailed(request.user, pk)
        values = MergeInput(data=request.data)
        values.is_valid(raise_exception=True)
        into = demand_detailed(request.user, values.validated_data["into"])
        svc.demand_merge(by=request.user, demand=demand, into=into)
        return _detail(request, pk)


class DemandAnswerView(APIView):
    """The assigned provider's answer: will publish (by when), or cannot (why)."""

    @extend_schema(request=AnswerInput, responses=DemandDetail)
    def post(self, request, pk: int):
        demand = demand_detailed(request.user, pk)
        values = AnswerInput(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        code = data.pop("catalog")
        svc.demand_answer(
            by=request.user,
            demand=demand,
            catalog=catalog_get(request.user, code) if code else None,
            **data,
        )
        return _detail(request, pk)


class CatalogSuggestion(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    provider = serializers.CharField(source="provider.name")


class DemandSuggestionsView(APIView):
    """Catalogs that share the most words with the demand (operator staff)."""

    permission_classes = [StaffOnly]

    @extend_schema(
        responses={
            200: CatalogSuggestion(many=True),
            403: OpenApiResponse(description="not operator staff"),
        }
    )
    def get(self, request, pk: int):
        demand = demand_detailed(request.user, pk)
        found = catalog_suggestions(request.user, demand, limit=10)
        return Response(CatalogSuggestion(found, many=True).data)


class PipelineGroup(serializers.Serializer):
    name = serializers.CharField(
        allow_null=True,
        help_text="the zone's name in the language asked (English: its English name), or the "
        "provider's name; null: none given",
    )
    counts = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="open, assigned, promised, declined, blocked (in this order)",
    )
    total = serializers.IntegerField()


class PipelineStatus(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class PipelineAge(serializers.Serializer):
    active = serializers.IntegerField()
    oldest_days = serializers.IntegerField()
    median_days = serializers.IntegerField()
    over_30_days = serializers.IntegerField()


class PipelineOutput(serializers.Serializer):
    by_status = PipelineStatus(many=True)
    by_zone = PipelineGroup(many=True)
    by_provider = PipelineGroup(many=True)
    age = PipelineAge()


class DemandPipelineView(APIView):
    """The pipeline: counts by status; demands in progress by zone, by provider, and their
    age (operator staff and auditors)."""

    @extend_schema(
        responses={
            200: PipelineOutput,
            404: OpenApiResponse(description="neither operator staff nor an auditor"),
        }
    )
    def get(self, request):
        return Response(PipelineOutput(pipeline(request.user)).data)
