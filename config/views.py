from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.audit import (
    EXPORT_HEADER,
    action_choices,
    action_label,
    details_rows,
    export_rows,
    target_type_choices,
    target_type_label,
)
from config.figures import platform_figures, platform_trends
from config.health import broker_ok, database_ok
from config.work import home_work
from core.csv import csv_attachment
from core.portal import page_of, paged
from core.selectors import audit_events_filter, notification_get, notifications_for
from core.services.notifications import notification_open as notification_open_svc
from core.services.notifications import notifications_mark_all_read
from core.workers import sandbox_workers_ok
from tenants.models import Organization
from tenants.permissions import is_operator_staff
from tenants.selectors import audit_events_visible_to


def home(request):
    """Everyone's landing page: a logged-in user's work first (a section per role they
    hold), then the platform's figures and their trends."""
    return render(
        request,
        "operation/home.html",
        {
            "figures": platform_figures(),
            "trends": platform_trends(),
            "work": home_work(request.user),
        },
    )


@never_cache
@require_GET
def healthz(request):
    """200 while database and broker answer; ``workers`` says whether a sandbox worker beat
    recently (``?require=workers`` makes its absence a 503, for monitors that want it)."""
    db_up, db_detail = database_ok()
    broker_up, broker_detail = broker_ok()
    workers_up = db_up and sandbox_workers_ok()
    healthy = db_up and broker_up
    if request.GET.get("require") == "workers":
        healthy = healthy and workers_up
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": "ok" if db_up else "unavailable",
        "broker": "ok" if broker_up else "unavailable",
        "workers": "ok" if workers_up else "down",
    }
    if is_operator_staff(request.user):  # the cause, for staff only
        body["detail"] = {"database": db_detail, "broker": broker_detail}
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
def audit_events(request):
    visible = audit_events_visible_to(request.user)
    events = audit_events_filter(visible, request.GET)
    page, query = paged(request, events, 50)
    rows = [
        {
            "event": event,
            "action": action_label(event.action),
            "target_type": target_type_label(event.target_type),
            "details": details_rows(event.details),
        }
        for event in page
    ]
    present = visible.order_by()
    return render(
        request,
        "operation/audit_events.html",
        {
            "page": page,
            "rows": rows,
            "filters": request.GET,
            "query": query,
            "actions": action_choices(list(present.values_list("action", flat=True).distinct())),
            "organizations": Organization.objects.filter(
                pk__in=present.values("organization")
            ).order_by("name"),
            "target_types": target_type_choices(
                list(present.values_list("target_type", flat=True).distinct())
            ),
        },
    )


@login_required
@require_GET
def audit_events_csv(request):
    """The events the page's filters select, as CSV (for the same readers as the page)."""
    events = audit_events_filter(audit_events_visible_to(request.user), request.GET)
    return csv_attachment(
        [str(title) for title in EXPORT_HEADER], export_rows(events), "audit-events.csv"
    )


@login_required
def notifications(request):
    page = page_of(request, notifications_for(request.user))
    return render(request, "operation/notifications.html", {"page": page})


@login_required
@require_GET
def notification_open(request, pk: int):
    """Opening a notification marks it read and leads to its object."""
    notification = notification_get(request.user, pk)
    return redirect(
        notification_open_svc(by=request.user, notification=notification) or "notifications"
    )


@login_required
@require_POST
def notifications_read(request):
    notifications_mark_all_read(by=request.user)
    return redirect("notifications")
