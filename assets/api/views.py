"""Data asset registration through the API: the public registry and certificate check
(no login), applications (the applicant files and submits; operator staff and the
registration authority decide), evidence and certificates."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import selectors
from assets.certificate import certificate_pdf
from assets.models import (
    ApplicationAction,
    ApplicationStatus,
    AssetApplication,
    AssetStatus,
    DataAsset,
    EvidenceFile,
    RightKind,
)
from assets.services import registrations as svc
from core.errors import NotFound
from core.fields import BoundedPrimaryKeyRelatedField
from tenants.views.files import qualification_file_response


class DataAssetOutput(serializers.ModelSerializer):
    holder = serializers.CharField(source="holder.name")
    holder_credit_code = serializers.CharField(source="holder.credit_code")

    class Meta:
        model = DataAsset
        fields = [
            "certificate_number",
            "edition",
            "kind",
            "name",
            "description",
            "holder",
            "holder_credit_code",
            "status",
            "registered_at",
            "updated_at",
            "lineage",
        ]


class RegistryListView(ListAPIView):
    """The public registry of data assets: holder, kind of right, subject, dates, status."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = DataAssetOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", enum=RightKind.values),
            OpenApiParameter("status", enum=AssetStatus.values),
            OpenApiParameter("q", description="name, holder or certificate number"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.registry(
            kind=params.get("kind", ""),
            status=params.get("status", ""),
            q=params.get("q", "")[:100],
        )


class RegistryDetailView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=DataAssetOutput)
    def get(self, request, number: str):
        return Response(DataAssetOutput(selectors.registry_get(number)).data)


class CertificateVerifyInput(serializers.Serializer):
    certificate_number = serializers.CharField(max_length=32)
    verification_code = serializers.CharField(max_length=16)


class CertificateVerifyOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    asset = DataAssetOutput(allow_null=True)


