"""What one year's disclosure says, computed from the live data: plain values (names in
Chinese and English, codes, counts) stored as the report's content, so a published year
reads the same whatever changes later. Labels are the templates' and exports' to give."""

import datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from assets.models import DataAsset, RightKind
from operation.models import Catalog, CatalogStatus, DataZone
from scenarios.models import (
    FINISHED,
    Job,
    ReleaseRequest,
    ReleaseStatus,
    Scenario,
    ScenarioStatus,
    ServiceCall,
    ServiceDefinition,
)
from tenants.models import AdmissionStatus, Organization, OrganizationKind

# The content's shape: a later version may add to it; a published one keeps its own.
CONTENT_VERSION = 1


def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The year's first instant and the next year's, in the platform's time zone."""
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    return start, timezone.make_aware(datetime.datetime(year + 1, 1, 1))


def _operator() -> dict | None:
    operator = Organization.objects.filter(kind=OrganizationKind.OPERATOR).order_by("pk").first()
    if operator is None:
        return None
    return {
        "name": operator.name,
        "name_en": operator.name_en,
        "credit_code": operator.credit_code,
        "address": operator.address,
    }


def _catalogs(end) -> dict:
    """Published catalogs (authorized resources) at the year's end, by zone: first
    published by then (a later edit publishes a new version, not a new catalog)."""
    catalogs = (
        Catalog.objects.filter(
            status=CatalogStatus.PUBLISHED, versions__number=1, versions__published_at__lt=end
        )
        .select_related("provider")
        .order_by("code")
    )
    by_zone: dict[int, list] = {}
    for catalog in catalogs:
        by_zone.setdefault(catalog.zone_id, []).append(
            {
                "code": catalog.code,
                "name": catalog.name,
                "name_en": catalog.name_en,
                "provider": catalog.provider.name,
            }
        )
    zones = [
        {"key": z.key, "name": z.name, "name_en": z.name_en, "catalogs": by_zone[z.pk]}
        for z in DataZone.objects.filter(pk__in=by_zone).order_by("position", "pk")
    ]
    return {"count": sum(len(z["catalogs"]) for z in zones), "zones": zones}


def _developers(end) -> dict:
    """Developers admitted by the year's end and admitted still (names are public: the
    admission is announced)."""
    admitted = (
        Organization.objects.filter(
            kind=OrganizationKind.DEVELOPER,
            admission__status=AdmissionStatus.ADMITTED,
            admission__decided_at__lt=end,
        )
        .select_related("admission")
        .order_by("admission__decided_at", "pk")
    )
    rows = [
        {
            "name": o.name,
            "name_en": o.name_en,
            "admitted_on": timezone.localdate(o.admission.decided_at).isoformat(),
        }
        for o in admitted
    ]
    return {"count": len(rows), "list": rows}


def _scenarios(start, end) -> dict:
    """Scenarios authorized by the year's end whose period reaches into the year and that
    were not refused, revoked or closed: by scenario type."""
    running = (
        Scenario.objects.filter(
            authorized_at__lt=end,
            period_end__gte=start.date(),
            status__in=[ScenarioStatus.AUTHORIZED, ScenarioStatus.EXPIRED],
        )
        .values("scenario_type__name", "scenario_type__name_en")
        .annotate(n=Count("pk"))
        .order_by("-n", "scenario_type__name")
    )
    types = [
        {"name": r["scenario_type__name"], "name_en": r["scenario_type__name_en"], "count": r["n"]}
        for r in running
    ]
    return {"count": sum(t["count"] for t in types), "types": types}


def _price(priced) -> dict:
    return {
        "fee_basis": priced.fee_basis,
        "price_amount": str(priced.price_amount) if priced.price_amount is not None else None,
        "price_unit": priced.price_unit,
        "price_basis": priced.price_basis,
    }


def _services(end) -> list[dict]:
    """Data services with a version approved by the year's end, once each: the latest such
    version's name (superseded since or not: an amendment approved later is a later
    year's), with the service's fee basis."""
    approved = (
        ServiceDefinition.objects.filter(approved_at__lt=end)
        .select_related("service")
        .order_by("service__code", "-approved_at", "-pk")
    )
    rows = []
    for definition in approved:
        service = definition.service
        if rows and rows[-1]["code"] == service.code:
            continue  # an earlier version of the service just listed
        rows.append(
            {"code": service.code, "name": definition.name, "name_en": definition.name_en}
            | _price(service)
        )
    return rows


def _products(start, end) -> list[dict]:
    """Released output sets (data products) released in the year, with their fee basis."""
    released = (
        ReleaseRequest.objects.filter(
            status=ReleaseStatus.APPROVED, decided_at__gte=start, decided_at__lt=end
        )
        .select_related("scenario__organization")
        .prefetch_related("items__output")
        .order_by("decided_at", "pk")
    )
    return [
        {
            "number": release.pk,
            "scenario": release.scenario.name,
            "organization": release.scenario.organization.name,
            "released_on": timezone.localdate(release.decided_at).isoformat(),
            "outputs": [item.output.name for item in release.items.all()],
        }
        | _price(release)
        for release in released
    ]


def _usage(start, end) -> dict:
    calls = ServiceCall.objects.filter(at__gte=start, at__lt=end)
    jobs = Job.objects.filter(
        finished_at__gte=start, finished_at__lt=end, status__in=FINISHED, dry_run=False
    )
    seconds = jobs.aggregate(s=Sum("cpu_seconds"))["s"] or 0.0
    return {
        "service_calls": calls.count(),
        "service_calls_answered": calls.filter(status=200).count(),
        "jobs": jobs.count(),
        "cpu_hours": str(Decimal(seconds / 3600).quantize(Decimal("0.01"))),
    }


def _assets(start, end) -> dict:
    """Data assets registered in the year (the public registry's facts), by kind of right;
    each with its status when the report was computed."""
    registered = (
        DataAsset.objects.filter(registered_at__gte=start, registered_at__lt=end)
        .select_related("holder")
        .order_by("registered_at", "pk")
    )
    rows = [
        {
            "certificate_number": asset.certificate_number,
            "kind": asset.kind,
            "name": asset.name,
            "holder": asset.holder.name,
            "registered_on": timezone.localdate(asset.registered_at).isoformat(),
            "status": asset.status,
        }
        for asset in registered
    ]
    kinds = [
        {"kind": kind, "count": sum(1 for r in rows if r["kind"] == kind)}
        for kind in RightKind.values
    ]
    return {"count": len(rows), "kinds": kinds, "list": rows}


def report_content(year: int) -> dict:
    """The year's disclosure, from the data as it stands now."""
    start, end = year_bounds(year)
    return {
        "version": CONTENT_VERSION,
        "year": year,
        "operator": _operator(),
        "catalogs": _catalogs(end),
        "developers": _developers(end),
        "scenarios": _scenarios(start, end),
        "services": _services(end),
        "products": _products(start, end),
        "usage": _usage(start, end),
        "assets": _assets(start, end),
    }
