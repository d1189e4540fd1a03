"""The public disclosure's API: published years for everyone (no login needed), drafts for
operator staff, who also draft and publish. Thin: parse, call a selector or service,
serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from assets.models import AssetStatus, RightKind
from scenarios.models import FeeBasis
from transparency.models import ReportStatus
from transparency.selectors import report_get, reports_visible_to
from transparency.services.reports import report_draft, report_publish


class DisclosurePriceOutput(serializers.Serializer):
    fee_basis = serializers.ChoiceField(
        choices=FeeBasis.choices,
        help_text="free: free for public-interest use; guided: a government-guided price; "
        '"": not priced yet.',
    )
    price_amount = serializers.CharField(allow_null=True, help_text="Yuan, for a guided price.")
    price_unit = serializers.CharField(help_text="What the price is per (per call ...).")
    price_basis = serializers.CharField(help_text="The basis of a guided price.")


class DisclosureNamedOutput(serializers.Serializer):
    name = serializers.CharField()
    name_en = serializers.CharField()


class DisclosureOperatorOutput(DisclosureNamedOutput):
    credit_code = serializers.CharField()
    address = serializers.CharField()


class DisclosureCatalogOutput(DisclosureNamedOutput):
    code = serializers.CharField()
    provider = serializers.CharField()


class DisclosureZoneOutput(DisclosureNamedOutput):
    key = serializers.CharField()
    catalogs = DisclosureCatalogOutput(many=True)


class DisclosureCatalogsOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Published catalogs at the year's end.")
    zones = DisclosureZoneOutput(many=True)


class DisclosureDeveloperOutput(DisclosureNamedOutput):
    admitted_on = serializers.DateField()


class DisclosureDevelopersOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Admitted secondary developers at the year's end.")
    list = DisclosureDeveloperOutput(many=True)


class DisclosureTypeCountOutput(DisclosureNamedOutput):
    count = serializers.IntegerField()


class DisclosureScenariosOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Authorized scenarios that ran in the year.")
    types = DisclosureTypeCountOutput(many=True)


class DisclosureServiceOutput(DisclosureNamedOutput, DisclosurePriceOutput):
    code = serializers.CharField()


class DisclosureProductOutput(DisclosurePriceOutput):
    number = serializers.IntegerField(help_text="The release request's number.")
    scenario = serializers.CharField()
    organization = serializers.CharField()
    released_on = serializers.DateField()
    outputs = serializers.ListField(child=serializers.CharField())


class DisclosureUsageOutput(serializers.Serializer):
    service_calls = serializers.IntegerField()
    service_calls_answered = serializers.IntegerField()
    jobs = serializers.IntegerField(help_text="Sandbox jobs on real data finished in the year.")
    cpu_hours = serializers.CharField(help_text="CPU-hours those jobs used.")


class DisclosureAssetOutput(serializers.Serializer):
    certificate_number = serializers.CharField()
    kind = serializers.ChoiceField(choices=RightKind.choices)
    name = serializers.CharField()
    holder = serializers.CharField()
    registered_on = serializers.DateField()
    status = serializers.ChoiceField(
        choices=AssetStatus.choices, help_text="Its status when the report was computed."
    )


class DisclosureKindCountOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RightKind.choices)
    count = serializers.IntegerField()


class DisclosureAssetsOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Data assets registered in the year.")
    kinds = DisclosureKindCountOutput(many=True)
    list = DisclosureAssetOutput(many=True)


class DisclosureContentOutput(serializers.Serializer):
    version = serializers.IntegerField()
    year = serializers.IntegerField()
    operator = DisclosureOperatorOutput(allow_null=True)
    catalogs = DisclosureCatalogsOutput()
    developers = DisclosureDevelopersOutput()
    scenarios = DisclosureScenariosOutput()
    services = DisclosureServiceOutput(many=True)
    products = DisclosureProductOutput(many=True, help_text="Released output sets (data products).")
    usage = DisclosureUsageOutput()
    assets = DisclosureAssetsOutput(help_text="Data assets registered in the year.")


class DisclosureReportOutput(serializers.Serializer):
    year = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    computed_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    csv = serializers.SerializerMethodField()
    pdf = serializers.SerializerMethodField()

    def get_csv(self, obj) -> str:
        return reverse("disclosure-csv", args=[obj.year], request=self.context.get("request"))

    def get_pdf(self, obj) -> str:
        return reverse("disclosure-pdf", args=[obj.year], request=self.context.get("request"))


class DisclosureReportDetailOutput(DisclosureReportOutput):
    content = DisclosureContentOutput()


class DisclosureDraftInput(serializers.Serializer):
    year = serializers.IntegerField()


class ReportListView(APIView):
    """The years disclosed (published; operator staff also see drafts). Operator staff POST a
    year to draft it, or recompute its draft, from the data as it stands."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DisclosureReportOutput(many=True))
    def get(self, request):
        reports = reports_visible_to(request.user)
        return Response(
            DisclosureReportOutput(reports, many=True, context={"request": request}).data
        )

    @extend_schema(request=DisclosureDraftInput, responses={201: DisclosureReportDetailOutput})
    def post(self, request):
        values = DisclosureDraftInput(data=request.data)
        values.is_valid(raise_exception=True)
        report = report_draft(by=request.user, year=values.validated_data["year"])
        body = DisclosureReportDetailOutput(report, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ReportDetailView(APIView):
    """One year's disclosure with its content (a draft: operator staff only)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DisclosureReportDetailOutput)
    def get(self, request, year: int):
        report = report_get(request.user, year)
        return Response(DisclosureReportDetailOutput(report, context={"request": request}).data)


class ReportPublishView(APIView):
    """Operator staff publish the year's draft as it was last computed: final from then on."""

    @extend_schema(request=None, responses=DisclosureReportDetailOutput)
    def post(self, request, year: int):
        report = report_publish(by=request.user, report=report_get(request.user, year))
        return Response(DisclosureReportDetailOutput(report, context={"request": request}).data)
