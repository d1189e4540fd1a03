"""Scenario types and scenarios through the API: thin views over selectors and services."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from scenarios.models import Scenario, ScenarioType
from scenarios.selectors import (
    scenario_get,
    scenario_type_get,
    scenario_types_visible_to,
    scenarios_visible_to,
)
from scenarios.services import scenarios as scenario_svc
from scenarios.services import types as type_svc
from scenarios.synthetic import synthetic_workspace_pull
from tenants.permissions import sees_reviewers

PARAMETERS = ["min_cell_count", "dominance_n", "dominance_k", "p_percent", "min_dof"]


def _scope(items) -> dict[str, list[str]]:
    return {item.catalog.code: list(item.columns) for item in items}


class ScenarioTypeOutput(serializers.ModelSerializer):
    proposer = serializers.CharField(source="proposer.name")
    scope = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()

    class Meta:
        model = ScenarioType
        fields = [
            "id",
            "name",
            "name_en",
            "purpose",
            "public_interest",
            "proposer",
            "output_kinds",
            *PARAMETERS,
            "valid_from",
            "valid_until",
            "status",
            "review_round",
            "scope_version",
            "reason",
            "approved_at",
            "scope",
            "sandbox_limits",
            "reviews",
        ]

    def get_scope(self, obj) -> dict:
        return _scope(obj.scope.all())

    def get_reviews(self, obj) -> list[dict]:
        request = self.context.get("request")
        if request is None or not sees_reviewers(request.user):
            return []
        return [
            {
                "round": r.round,
                "reviewer": r.reviewer.username,
                "decision": r.decision,
                "comment": r.comment,
            }
            for r in obj.reviews.select_related("reviewer")
        ]


class ScenarioTypeInput(serializers.ModelSerializer):
    scope = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    output_kinds = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = ScenarioType
        fields = [
            "name",
            "name_en",
            "purpose",
            "public_interest",
            "output_kinds",
            *PARAMETERS,
            "valid_from",
            "valid_until",
            "scope",
            "sandbox_limits",
        ]


class ReviewDecisionInput(serializers.Serializer):
    decision = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


STATUS_FILTER = [OpenApiParameter("status", str)]


@extend_schema(parameters=STATUS_FILTER)
class ScenarioTypeListView(ListAPIView):
    serializer_class = ScenarioTypeOutput

    def get_queryset(self):
        types = scenario_types_visible_to(self.request.user)
        wanted = self.request.query_params.get("status")
        return types.filter(status=wanted) if wanted else types

    @extend_schema(request=ScenarioTypeInput, responses={201: ScenarioTypeOutput})
    def post(self, request):
        values = ScenarioTypeInput(data=request.data)
        values.is_valid(raise_exception=True)
        created = type_svc.scenario_type_propose(by=request.user, **values.validated_data)
        return Response(
            ScenarioTypeOutput(created, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ScenarioTypeDetailView(APIView):
    @extend_schema(responses=ScenarioTypeOutput)
    def get(self, request, pk: int):
        found = scenario_type_get(request.user, pk)
        return Response(ScenarioTypeOutput(found, context={"request": request}).data)


class ScenarioTypeActionView(APIView):
    """submit (proposer), review (reviewers: approve, reject, return), revoke (staff)."""

    @extend_schema(
        operation_id="scenario_type_action",
        request=ReviewDecisionInput,
        responses=ScenarioTypeOutput,
    )
    def post(self, request, pk: int, action: str):
        found = scenario_type_get(request.user, pk)
        if action == "submit":
            found = type_svc.scenario_type_submit(by=request.user, scenario_type=found)
        elif action == "review":
            values = ReviewDecisionInput(data=request.data)
            values.is_valid(raise_exception=True)
            found = type_svc.scenario_type_review(
                by=request.user, scenario_type=found, **values.validated_data
            )
        elif action == "revoke":
            values = ReasonInput(data=request.data)
            values.is_valid(raise_exception=True)
            found = type_svc.scenario_type_revoke(
                by=request.user, scenario_type=found, reason=values.validated_data["reason"]
            )
        else:
            raise NotFound()
        return Response(ScenarioTypeOutput(found, context={"request": request}).data)


class ScenarioOutput(serializers.ModelSerializer):
    scenario_type = serializers.IntegerField(source="scenario_type_id")
    scenario_type_name = serializers.CharField(source="scenario_type.name")
    organization = serializers.CharField(source="organization.name")
    scope = serializers.SerializerMethodField()
    workspace = serializers.SerializerMethodField()

    class Meta:
        model = Scenario
        fields = [
            "id",
            "name",
            "purpose",
            "responsible_person",
            "scenario_type",
            "scenario_type_name",
            "organization",
            "period_start",
            "period_end",
            "status",
            "reason",
            "scope_version",
            "agreement_sha256",
            "applied_at",
            "authorized_at",
            "scope",
            "workspace",
        ]

    def get_scope(self, obj) -> dict:
        return _scope(obj.scope.all())

    def get_workspace(self, obj) -> dict | None:
        latest = max(obj.workspaces.all(), key=lambda w: w.version, default=None)
        if latest is None:
            return None
        return {
            "version": latest.version,
            "status": latest.status,
            "reason": latest.reason,
            "tables": {
                code: {"rows": table["rows"], "columns": table["columns"]}
                for code, table in latest.manifest.get("tables", {}).items()
            },
        }


class ScenarioInput(serializers.Serializer):
    scenario_type = serializers.IntegerField()
    name = serializers.CharField()
    purpose = serializers.CharField()
    responsible_person = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    scope = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    agreement_sha256 = serializers.CharField()


@extend_schema(parameters=STATUS_FILTER)
class ScenarioListView(ListAPIView):
    serializer_class = ScenarioOutput

    def get_queryset(self):
        scenarios = scenarios_visible_to(self.request.user)
        wanted = self.request.query_params.get("status")
        return scenarios.filter(status=wanted) if wanted else scenarios

    @extend_schema(request=ScenarioInput, responses={201: ScenarioOutput})
    def post(self, request):
        values = ScenarioInput(data=request.data)
        values.is_valid(raise_exception=True)
        data = dict(values.validated_data)
        scenario_type = scenario_type_get(request.user, data.pop("scenario_type"))
        scenario = scenario_svc.scenario_apply(by=request.user, scenario_type=scenario_type, **data)
        return Response(ScenarioOutput(scenario).data, status=status.HTTP_201_CREATED)


class ScenarioDetailView(APIView):
    @extend_schema(responses=ScenarioOutput)
    def get(self, request, pk: int):
        return Response(ScenarioOutput(scenario_get(request.user, pk)).data)


class SyntheticWorkspaceView(APIView):
    """The scenario's synthetic workspace (made-up rows with the real tables' names,
    columns and types) as a zip: the Parquet files, manifest.json and schema.json; for
    members of the scenario's organization (what ``pds workspace pull`` fetches)."""

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(bytes),
            403: OpenApiResponse(description="not a member of the scenario's organization"),
            404: OpenApiResponse(description="no such scenario, or another organization's"),
            409: OpenApiResponse(description="not authorized, or its workspace not ready"),
        }
    )
    def get(self, request, pk: int):
        name, content = synthetic_workspace_pull(
            by=request.user, scenario=scenario_get(request.user, pk)
        )
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ScenarioActionView(APIView):
    """review (reviewers, beyond-scope requests), suspend / reinstate / revoke (staff),
    close (the organization's admins or staff)."""

    @extend_schema(
        operation_id="scenario_action", request=ReviewDecisionInput, responses=ScenarioOutput
    )
    def post(self, request, pk: int, action: str):
        scenario = scenario_get(request.user, pk)
        if action == "review":
            values = ReviewDecisionInput(data=request.data)
            values.is_valid(raise_exception=True)
            scenario = scenario_svc.scenario_amendment_review(
                by=request.user, scenario=scenario, **values.validated_data
            )
        elif action == "close":
            values = ReasonInput(data=request.data)
            values.is_valid(raise_exception=True)
            scenario = scenario_svc.scenario_close(
                by=request.user, scenario=scenario, reason=values.validated_data["reason"]
            )
        elif action in scenario_svc.TRANSITIONS:
            values = ReasonInput(data=request.data)
            values.is_valid(raise_exception=True)
            scenario = scenario_svc.scenario_transition(
                by=request.user,
                scenario=scenario,
                action=action,
                reason=values.validated_data["reason"],
            )
        else:
            raise NotFound()
        return Response(ScenarioOutput(scenario_get(request.user, scenario.pk)).data)
