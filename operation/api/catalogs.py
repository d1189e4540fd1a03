"""Catalog API: browse and search (anyone logged in), manage (operator staff), export."""

import json

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from core.fields import BoundedPrimaryKeyRelatedField
from operation.api.permissions import StaffWrites
from operation.exports import catalogs_csv, catalogs_dcat
from operation.models import Catalog, CatalogStatus, DataZone, ResourceVersion
from operation.selectors import (
    catalog_get,
    catalog_preview,
    catalogs_filter,
    catalogs_visible_to,
    resource_get,
)
from operation.services import catalogs as svc
from tenants.models import Organization, OrganizationKind


class ZoneOutput(serializers.ModelSerializer):
    class Meta:
        model = DataZone
        fields = ["key", "code_prefix", "name", "name_en"]


class CatalogListOutput(serializers.ModelSerializer):
    zone = ZoneOutput()
    provider = serializers.CharField(source="provider.name")
    provider_id = serializers.IntegerField()
    row_count = serializers.IntegerField(source="resource_version.row_count")

    class Meta:
        model = Catalog
        fields = [
            "code",
            "name",
            "name_en",
            "zone",
            "provider",
            "provider_id",
            "summary",
            "keywords",
            "update_frequency",
            "sharing_type",
            "open_type",
            "level",
            "status",
            "version",
            "published_at",
            "row_count",
        ]


FIELD_KEYS = (
    "column",
    "name_zh",
    "data_type",
    "description",
    "level",
    "is_identifier",
    "masking",
    "generalize",
)


class CatalogDetailOutput(CatalogListOutput):
    fields = serializers.SerializerMethodField(method_name="fields_with_statistics")
    sample_rows = serializers.SerializerMethodField()

    class Meta(CatalogListOutput.Meta):
        fields = [
            *CatalogListOutput.Meta.fields,
            "data_range",
            "time_coverage_start",
            "time_coverage_end",
            "withdrawn_reason",
            "fields",
            "sample_rows",
        ]

    def _preview(self, obj) -> dict:
        if not hasattr(self, "_cached_preview"):
            self._cached_preview = catalog_preview(obj)
        return self._cached_preview

    def fields_with_statistics(self, obj) -> list[dict]:
        return [
            {**{key: getattr(f, key) for key in FIELD_KEYS}, "statistics": stats}
            for f, stats in self._preview(obj)["fields"]
        ]

    def get_sample_rows(self, obj) -> list[dict]:
        return self._preview(obj)["sample_rows"]


FILTERS = [
    OpenApiParameter("search", str, description="keywords (Chinese or English)"),
    OpenApiParameter("zone", str, description="zone key, e.g. marine"),
    OpenApiParameter("provider", int),
    OpenApiParameter("level", int, description="1..4"),
    OpenApiParameter("update_frequency", str),
    OpenApiParameter("sharing_type", str),
    OpenApiParameter("open_type", str),
    OpenApiParameter("status", str, description="operator staff: draft, published, withdrawn"),
]


@extend_schema(parameters=FILTERS)
class CatalogListView(ListAPIView):
    """Published catalogs (operator staff: all), filtered and searched, paginated."""

    serializer_class = CatalogListOutput

    def get_queryset(self):
        return catalogs_filter(catalogs_visible_to(self.request.user), self.request.query_params)


class CatalogDetailView(APIView):
    permission_classes = [IsAuthenticated, StaffWrites]

    @extend_schema(responses=CatalogDetailOutput)
    def get(self, request, code: str):
        return Response(CatalogDetailOutput(catalog_get(request.user, code)).data)

    @extend_schema(request=dict, responses=CatalogDetailOutput)
    def patch(self, request, code: str):
        catalog = catalog_get(request.user, code)
        values = CatalogMetadataInput(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        catalog = svc.catalog_update(by=request.user, catalog=catalog, **values.validated_data)
        return Response(CatalogDetailOutput(catalog).data)


class CatalogMetadataInput(serializers.ModelSerializer):
    zone = serializers.SlugRelatedField(slug_field="key", queryset=DataZone.objects.all())

    class Meta:
        model = Catalog
        fields = list(svc.METADATA_FIELDS)


class CatalogCreateInput(CatalogMetadataInput):
    resource_version = BoundedPrimaryKeyRelatedField(queryset=ResourceVersion.objects.all())
    code = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta(CatalogMetadataInput.Meta):
        fields = ["resource_version", "code", *svc.METADATA_FIELDS]


class CatalogCreateView(APIView):
    permission_classes = [IsAuthenticated, StaffWrites]

    @extend_schema(request=CatalogCreateInput, responses={201: CatalogDetailOutput})
    def post(self, request):
        values = CatalogCreateInput(data=request.data)
        values.is_valid(raise_exception=True)
        catalog = svc.catalog_create(by=request.user, **values.validated_data)
        return Response(CatalogDetailOutput(catalog).data, status=status.HTTP_201_CREATED)


class CatalogFieldsView(APIView):
    """Describe fields: ``{"fields": {"column": {"name_zh": ..., "level": 2, ...}}}``."""

    permission_classes = [IsAuthenticated, StaffWrites]

    @extend_schema(request=dict, responses=CatalogDetailOutput)
    def put(self, request, code: str):
        catalog = catalog_get(request.user, code)
        fields = request.data.get("fields") if isinstance(request.data, dict) else None
        if not isinstance(fields, dict):
            raise InvalidInput(_("Send the fields as an object keyed by column."), field="fields")
        catalog = svc.catalog_fields_update(by=request.user, catalog=catalog, fields=fields)
        return Response(CatalogDetailOutput(catalog).data)


class CatalogPublishView(APIView):
    permission_classes = [IsAuthenticated, StaffWrites]

    @extend_schema(request=None, responses=CatalogDetailOutput)
    def post(self, request, code: str):
        catalog = svc.catalog_publish(by=request.user, catalog=catalog_get(request.user, code))
        return Response(CatalogDetailOutput(catalog).data)


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CatalogWithdrawView(APIView):
    permission_classes = [IsAuthenticated, StaffWrites]

    @extend_schema(request=WithdrawInput, responses=CatalogDetailOutput)
    def post(self, request, code: str):
        catalog = catalog_get(request.user, code)
        values = WithdrawInput(data=request.data)  # a body that is no object is a 400
        values.is_valid(raise_exception=True)
        catalog = svc.catalog_withdraw(
            by=request.user, catalog=catalog, reason=values.validated_data["reason"]
        )
        return Response(CatalogDetailOutput(catalog).data)


class ResourceInput(serializers.Serializer):
    provider = BoundedPrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind=OrganizationKind.PROVIDER), required=False
    )
    name = serializers.CharField(required=False)
    file = serializers.FileField(required=False)
    import_path = serializers.CharField(required=False)
    format = serializers.ChoiceField(choices=["csv", "jsonl", "parquet"], required=False)
    encoding = serializers.ChoiceField(choices=["auto", "utf-8", "gb18030", "gbk"], default="auto")
    # JSON, also inside a multipart upload: {"column": "string" | "integer" | ...}
    types = serializers.JSONField(required=False, default=dict)

    def validate_types(self, value):
        if isinstance(value, str):  # a multipart field carries the JSON as text
            try:
                value = json.loads(value)
            except ValueError:
                value = None
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise serializers.ValidationError(_("Give types as an object: column name to type."))
        return value