class VerifyView(APIView):
    """Check a certificate: its number and the verification code printed on it (of its
    current edition)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=CertificateVerifyInput, responses=CertificateVerifyOutput)
    def post(self, request):
        data = CertificateVerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        asset = selectors.certificate_verify(
            data.validated_data["certificate_number"], data.validated_data["verification_code"]
        )
        return Response(
            {"valid": asset is not None, "asset": DataAssetOutput(asset).data if asset else None}
        )


class AssetEvidenceOutput(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = ["id", "original_name", "kind", "size", "sha256", "uploaded_at", "download"]

    def get_download(self, obj) -> str:
        return f"/api/v1/data-assets/applications/{obj.application_id}/evidence/{obj.pk}"


class AssetApplicationOutput(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.name")
    certificate_number = serializers.CharField(
        source="asset.certificate_number", allow_null=True, default=None
    )
    catalog = serializers.CharField(source="catalog.code", allow_null=True, default=None)
    service = serializers.CharField(source="service.code", allow_null=True, default=None)
    outputs = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    evidence = AssetEvidenceOutput(many=True, read_only=True)

    class Meta:
        model = AssetApplication
        fields = [
            "id",
            "action",
            "kind",
            "organization",
            "name",
            "description",
            "catalog",
            "scenario",
            "service",
            "outputs",
            "transferee",
            "lineage",
            "status",
            "reason",
            "submitted_at",
            "preliminary_at",
            "preliminary_comment",
            "final_at",
            "final_comment",
            "certificate_number",
            "evidence",
        ]


@extend_schema_field(OpenApiTypes.INT)
class SubjectField(BoundedPrimaryKeyRelatedField):
    """An object among those the caller may name (the serializer's context ``subjects``):
    another organization's answers "does not exist", as a missing one."""

    def __init__(self, subject: str, **kwargs):
        self.subject = subject
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.context["subjects"][self.subject]


@extend_schema_field(OpenApiTypes.STR)
class ServiceField(serializers.SlugRelatedField):
    def get_queryset(self):
        return self.context["subjects"]["services"]


class AssetApplicationInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RightKind.choices)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000)
    catalog = SubjectField("catalogs", required=False, allow_null=True)
    scenario = SubjectField("scenarios", required=False, allow_null=True)
    service = ServiceField(slug_field="code", required=False, allow_null=True)
    outputs = SubjectField("outputs", many=True, required=False)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ApplicationListView(APIView):
    """Applications you may see: your organization's (drafts included) and, for operator
    staff, the registration authority and auditors, every submitted one."""

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=ApplicationStatus.values)],
        responses=AssetApplicationOutput(many=True),
    )
    def get(self, request):
        applications = (
            selectors.applications_visible_to(request.user)
            .prefetch_related("evidence", "outputs")
            .select_related("catalog", "service")
        )
        wanted = request.query_params.get("status")
        if wanted in ApplicationStatus.values:
            applications = applications.filter(status=wanted)
        return Response(AssetApplicationOutput(applications, many=True).data)

    @extend_schema(
        operation_id="asset_application_create",
        request={"multipart/form-data": AssetApplicationInput},
        responses={201: AssetApplicationOutput},
    )
    def post(self, request):
        data = AssetApplicationInput(
            data=request.data, context={"subjects": selectors.subjects_for(request.user)}
        )
        data.is_valid(raise_exception=True)
        application = svc.application_create(by=request.user, **data.validated_data)
        return Response(AssetApplicationOutput(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    @extend_schema(responses=AssetApplicationOutput)
    def get(self, request, pk: int):
        return Response(AssetApplicationOutput(selectors.application_get(request.user, pk)).data)


class AssetDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=sorted(set(svc.PRELIMINARY_DECISIONS) | set(svc.FINAL_DECISIONS)),
        help_text="preliminary: pass, return, reject; re-review: approve, return, reject",
    )
    comment = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class ApplicationSubmitView(APIView):
    """The applicant submits; the platform fills the lineage."""

    @extend_schema(request=None, responses=AssetApplicationOutput)
    def post(self, request, pk: int):
        application = selectors.application_get(request.user, pk)
        application = svc.application_submit(by=request.user, application=application)
        return Response(AssetApplicationOutput(application).data)


class ApplicationDecisionView(APIView):
    """The operator's preliminary review (``preliminary``) or the registration authority's
    re-review (``final``)."""

    @extend_schema(
        operation_id="asset_application_decide",
        request=AssetDecisionInput,
        responses={
            200: AssetApplicationOutput,
            409: OpenApiResponse(description="not at this stage"),
        },
    )
    def post(self, request, pk: int, action: str):
        decide = {"preliminary": svc.application_preliminary, "final": svc.application_final}
        if action not in decide:
            raise NotFound()
        application = selectors.application_get(request.user, pk)
        data = AssetDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = decide[action](
            by=request.user, application=application, **data.validated_data
        )
        return Response(AssetApplicationOutput(application).data)


class AssetChangeInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=ApplicationAction.choices[1:])
    name = serializers.CharField(max_length=200, required=False, default="")
    description = serializers.CharField(max_length=10_000)
    transferee = SubjectField("transferees", required=False, allow_null=True)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class AssetApplicationView(APIView):
    """The holder applies for a change, transfer or cancellation of its asset."""

    @extend_schema(
        operation_id="data_asset_apply",
        request={"multipart/form-data": AssetChangeInput},
        responses={201: AssetApplicationOutput},
    )
    def post(self, request, pk: int):
        asset = selectors.certificate_get(request.user, pk)
        data = AssetChangeInput(
            data=request.data,
            context={"subjects": {"transferees": selectors.transferees_for(asset)}},
        )
        data.is_valid(raise_exception=True)
        application = svc.application_for_asset(by=request.user, asset=asset, **data.validated_data)
        return Response(AssetApplicationOutput(application).data, status=status.HTTP_201_CREATED)


class EvidenceFileView(APIView):
    @extend_schema(
        responses={
            (200, "application/pdf"): bytes,
            (200, "image/png"): bytes,
            (200, "image/jpeg"): bytes,
        }
    )
    def get(self, request, pk: int, file_pk: int):
        return qualification_file_response(selectors.evidence_get(request.user, pk, file_pk))


class CertificateView(APIView):
    """The certificate as PDF: for the holder's members, operator staff, the registration
    authority and auditors."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(bytes)})
    def get(self, request, pk: int):
        asset = selectors.certificate_get(request.user, pk)
        response = HttpResponse(certificate_pdf(asset), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{asset.certificate_number}-{asset.edition}.pdf"'
        )
        return response
