"""Outputs (check records, mitigation, downloads) and release requests through the API."""

from django.db.models import Exists, OuterRef
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.params import parse_query_int
from core.storage import attachment
from scenarios.models import JobOutput, ReleaseDecision, ReleaseRequest, ReleaseReview
from scenarios.selectors import (
    OutputShown,
    output_get,
    output_shown,
    release_request_get,
    release_requests_visible_to,
    release_reviews_shown,
    scenario_get,
)
from scenarios.services import outputs as output_svc
from scenarios.services import releases as release_svc


def shown_in(context: dict, output: JobOutput) -> OutputShown:
    """output_shown for the request's user, once per output and answer."""
    cache = context.setdefault("outputs_shown", {})
    if output.pk not in cache:
        cache[output.pk] = output_shown(context["request"].user, output)
    return cache[output.pk]


SIZE_HELP = (
    "Bytes: exact once released (and for a dry run's outputs); before that, for the "
    "output's organization, an upper bound in whole KiB with two significant digits."
)
SHA256_HELP = "null until released for the output's organization (it could carry data)."


class OutputDetail(serializers.ModelSerializer):
    job = serializers.IntegerField(source="job_id")
    scenario = serializers.IntegerField(source="job.scenario_id")
    size = serializers.SerializerMethodField(help_text=SIZE_HELP)
    sha256 = serializers.SerializerMethodField(help_text=SHA256_HELP)
    check_record = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = JobOutput
        fields = [
            "id",
            "job",
            "scenario",
            "name",
            "kind",
            "size",
            "sha256",
            "check_status",
            "check_record",
            "derived_from",
            "derivation",
            "released_at",
            "download",
        ]

    def get_size(self, obj) -> int:
        return shown_in(self.context, obj).size

    def get_sha256(self, obj) -> str | None:
        return shown_in(self.context, obj).sha256

    def get_check_record(self, obj) -> dict:
        return shown_in(self.context, obj).check_record

    def get_download(self, obj) -> str | None:
        return f"/api/v1/outputs/{obj.pk}/download" if obj.released_at else None


class OutputDetailView(APIView):
    @extend_schema(responses=OutputDetail)
    def get(self, request, pk: int):
        found = output_get(request.user, pk)
        return Response(OutputDetail(found, context={"request": request}).data)


class MitigateInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=["suppress", "round"])
    base = serializers.IntegerField(required=False, default=5)


