"""Reads of the operator's domain: the audit trail and the platform's figures."""

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from core.errors import NotFound
from core.params import parse_query_int, parse_query_text
from operation.models import Catalog, CatalogStatus, DataResource
from operation.preview import field_statistics, synthetic_rows
from tenants import permissions
from tenants.models import OrganizationKind
from tenants.permissions import membership_of


def catalogs_visible_to(user) -> QuerySet[Catalog]:
    """Published catalogs for everyone logged in; operator staff see every catalog, and a
    provider sees its own in any state."""
    base = Catalog.objects.select_related("zone", "provider", "resource_version")
    if permissions.sees_everything(user):
        return base
    visible = Q(status=CatalogStatus.PUBLISHED)
    membership = membership_of(user)
    if membership is not None and membership.organization.kind == OrganizationKind.PROVIDER:
        visible |= Q(provider=membership.organization)
    return base.filter(visible)


def catalogs_filter(queryset: QuerySet[Catalog], params) -> QuerySet[Catalog]:
    """Filters shared by the portal and the API, and a keyword search in Chinese or
    English over names, summary, keywords and field names (every word must match)."""
    if params.get("zone"):
        queryset = queryset.filter(zone__key=params["zone"])
    provider = parse_query_int(params, "provider")
    if provider is not None:
        queryset = queryset.filter(provider_id=provider)
    level = parse_query_int(params, "level")
    if level is not None:
        queryset = queryset.filter(level=level)
    for name in ("update_frequency", "sharing_type", "open_type", "status"):
        if params.get(name):
            queryset = queryset.filter(**{name: params[name]})
    search = parse_query_text(params, "search") or parse_query_text(params, "q")
    for word in search.lower().split()[:8]:
        queryset = queryset.filter(search_text__contains=word)
    return queryset


# Each filter of the catalog list and the field its values are counted by.
CATALOG_FACETS = {
    "zone": "zone__key",
    "provider": "provider_id",
    "level": "level",
    "update_frequency": "update_frequency",
    "sharing_type": "sharing_type",
    "open_type": "open_type",
    "status": "status",
}


def catalog_facets(queryset: QuerySet[Catalog], params) -> dict[str, dict[str, int]]:
    """How many catalogs each filter's choice would find, given the other filters chosen
    (a filter's own choice is set aside, so its other choices keep their counts): one
    grouped query per filter, whatever the number of catalogs."""
    facets = {}
    for name, field in CATALOG_FACETS.items():
        others = params.copy()
        others.pop(name, None)
        rows = (
            catalogs_filter(queryset, others)
            .order_by()
            .values(field)
            .annotate(n=Count("pk"))
            .values_list(field, "n")
        )
        facets[name] = {str(value): n for value, n in rows}
    return facets


def catalog_get(user, code: str) -> Catalog:
    catalog = catalogs_visible_to(user).filter(code=code).first()
    if catalog is None:
        raise NotFound()
    return catalog


def catalog_preview(catalog: Catalog) -> dict:
    """Fields with their displayable statistics, and synthetic sample rows."""
    fields = list(catalog.fields.all())
    statistics = catalog.resource_version.statistics
    threshold = settings.CATALOG_PREVIEW_MIN_COUNT
    shown = {f.column: field_statistics(f, statistics.get(f.column, {}), threshold) for f in fields}
    rows = synthetic_rows(catalog, fields, shown)
    return {
        "fields": [(field, shown[field.column]) for field in fields],
        "sample_rows": rows,
        "sample_table": [[row[field.column] for field in fields] for row in rows],
    }


def resource_get(user, pk) -> DataResource:
    """A data resource, for operator staff or its own provider."""
    resources = DataResource.objects.select_related("provider")
    if not permissions.is_operator_staff(user):
        membership = membership_of(user)
        if membership is None:
            raise NotFound()
        resources = resources.filter(provider=membership.organization)
    resource = resources.filter(pk=pk).first()
    if resource is None:
        raise NotFound()
    return resource
