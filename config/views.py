from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.health import broker_ok, database_ok
from core.workers import sandbox_workers_ok
from operation.selectors import (
    audit_events_filter,
    audit_events_visible_to,
    notifications_for,
    platform_figures,
)
from tenants.roles import PlatformRole, has_role


def home(request):
    return render(request, "operation/home.html", {"figures": platform_figures()})


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
    if has_role(request.user, PlatformRole.OPERATOR_STAFF):  # the cause, for staff only
        body["detail"] = {"database": db_detail, "broker": broker_detail}
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
def audit_events(request):
    events = audit_events_filter(audit_events_visible_to(request.user), request.GET)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "operation/audit_events.html",
        {"page": page, "filters": request.GET, "query": query.urlencode()},
    )


@login_required
def notifications(request):
    page = Paginator(notifications_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "operation/notifications.html", {"page": page})
