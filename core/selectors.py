"""Reads of the audit trail and of notifications. Who may read them is decided above
(tenants.selectors.audit_events_visible_to; a notification is its recipient's)."""

from django.db.models import Model, QuerySet

from core.errors import NotFound
from core.models import AuditEvent, Notification
from core.params import parse_query_date, parse_query_int, parse_query_text


def audit_events_filter(queryset: QuerySet[AuditEvent], params) -> QuerySet[AuditEvent]:
    """Filters shared by the portal and the API: action (prefix), actor, organization,
    target type and id, and a date range (YYYY-MM-DD, inclusive)."""
    action = parse_query_text(params, "action")
    if action:
        queryset = queryset.filter(action__startswith=action)
    if params.get("actor"):
        queryset = queryset.filter(actor_username=params["actor"])
    organization = parse_query_int(params, "organization")
    if organization is not None:
        queryset = queryset.filter(organization_id=organization)
    if params.get("target_type"):
        queryset = queryset.filter(target_type=params["target_type"])
    if params.get("target_id"):
        queryset = queryset.filter(target_id=params["target_id"])
    since = parse_query_date(params, "since")
    if since:
        queryset = queryset.filter(time__date__gte=since)
    until = parse_query_date(params, "until")
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


def notification_get(user, pk) -> Notification:
    notification = notifications_for(user).filter(pk=pk).first()
    if notification is None:
        raise NotFound()
    return notification


def notifications_unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return notifications_for(user).filter(read_at__isnull=True).count()
