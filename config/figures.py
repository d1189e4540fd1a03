"""The home page's live figures, read across every layer (only the project may)."""

from datetime import date, timedelta

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from operation.models import Catalog, CatalogStatus, CatalogVersion
from scenarios.models import Job, JobStatus, Scenario, ScenarioStatus, ServiceCall
from tenants.models import AdmissionApplication, AdmissionStatus, Organization


def platform_figures() -> dict[str, int]:
    """Live figures for the home page: real jobs (not dry runs) run to success, and
    data-service calls answered."""
    return {
        "published_catalogs": Catalog.objects.filter(status=CatalogStatus.PUBLISHED).count(),
        "admitted_developers": Organization.objects.filter(
            admission__status=AdmissionStatus.ADMITTED
        ).count(),
        "authorized_scenarios": Scenario.objects.filter(status=ScenarioStatus.AUTHORIZED).count(),
        "jobs_run": Job.objects.filter(dry_run=False, status=JobStatus.SUCCEEDED).count(),
        "service_calls": ServiceCall.objects.filter(status=200).count(),
    }


TREND_MONTHS = 12
TREND_WIDTH, TREND_HEIGHT, TREND_BASE = 240, 64, 48  # the SVG's units; labels under BASE


def _months(today: date, count: int) -> list[date]:
    """The first days of the last ``count`` months, oldest first, this month last."""
    first = today.replace(day=1)
    months = []
    for _step in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def _per_month(queryset, field: str, since: date) -> dict[date, int]:
    rows = (
        queryset.filter(**{f"{field}__date__gte": since})
        .order_by()
        .annotate(month=TruncMonth(field))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    found: dict[date, int] = {}
    for month, n in rows:
        key = month.date() if hasattr(month, "date") else month
        found[key] = found.get(key, 0) + n
    return found


def _trend(key: str, label: str, counts: dict[date, int], months: list[date]) -> dict:
    """One figure's monthly bars, laid out for an inline SVG (sizes in its own units)."""
    peak = max([counts.get(month, 0) for month in months] + [0])
    step = TREND_WIDTH / len(months)
    bars = []
    for index, month in enumerate(months):
        n = counts.get(month, 0)
        height = round((TREND_BASE - 4) * n / peak, 2) if peak else 0
        bars.append(
            {
                "month": month.strftime("%Y-%m"),
                "n": n,
                "x": round(index * step + step * 0.1, 2),
                "width": round(step * 0.8, 2),
                "y": round(TREND_BASE - height, 2),
                "height": height,
            }
        )
    return {
        "key": key,
        "label": label,
        "bars": bars,
        "total": sum(bar["n"] for bar in bars),
        "first": bars[0]["month"],
        "last": bars[-1]["month"],
        "summary": _("%(label)s per month from %(first)s to %(last)s: %(counts)s")
        % {
            "label": label,
            "first": bars[0]["month"],
            "last": bars[-1]["month"],
            "counts": ", ".join(str(bar["n"]) for bar in bars),
        },
    }


def platform_trends(*, today: date | None = None) -> dict:
    """The home figures over the last twelve months, month by month: catalogs published,
    developers admitted, scenarios authorized, real jobs run to success and data-service
    calls answered (by when each happened)."""
    months = _months(today or timezone.localdate(), TREND_MONTHS)
    since = months[0]
    series = [
        (
            "published_catalogs",
            _("Catalogs published"),
            # By first publication: an edit publishes a new version, not a new catalog.
            _per_month(CatalogVersion.objects.filter(number=1), "published_at", since),
        ),
        (
            "admitted_developers",
            _("Developers admitted"),
            _per_month(
                AdmissionApplication.objects.filter(status=AdmissionStatus.ADMITTED),
                "decided_at",
                since,
            ),
        ),
        (
            "authorized_scenarios",
            _("Scenarios filed"),
            _per_month(Scenario.objects.all(), "applied_at", since),
        ),
        (
            "jobs_run",
            _("Jobs run"),
            _per_month(
                Job.objects.filter(dry_run=False, status=JobStatus.SUCCEEDED), "finished_at", since
            ),
        ),
        (
            "service_calls",
            _("Data-service calls"),
            _per_month(ServiceCall.objects.filter(status=200), "at", since),
        ),
    ]
    return {
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
        "base": TREND_BASE,
        "label_y": TREND_BASE + 13,
        "series": [_trend(key, label, counts, months) for key, label, counts in series],
    }