class OutputMitigateView(APIView):
    @extend_schema(request=MitigateInput, responses={201: OutputDetail})
    def post(self, request, pk: int):
        output = output_get(request.user, pk)
        values = MitigateInput(data=request.data)
        values.is_valid(raise_exception=True)
        derived = output_svc.output_mitigate(
            by=request.user, output=output, **values.validated_data
        )
        return Response(
            OutputDetail(derived, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class OutputDownloadView(APIView):
    """A released output, for members of its scenario's organization; 404 otherwise."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(bytes)})
    def get(self, request, pk: int):
        output = output_svc.output_download(by=request.user, output_id=pk)
        return attachment(
            output.path, output.name, sha256=output_shown(request.user, output).sha256
        )


class ReleaseItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    output = serializers.IntegerField(source="output_id")
    name = serializers.CharField(source="output.name")
    job = serializers.IntegerField(source="output.job_id")
    size = serializers.SerializerMethodField(help_text=SIZE_HELP)
    sha256 = serializers.SerializerMethodField(help_text=SHA256_HELP)
    check_status = serializers.CharField(source="output.check_status")
    context = serializers.CharField()
    controls = serializers.CharField()
    exception = serializers.CharField()

    def get_size(self, obj) -> int:
        return shown_in(self.context, obj.output).size

    def get_sha256(self, obj) -> str | None:
        return shown_in(self.context, obj.output).sha256


class ItemDecisionShown(serializers.Serializer):
    output = serializers.IntegerField()
    name = serializers.CharField()
    decision = serializers.ChoiceField(ReleaseDecision.choices)
    reason = serializers.CharField(help_text="Required unless approved; reaches the developer.")


class ReviewShown(serializers.Serializer):
    """A decision as the caller may see it (blind until the round is decided)."""

    round = serializers.IntegerField()
    decision = serializers.ChoiceField(ReleaseDecision.choices)
    comment_public = serializers.CharField()
    items = ItemDecisionShown(
        many=True, help_text="The decision on each output, when decided one by one."
    )
    reviewer = serializers.CharField(required=False, help_text="Reviewers, staff, auditors.")
    comment_private = serializers.CharField(required=False, help_text="Reviewers, staff, auditors.")


class ReleaseRequestOutput(serializers.ModelSerializer):
    scenario = serializers.IntegerField(source="scenario_id")
    requested_by = serializers.CharField(source="requested_by.username")
    items = ReleaseItemOutput(many=True)
    reviews = serializers.SerializerMethodField()

    class Meta:
        model = ReleaseRequest
        fields = [
            "id",
            "scenario",
            "requested_by",
            "status",
            "round",
            "submitted_at",
            "decided_at",
            "items",
            "reviews",
            "fee_basis",
            "price_amount",
            "price_unit",
            "price_basis",
        ]

    @extend_schema_field(ReviewShown(many=True))
    def get_reviews(self, obj) -> list[dict]:
        return release_reviews_shown(self.context["request"].user, obj)


class ReleaseItemInput(serializers.Serializer):
    output = serializers.IntegerField()
    context = serializers.CharField()
    controls = serializers.CharField()
    exception = serializers.CharField(required=False, allow_blank=True, default="")


class ReleaseRequestInput(serializers.Serializer):
    scenario = serializers.IntegerField()
    items = ReleaseItemInput(many=True)


class ResubmitInput(serializers.Serializer):
    items = ReleaseItemInput(many=True)


class ReleaseReviewInput(serializers.Serializer):
    """A decision on the whole request, or ``items``: per output id, its ``decision`` and
    ``reason`` (required unless approved); the request then takes the strictest."""

    decision = serializers.CharField(required=False, allow_blank=True, default="")
    items = serializers.DictField(child=serializers.DictField(), required=False)
    comment_private = serializers.CharField(required=False, allow_blank=True, default="")
    comment_public = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(
    parameters=[
        OpenApiParameter("status", str),
        OpenApiParameter("scenario", int),
        OpenApiParameter("awaiting_me", bool, description="requests I have not decided yet"),
    ]
)
class ReleaseRequestListView(ListAPIView):
    serializer_class = ReleaseRequestOutput

    def get_queryset(self):
        found = release_requests_visible_to(self.request.user)
        params = self.request.query_params
        if params.get("status"):
            found = found.filter(status=params["status"])
        scenario = parse_query_int(params, "scenario")
        if scenario is not None:
            found = found.filter(scenario_id=scenario)
        if params.get("awaiting_me") in ("1", "true"):
            mine = ReleaseReview.objects.filter(
                request=OuterRef("pk"), reviewer=self.request.user, round=OuterRef("round")
            )
            found = found.filter(status="submitted").exclude(Exists(mine))
        return found

    @extend_schema(request=ReleaseRequestInput, responses={201: ReleaseRequestOutput})
    def post(self, request):
        values = ReleaseRequestInput(data=request.data)
        values.is_valid(raise_exception=True)
        scenario = scenario_get(request.user, values.validated_data["scenario"])
        created = release_svc.release_request_create(
            by=request.user, scenario=scenario, items=values.validated_data["items"]
        )
        return Response(
            ReleaseRequestOutput(
                release_request_get(request.user, created.pk), context={"request": request}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class ReleaseRequestDetailView(APIView):
    @extend_schema(responses=ReleaseRequestOutput)
    def get(self, request, pk: int):
        found = release_request_get(request.user, pk)
        return Response(ReleaseRequestOutput(found, context={"request": request}).data)


class ReleaseRequestActionView(APIView):
    """review (reviewers), resubmit and withdraw (the organization's members)."""

    @extend_schema(
        operation_id="release_request_action",
        request=ReleaseReviewInput,
        responses=ReleaseRequestOutput,
    )
    def post(self, request, pk: int, action: str):
        found = release_request_get(request.user, pk)
        if action == "review":
            values = ReleaseReviewInput(data=request.data)
            values.is_valid(raise_exception=True)
            release_svc.release_review(by=request.user, request=found, **values.validated_data)
        elif action == "resubmit":
            values = ResubmitInput(data=request.data)
            values.is_valid(raise_exception=True)
            release_svc.release_request_resubmit(
                by=request.user, request=found, items=values.validated_data["items"]
            )
        elif action == "withdraw":
            release_svc.release_request_withdraw(by=request.user, request=found)
        else:
            raise NotFound()
        found = release_request_get(request.user, pk)
        return Response(ReleaseRequestOutput(found, context={"request": request}).data)
