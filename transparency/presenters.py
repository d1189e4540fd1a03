"""A report's content as people read it, in the current language: names in the language
asked for (the Chinese one when there is no English one), fee bases in words, and the
sections as rows of (item, detail, value) for the CSV and PDF exports."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assets.models import AssetStatus, RightKind
from core.names import name_in_language
from scenarios.models import FeeBasis


def name_of(item: dict) -> str:
    return name_in_language(item["name"], item.get("name_en", ""))


def fee_text(item: dict) -> str:
    if item.get("fee_basis") == FeeBasis.FREE:
        return _("Free for public-interest use")
    if item.get("fee_basis") == FeeBasis.GUIDED:
        return _("Government-guided price: %(amount)s yuan %(unit)s (basis: %(basis)s)") % {
            "amount": item["price_amount"],
            "unit": item["price_unit"],
            "basis": item["price_basis"],
        }
    return _("Not priced yet")


def operator_role() -> str:
    return _(
        "Primary operator, authorized by the city to operate its public data: "
        "it publishes the development data catalogs, admits secondary developers and runs "
        "the sandbox."
    )


def sections(content: dict) -> list[dict]:
    """The report's sections, each with its title, a summary and rows of three cells."""
    operator = content["operator"]
    catalogs, developers = content["catalogs"], content["developers"]
    scenarios, usage = content["scenarios"], content["usage"]
    found = [
        {
            "key": "operator",
            "title": _("Operator and its role"),
            "summary": operator_role(),
            "header": [_("Name"), _("Unified social credit code"), _("Address")],
            "rows": [[name_of(operator), operator["credit_code"], operator["address"]]]
            if operator
            else [],
        },
        {
            "key": "catalogs",
            "title": _("Authorized resources (published catalogs)"),
            "summary": ngettext(
                "%(n)s published development data catalog at the end of the year.",
                "%(n)s published development data catalogs at the end of the year.",
                catalogs["count"],
            )
            % {"n": catalogs["count"]},
            "header": [_("Data zone"), _("Catalog"), _("Data provider")],
            "rows": [
                [name_of(zone), f"{c['code']} {name_of(c)}", c["provider"]]
                for zone in catalogs["zones"]
                for c in zone["catalogs"]
            ],
        },
        {
            "key": "developers",
            "title": _("Admitted secondary developers"),
            "summary": ngettext(
                "%(n)s secondary developer admitted at the end of the year.",
                "%(n)s secondary developers admitted at the end of the year.",
                developers["count"],
            )
            % {"n": developers["count"]},
            "header": [_("Organization"), _("Admitted on"), ""],
            "rows": [[name_of(d), d["admitted_on"], ""] for d in developers["list"]],
        },
        {
            "key": "scenarios",
            "title": _("Running scenarios by type"),
            "summary": ngettext(
                "%(n)s authorized scenario ran in the year.",
                "%(n)s authorized scenarios ran in the year.",
                scenarios["count"],
            )
            % {"n": scenarios["count"]},
            "header": [_("Scenario type"), "", _("Scenarios")],
            "rows": [[name_of(t), "", t["count"]] for t in scenarios["types"]],
        },
        {
            "key": "services",
            "title": _("Data services and their fee basis"),
            "summary": ngettext(
                "%(n)s approved data service.",
                "%(n)s approved data services.",
                len(content["services"]),
            )
            % {"n": len(content["services"])},
            "header": [_("Code"), _("Name"), _("Fee basis")],
            "rows": [[s["code"], name_of(s), fee_text(s)] for s in content["services"]],
        },
        {
            "key": "products",
            "title": _("Data products (released output sets) and their fee basis"),
            "summary": ngettext(
                "%(n)s output set released in the year.",
                "%(n)s output sets released in the year.",
                len(content["products"]),
            )
            % {"n": len(content["products"])},
            "header": [_("Product"), _("Organization"), _("Fee basis")],
            "rows": [
                [
                    _("Release #%(n)s of %(scenario)s, %(date)s")
                    % {"n": p["number"], "scenario": p["scenario"], "date": p["released_on"]},
                    p["organization"],
                    fee_text(p),
                ]
                for p in content["products"]
            ],
        },
        {
            "key": "usage",
            "title": _("Calls and compute used in the year"),
            "summary": "",
            "header": [_("Measure"), "", _("Value")],
            "rows": [
                [_("Data-service calls"), "", usage["service_calls"]],
                [_("Data-service calls answered"), "", usage["service_calls_answered"]],
                [_("Sandbox jobs run"), "", usage["jobs"]],
                [_("Compute used (CPU-hours)"), "", usage["cpu_hours"]],
            ],
        },
        _assets(content["assets"]),
    ]
    return found


def _assets(assets: dict) -> dict:
    by_kind = _("; ").join(
        _("%(kind)s: %(n)s") % {"kind": RightKind(k["kind"]).label, "n": k["count"]}
        for k in assets["kinds"]
    )
    return {
        "key": "assets",
        "title": _("Registered data assets"),
        "summary": ngettext(
            "%(n)s data asset registered in the year (%(kinds)s).",
            "%(n)s data assets registered in the year (%(kinds)s).",
            assets["count"],
        )
        % {"n": assets["count"], "kinds": by_kind},
        "header": [_("Certificate"), _("Holder"), _("Registered on")],
        "rows": [
            [
                _("%(certificate)s %(kind)s: %(name)s (%(status)s)")
                % {
                    "certificate": a["certificate_number"],
                    "kind": RightKind(a["kind"]).label,
                    "name": a["name"],
                    "status": AssetStatus(a["status"]).label,
                },
                a["holder"],
                a["registered_on"],
            ]
            for a in assets["list"]
        ],
    }
