"""Reads of the operator's domain: the audit trail and the platform's figures."""

from django.db.models import Model, QuerySet
from django.utils.dateparse import parse_date

from operation.errors import NotFound
from operation.models import AuditEvent, Notification
from tenants.models import AdmissionStatus, Organization
from tenants.roles import PlatformRole, has_role


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    if not has_role(user, PlatformRole.OPERATOR_STAFF, PlatformRole.AUDITOR):
        raise NotFound()
    return AuditEvent.objects.select_related("organization")


def audit_events_filter(queryset: QuerySet[AuditEvent], params) -> QuerySet[AuditEvent]:
    """Filters shared by the portal and the API: action (prefix), actor, organization,
    target type and id, and a date range (YYYY-MM-DD, inclusive)."""
    if params.get("action"):
        queryset = queryset.filter(action__startswith=params["action"])
    if params.get("actor"):
        queryset = queryset.filter(actor_username=params["actor"])
    if str(params.get("organization", "")).isdigit():
        queryset = queryset.filter(organization_id=int(params["organization"]))
    if params.get("target_type"):
        queryset = queryset.filter(target_type=params["target_type"])
    if params.get("target_id"):
        queryset = queryset.filter(target_id=params["target_id"])
    since = parse_date(params.get("since") or "")
    if since:
        queryset = queryset.filter(time__date__gte=since)
    until = parse_date(params.get("until") or "")
    if until:
        queryset = queryset.filter(time__date__lte=until)
    return queryset


def audit_events_for_target(target: Model) -> QuerySet[AuditEvent]:
    """The history of one object, for people who may already see that object."""
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).order_by("seq")


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def platform_figures() -> dict[str, int]:
    """Live figures for the home page. Catalogs, scenarios, jobs and data-service calls
    arrive with their own apps; until then there are none of them."""
    return {
        "published_catalogs": 0,
        "admitted_developers": Organization.objects.filter(
            admission__status=AdmissionStatus.ADMITTED
        ).count(),
        "authorized_scenarios": 0,
        "jobs_run": 0,
        "service_calls": 0,
    }
