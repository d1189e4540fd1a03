"""Reads of the demand list, scoped to the caller. The list is public in summary (what is
asked, its status, the provider asked; never who asked); a demand's details (purpose,
legal basis, requester) are for the organization that filed it, the provider it is
assigned to (without the requester) and operator staff and auditors; its steps also for
the organizations whose duplicates were merged into it. Missing = forbidden = 404."""

import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.errors import NotFound
from core.names import name_in_language
from core.params import parse_query_int
from demands.models import Demand, DemandStatus
from demands.models.demand import ACTIVE
from operation.models import Catalog
from operation.selectors import catalogs_visible_to
from tenants import permissions

SUMMARY_RELATED = ("zone", "provider")


def demands_public(params=None) -> QuerySet[Demand]:
    """The public demand list, filtered by status, zone (key) and provider (id)."""
    demands = (
        Demand.objects.select_related(*SUMMARY_RELATED)
        .prefetch_related("catalogs")
        .order_by("-created_at", "-pk")
    )
    params = params or {}
    if params.get("status") in DemandStatus.values:
        demands = demands.filter(status=params["status"])
    if params.get("zone"):
        demands = demands.filter(zone__key=params["zone"])
    provider = parse_query_int(params, "provider")
    if provider is not None:
        demands = demands.filter(provider_id=provider)
    return demands


def demand_public(pk) -> Demand:
    found = demands_public().filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def _demander(own) -> Q:
    return Q(organization=own) | Q(duplicates__organization=own)


def demands_detailed_for(user) -> QuerySet[Demand]:
    """The demands whose steps ``user`` sees: their organization's (filed, or followed
    through a duplicate merged into it), those assigned to their organization, all of them
    for operator staff and auditors (demand_shown says how much of each)."""
    base = Demand.objects.select_related(
        "organization", "filed_by", "scenario", "awaited_catalog", *SUMMARY_RELATED
    ).prefetch_related("catalogs", "events__catalog", "events__provider", "events__other")
    if permissions.sees_everything(user):
        return base
    own = permissions.organization_of(user)
    if own is None:
        return base.none()
    return base.filter(pk__in=Demand.objects.filter(_demander(own) | Q(provider=own)).values("pk"))


def demands_of_organization(user) -> QuerySet[Demand]:
    """The demands the user's organization filed or follows (newest first)."""
    own = permissions.organization_of(user)
    if own is None:
        return Demand.objects.none()
    mine = Demand.objects.filter(_demander(own)).values("pk")
    return demands_public().filter(pk__in=mine)


def demands_assigned_to(user) -> QuerySet[Demand]:
    """The demands assigned to the user's organization (a provider), oldest first."""
    own = permissions.organization_of(user)
    if own is None:
        return Demand.objects.none()
    return demands_public().filter(provider=own).order_by("created_at", "pk")


@dataclass(frozen=True)
class DemandShown:
    """What ``user`` sees of one demand beyond its public summary."""

    demand: Demand
    timeline: bool  # the steps (demanders, the assigned provider, staff)
    details: bool  # purpose, legal basis (the filing organization, the provider, staff)
    requester: bool  # who asked, for which scenario (the filing organization, staff)
    demander: bool  # filed it or follows it: may file a scenario from its catalogs
    answers: bool  # the assigned provider, who may answer
    triages: bool  # operator staff


def demand_shown(user, pk) -> DemandShown:
    """The demand as ``user`` may see it: the public summary at least (404 when missing)."""
    detailed = demands_detailed_for(user).filter(pk=pk).first()
    if detailed is None:
        return DemandShown(demand_public(pk), False, False, False, False, False, False)
    own = permissions.organization_of(user)
    sees_all = permissions.sees_everything(user)
    filer = own is not None and detailed.organization_id == own
    follower = own is not None and detailed.duplicates.filter(organization=own).exists()
    provider = own is not None and detailed.provider_id == own
    return DemandShown(
        demand=detailed,
        timeline=True,
        details=sees_all or filer or provider,
        requester=sees_all or filer,
        demander=filer or follower,
        answers=provider,
        triages=permissions.is_operator_staff(user),
    )


def demand_detailed(user, pk) -> Demand:
    """A demand whose details ``user`` sees, or NotFound."""
    found = demands_detailed_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


_WORDS = re.compile(r"[\s,，、;；/|()（）:：.。]+")


def _words(demand: Demand) -> list[str]:
    text = " ".join([demand.title, demand.fields_wanted, demand.area]).lower()
    seen = []
    for word in _WORDS.split(text):
        if len(word) >= 2 and word not in seen:
            seen.append(word)
    return seen[:16]


def catalog_suggestions(user, demand: Demand, *, limit: int = 5) -> list[Catalog]:
    """Catalogs (those ``user`` sees) whose titles, fields or keywords share the most words
    with what the demand asks for, best first."""
    words = _words(demand)
    if not words:
        return []
    anyword = Q()
    for word in words:
        anyword |= Q(search_text__contains=word)
    candidates = (
        catalogs_visible_to(user).filter(anyword).exclude(pk__in=demand.catalogs.values("pk"))
    )
    scored = [
        (sum(word in catalog.search_text for word in words), catalog)
        for catalog in candidates[:200]
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1].code))
    return [catalog for _score, catalog in scored[:limit]]


def pipeline(user) -> dict:
    """The operator's view of the pipeline: counts by status, active demands by zone and by
    provider, and the age of the active ones (days since filing)."""
    if not permissions.sees_everything(user):
        raise NotFound()
    demands = Demand.objects.all()
    by_status = dict(demands.values_list("status").annotate(n=Count("pk")).order_by())
    active = demands.filter(status__in=ACTIVE)
    today = timezone.now()
    ages = [(today - created).days for created in active.values_list("created_at", flat=True)]

    def grouped(*columns: str, shown=lambda name: name) -> list[dict]:
        """Active demands counted by status per group, named by ``shown(*columns)``."""
        rows = {}
        for *values, status, count in (
            active.values_list(*columns, "status").annotate(n=Count("pk")).order_by(*columns)
        ):
            rows.setdefault(shown(*values), {s.value: 0 for s in ACTIVE})[status] = count
        return [
            {
                "name": name,
                "counts": [counts[s.value] for s in ACTIVE],
                "total": sum(counts.values()),
            }
            for name, counts in rows.items()
        ]

    return {
        "by_status": [
            {"status": status.value, "label": status.label, "count": by_status.get(status, 0)}
            for status in DemandStatus
        ],
        "by_zone": grouped("zone__name", "zone__name_en", shown=name_in_language),
        "by_provider": grouped("provider__name"),
        "age": {
            "active": len(ages),
            "oldest_days": max(ages, default=0),
            "median_days": sorted(ages)[len(ages) // 2] if ages else 0,
            "over_30_days": sum(age > 30 for age in ages),
        },
    }
