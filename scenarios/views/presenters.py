"""What the data-service pages show, laid out for their templates: a service's versions
and parameters, an example call, a scenario's keys and the usage chart."""

import datetime
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scenarios.dataservices.keys import key_state
from scenarios.models import DefinitionStatus, ParameterType

D = DefinitionStatus


def parameter_rows(parameters: list[dict]) -> list[dict]:
    """Each declared parameter: its name, type, whether required and its constraints."""
    types = dict(ParameterType.choices)
    rows = []
    for spec in parameters or []:
        limits = []
        if spec.get("type") == "date_range":
            limits.append(
                _("given as YYYY-MM-DD/YYYY-MM-DD; binds $%(name)s_start and $%(name)s_end")
                % {"name": spec["name"]}
            )
        if "max_days" in spec:
            limits.append(_("at most %(days)s days") % {"days": spec["max_days"]})
        if "min" in spec:
            limits.append(_("at least %(min)s") % {"min": spec["min"]})
        if "max" in spec:
            limits.append(_("at most %(max)s") % {"max": spec["max"]})
        if spec.get("choices"):
            limits.append(_("one of %(choices)s") % {"choices": ", ".join(spec["choices"])})
        rows.append(
            {
                "name": spec.get("name", ""),
                "label": spec.get("label", ""),
                "type": spec.get("type", ""),
                "type_label": types.get(spec.get("type"), spec.get("type", "")),
                "required": spec.get("required", True) is not False,
                "limits": _("; ").join(str(limit) for limit in limits),
            }
        )
    return rows


def service_rows(definitions) -> list[dict]:
    """One row per service from its visible versions (newest first per service): the
    approved version if any (else the newest), and the version under review if any."""
    rows: dict[int, dict] = {}
    for definition in definitions:
        row = rows.setdefault(
            definition.service_id,
            {
                "service": definition.service,
                "latest": definition,
                "approved": None,
                "pending": None,
            },
        )
        if definition.status == D.APPROVED and row["approved"] is None:
            row["approved"] = definition
        if definition.status in (D.DRAFT, D.SUBMITTED) and row["pending"] is None:
            row["pending"] = definition
    for row in rows.values():
        row["current"] = row["approved"] or row["latest"]
        row["parameters"] = parameter_rows(row["current"].parameters)
    return sorted(rows.values(), key=lambda row: row["service"].code)


def _example_value(spec: dict) -> str:
    today = timezone.localdate()
    kind = spec.get("type")
    if kind == "date":
        return today.isoformat()
    if kind == "date_range":
        days = min(7, spec.get("max_days") or 7)
        return f"{today - datetime.timedelta(days=days - 1)}/{today}"
    if kind == "choice":
        return spec["choices"][0]
    return str(spec.get("min", 0))


def example_call(request, definition) -> str:
    """A curl line calling the service with its required parameters."""
    query = urlencode(
        [
            (spec["name"], _example_value(spec))
            for spec in definition.parameters
            if spec.get("required", True) is not False
        ]
    )
    url = request.build_absolute_uri(f"/api/v1/services/{definition.service.code}/call")
    if query:
        url += "?" + query
    return f'curl -H "Authorization: ApiKey <key>" "{url}"'


def valid_until(expires_at: datetime.datetime | None) -> str:
    """The last moment a key works, as its maker chose it: a key that stops at local
    midnight (the portal's "expires after" a day) is valid until the day before; one
    stopping at another time (set through the API) until that day and time."""
    if expires_at is None:
        return ""
    local = timezone.localtime(expires_at)
    if local.time() == datetime.time():
        return (local.date() - datetime.timedelta(days=1)).isoformat()
    return local.strftime("%Y-%m-%d %H:%M")


def key_rows(keys) -> list[dict]:
    """Each key with its state and the state's label."""
    now = timezone.now()
    labels = {"revoked": _("Revoked"), "expired": _("Expired"), "active": _("Active")}
    rows = []
    for key in keys:
        state = key_state(key, now)
        rows.append({"key": key, "state": state, "state_label": labels[state]})
    return rows


CHART_WIDTH, CHART_HEIGHT = 720, 220
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 44, 8, 12, 28


def usage_chart(summary: dict) -> dict:
    """Bars of calls per day (refused calls at their foot, in a second colour), laid out
    for an inline SVG: every size in the chart's own units."""
    days = summary["days"]
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    base = CHART_TOP + plot_height
    step = plot_width / max(1, len(days))
    width = max(step * 0.8, 0.5)
    peak = summary["peak"]
    bars = []
    for index, day in enumerate(days):
        height = plot_height * day["calls"] / peak if peak else 0
        refused = plot_height * day["refused"] / peak if peak else 0
        bars.append(
            {
                "day": day["day"].isoformat(),
                "calls": day["calls"],
                "refused": day["refused"],
                "x": round(CHART_LEFT + index * step + (step - width) / 2, 2),
                "width": round(width, 2),
                "y": round(base - height, 2),
                "height": round(height, 2),
                "refused_y": round(base - refused, 2),
                "refused_height": round(refused, 2),
                "title": ngettext(
                    "%(day)s: %(calls)s call, %(refused)s refused",
                    "%(day)s: %(calls)s calls, %(refused)s refused",
                    day["calls"],
                )
                % {
                    "day": day["day"].isoformat(),
                    "calls": day["calls"],
                    "refused": day["refused"],
                },
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "top": CHART_TOP,
        "base": base,
        "label_y": base + 18,
        "bars": bars,
        "peak": peak,
        "label": _(
            "Calls per day from %(start)s to %(end)s: %(total)s in all, at most %(peak)s a day."
        )
        % {
            "start": summary["start"].isoformat(),
            "end": summary["end"].isoformat(),
            "total": summary["total"],
            "peak": peak,
        },
    }
