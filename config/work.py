"""Each role's work, for the home page and the menu's counts: what waits for operator
staff, reviewers, developers and providers, read across every layer (only the project
may). Who sees which section is tenants.permissions' to say; every read goes through the
apps' own selectors, scoped to the user."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.selectors import notifications_unread_count
from operation.models import CatalogStatus
from operation.selectors import catalogs_visible_to
from scenarios.dataservices.definitions import SERVICE_REVIEW
from scenarios.models import (
    DefinitionStatus,
    JobStatus,
    ReleaseStatus,
    ScenarioStatus,
    ScenarioTypeStatus,
)
from scenarios.reviews import awaits_decision, release_requests_for_review
from scenarios.selectors import (
    api_keys_visible_to,
    catalog_users,
    definitions_visible_to,
    job_queue_overview,
    jobs_visible_to,
    release_requests_visible_to,
    scenario_types_visible_to,
    scenarios_visible_to,
)
from scenarios.services.compute import compute_balance_seconds
from scenarios.services.releases import RELEASE_REVIEW
from scenarios.services.scenarios import AMENDMENT_REVIEW
from scenarios.services.types import TYPE_REVIEW
from tenants import permissions
from tenants.models import AdmissionStatus
from tenants.selectors import admissions_visible_to

KEYS_EXPIRING_WITHIN = timedelta(days=14)
LISTED = 10  # rows of each list on the home page


def _age(since) -> timedelta | None:
    return timezone.now() - since if since else None


def reviews_awaiting(user) -> list[dict]:
    """Reviews waiting for ``user``'s decision, oldest first: each with its kind (``key``:
    the menu entry it counts under), title, link and how long it has waited
    (``awaits_decision`` decides, as the pages do)."""
    if not permissions.is_reviewer(user):
        return []
    kinds = [
        (
            "types",
            _("Scenario type"),
            TYPE_REVIEW,
            scenario_types_visible_to(user).filter(status=ScenarioTypeStatus.SUBMITTED),
            lambda t: (t.name, reverse("scenario-type-detail", args=[t.pk]), t.created_at),
        ),
        (
            "scenarios",
            _("Amendment"),
            AMENDMENT_REVIEW,
            scenarios_visible_to(user).filter(status=ScenarioStatus.PENDING_REVIEW),
            lambda s: (s.name, reverse("scenario-detail", args=[s.pk]), s.applied_at),
        ),
        (
            "services",
            _("Data service"),
            SERVICE_REVIEW,
            definitions_visible_to(user).filter(status=DefinitionStatus.SUBMITTED),
            lambda d: (d.name, reverse("service-detail", args=[d.service.code]), d.created_at),
        ),
        (
            "release_reviews",
            _("Release"),
            RELEASE_REVIEW,
            release_requests_for_review(user)
            .filter(status=ReleaseStatus.SUBMITTED)
            .select_related("scenario"),
            lambda r: (
                _("Release request %(number)s of %(scenario)s")
                % {"number": r.pk, "scenario": r.scenario.name},
                reverse("release-detail", args=[r.pk]),
                r.submitted_at,
            ),
        ),
    ]
    waiting = []
    for key, label, kind, candidates, describe in kinds:
        for target in candidates:
            if awaits_decision(kind, user, target):
                title, url, since = describe(target)
                waiting.append(
                    {"key": key, "label": label, "title": title, "url": url, "since": since}
                )
    waiting.sort(key=lambda row: row["since"])
    for row in waiting:
        row["age"] = _age(row["since"])
    return waiting


def _operator_work(user) -> dict:
    queue = job_queue_overview()
    return {
        "admissions": list(
            admissions_visible_to(user)
            .filter(status=AdmissionStatus.SUBMITTED)
            .order_by("submitted_at", "pk")[:LISTED]
        ),
        "admissions_waiting": admissions_visible_to(user)
        .filter(status=AdmissionStatus.SUBMITTED)
        .count(),
        "drafts": list(
            catalogs_visible_to(user)
            .filter(status=CatalogStatus.DRAFT)
            .order_by("updated_at", "pk")[:LISTED]
        ),
        "drafts_waiting": catalogs_visible_to(user).filter(status=CatalogStatus.DRAFT).count(),
        "queue": queue,
    }


def _developer_work(user) -> dict:
    own = permissions.organization_of(user)
    jobs = jobs_visible_to(user).filter(scenario__organization=own, dry_run=False)
    releases = release_requests_visible_to(user).filter(scenario__organization=own)
    now = timezone.now()
    membership = permissions.membership_of(user)
    return {
        "running": list(
            jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).order_by("created_at")
        ),
        "awaiting_release": list(
            releases.filter(status__in=[ReleaseStatus.SUBMITTED, ReleaseStatus.RETURNED]).order_by(
                "submitted_at"
            )[:LISTED]
        ),
        "released": list(
            releases.filter(status=ReleaseStatus.APPROVED).order_by("-decided_at")[:LISTED]
        ),
        "keys_expiring": list(
            api_keys_visible_to(user)
            .filter(
                organization=own,
                revoked_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=now + KEYS_EXPIRING_WITHIN,
            )
            .order_by("expires_at")
        ),
        "balance_hours": round(compute_balance_seconds(membership.organization) / 3600, 2),
        "organization": membership.organization,
    }


def _provider_work(user) -> dict:
    """The provider's catalogs, how fresh their data is and which organizations'
    authorized scenarios use each."""
    own = permissions.organization_of(user)
    rows = []
    for catalog in catalogs_visible_to(user).filter(provider=own).order_by("code"):
        scenarios = catalog_users(user, catalog) or []
        rows.append(
            {
                "catalog": catalog,
                "refreshed_at": catalog.resource_version.created_at,
                "organizations": sorted({s.organization.name for s in scenarios}),
                "scenarios": len(scenarios),
            }
        )
    return {"catalogs": rows}


def home_work(user) -> dict:
    """The sections of ``user``'s home page: one per role they hold (none: the public
    figures only)."""
    if not user.is_authenticated:
        return {}
    work = {}
    if permissions.is_operator_staff(user):
        work["operator"] = _operator_work(user)
    if permissions.is_reviewer(user):
        work["reviews"] = reviews_awaiting(user)
    if permissions.is_developer_member(user):
        work["developer"] = _developer_work(user)
    if permissions.is_provider_member(user):
        work["provider"] = _provider_work(user)
    return work


def menu_counts(user) -> dict[str, int]:
    """What waits, by menu entry (a badge each): unread notifications for everyone;
    admissions, draft catalogs and queued jobs for operator staff; each kind of review
    for a reviewer; requests returned for changes for a developer."""
    if not user.is_authenticated:
        return {}
    counts = {"notifications": notifications_unread_count(user)}
    if permissions.is_operator_staff(user):
        counts["admissions"] = (
            admissions_visible_to(user).filter(status=AdmissionStatus.SUBMITTED).count()
        )
        counts["catalogs"] = catalogs_visible_to(user).filter(status=CatalogStatus.DRAFT).count()
        counts["jobs"] = jobs_visible_to(user).filter(status=JobStatus.QUEUED).count()
    if permissions.is_reviewer(user):
        for row in reviews_awaiting(user):
            counts[row["key"]] = counts.get(row["key"], 0) + 1
    if permissions.is_developer_member(user):
        own = permissions.organization_of(user)
        counts["releases"] = (
            release_requests_visible_to(user)
            .filter(scenario__organization=own, status=ReleaseStatus.RETURNED)
            .count()
        )
    return counts