class ResourceVersionOutput(serializers.ModelSerializer):
    resource_name = serializers.CharField(source="resource.name")
    provider = serializers.IntegerField(source="resource.provider_id")

    class Meta:
        model = ResourceVersion
        fields = [
            "id",
            "resource",
            "resource_name",
            "provider",
            "number",
            "source_name",
            "source_format",
            "source_encoding",
            "row_count",
            "bytes",
            "sha256",
            "schema",
            "created_at",
        ]


def _ingest_call(function, values: dict, **kwargs) -> ResourceVersion:
    with svc.ingest_source(
        by=kwargs["by"], file=values.get("file"), import_path=values.get("import_path", "")
    ) as (source, name):
        return function(
            source=source,
            source_name=name,
            fmt=values.get("format"),
            encoding=values["encoding"],
            types=values.get("types") or None,
            **kwargs,
        )


class ResourceCreateView(APIView):
    """Register a provider's data resource from an upload or the import folder."""

    permission_classes = [IsAuthenticated, StaffWrites]

    @extend_schema(request=ResourceInput, responses={201: ResourceVersionOutput})
    def post(self, request):
        values = ResourceInput(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        if "provider" not in data:
            raise InvalidInput(_("Choose a data provider organization."), field="provider")
        version = _ingest_call(
            svc.resource_register,
            data,
            by=request.user,
            provider=data["provider"],
            name=data.get("name", ""),
        )
        return Response(ResourceVersionOutput(version).data, status=status.HTTP_201_CREATED)


class ResourceVersionCreateView(APIView):
    permission_classes = [IsAuthenticated, StaffWrites]

    @extend_schema(request=ResourceInput, responses={201: ResourceVersionOutput})
    def post(self, request, pk: int):
        resource = resource_get(request.user, pk)
        values = ResourceInput(data=request.data)
        values.is_valid(raise_exception=True)
        version = _ingest_call(
            svc.resource_version_add, values.validated_data, by=request.user, resource=resource
        )
        return Response(ResourceVersionOutput(version).data, status=status.HTTP_201_CREATED)


def _published():
    return (
        Catalog.objects.filter(status=CatalogStatus.PUBLISHED)
        .select_related("zone", "provider")
        .prefetch_related("fields")
        .order_by("code")
    )


class CatalogExportCSVView(APIView):
    """The published catalog list as CSV (metadata only), open for harvesting."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request):
        response = HttpResponse(catalogs_csv(_published()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="catalogs.csv"'
        return response


class CatalogExportDCATView(APIView):
    """The published catalog list as DCAT JSON-LD, open for harvesting."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/ld+json"): dict})
    def get(self, request):
        body = catalogs_dcat(
            _published(),
            base_url=request.build_absolute_uri("/").rstrip("/"),
            title=str(settings.CATALOG_EXPORT_TITLE),
        )
        return HttpResponse(
            json.dumps(body, ensure_ascii=False), content_type="application/ld+json"
        )


class ZoneCreateInput(serializers.Serializer):
    key = serializers.CharField()
    code_prefix = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class ZoneListView(APIView):
    """Data zones; operator staff add new ones."""

    permission_classes = [IsAuthenticated, StaffWrites]

    @extend_schema(responses=ZoneOutput(many=True))
    def get(self, request):
        return Response(ZoneOutput(DataZone.objects.all(), many=True).data)

    @extend_schema(request=ZoneCreateInput, responses={201: ZoneOutput})
    def post(self, request):
        values = ZoneCreateInput(data=request.data)
        values.is_valid(raise_exception=True)
        zone = svc.zone_create(by=request.user, **values.validated_data)
        return Response(ZoneOutput(zone).data, status=status.HTTP_201_CREATED)
