import datetime

import pytest
from django.utils import timezone

from operation.services.catalogs import catalog_edit, catalog_publish
from scenarios.dataservices.definitions import service_propose, service_review
from tenants.roles import PlatformRole
from tests.demands.factories import draft_vessel_catalog
from tests.factories import BERTH_SERVICE, serviced_scenario, staff_user
from transparency.report import report_content

pytestmark = pytest.mark.django_db


def test_the_years_figures_match_the_seeded_operation(seeded):
    content = report_content(seeded["year"])
    assert content["operator"]["name"] == "运营机构"
    assert content["catalogs"]["count"] == 1
    (zone,) = content["catalogs"]["zones"]
    assert [c["code"] for c in zone["catalogs"]] == ["HY-0001"]
    assert content["developers"]["count"] == 1
    assert [d["name"] for d in content["developers"]["list"]] == ["海洋实验室"]
    (by_type,) = content["scenarios"]["types"]
    assert content["scenarios"]["count"] == 1
    assert (by_type["name"], by_type["count"]) == ("船舶交通与港口拥堵", 1)
    (service,) = content["services"]
    assert service["code"] == "berth-traffic" and service["fee_basis"] == "guided"
    assert (service["price_amount"], service["price_unit"]) == ("0.50", "每次调用")
    (product,) = content["products"]
    assert product["number"] == seeded["release"].pk and product["fee_basis"] == "free"
    assert product["outputs"] == ["by_type.csv"]
    usage = content["usage"]
    assert usage["service_calls"] == 2 and usage["service_calls_answered"] == 2
    assert usage["jobs"] == 1
    assert usage["cpu_hours"] == f"{seeded['job'].cpu_seconds / 3600:.2f}"
    assets = content["assets"]
    assert assets["count"] == 1
    assert {k["kind"]: k["count"] for k in assets["kinds"]} == {
        "holding": 0,
        "processing": 1,
        "product": 0,
    }
    (asset,) = assets["list"]
    assert (asset["kind"], asset["holder"], asset["status"]) == (
        "processing",
        "海洋实验室",
        "registered",
    )

    # The year before the operation began shows nothing of it.
    before = report_content(seeded["year"] - 1)
    assert before["catalogs"]["count"] == 0 and before["developers"]["count"] == 0
    assert before["scenarios"]["count"] == 0 and before["services"] == []
    assert before["products"] == [] and before["usage"]["service_calls"] == 0
    assert before["assets"]["count"] == 0


def test_a_catalog_edited_later_stays_in_the_year_it_was_first_published(tmp_path, monkeypatch):
    staff = staff_user("op")
    catalog = draft_vessel_catalog(staff, tmp_path)
    last_year = timezone.localdate().year - 1
    now = timezone.now
    monkeypatch.setattr(
        timezone, "now", lambda: timezone.make_aware(datetime.datetime(last_year, 6, 1))
    )
    catalog_publish(by=staff, catalog=catalog)
    monkeypatch.setattr(timezone, "now", now)

    # This year: edited, so published again as a new version.
    catalog_edit(by=staff, catalog=catalog, metadata={"summary": "厦门港船舶到离港"}, fields={})

    for year in (last_year, last_year + 1):
        (zone,) = report_content(year)["catalogs"]["zones"]
        assert [c["code"] for c in zone["catalogs"]] == [catalog.code]
    assert report_content(last_year - 1)["catalogs"]["count"] == 0


def test_an_amended_service_counts_once_with_its_version_of_each_year(tmp_path, monkeypatch):
    scenario, developer, first, _secret = serviced_scenario(tmp_path)
    this_year = timezone.localdate().year
    # Early next year, before this year's report is drafted: an amendment is approved.
    monkeypatch.setattr(
        timezone, "now", lambda: timezone.make_aware(datetime.datetime(this_year + 1, 1, 15))
    )
    amended = service_propose(
        by=developer,
        scenario_type=scenario.scenario_type,
        **{**BERTH_SERVICE, "name": "泊位到港艘次（按日）"},
    )
    for name in ("reviewer1", "reviewer2"):
        amended = service_review(
            by=staff_user(name, PlatformRole.REVIEWER), definition=amended, decision="approve"
        )

    for year, current in ((this_year, first), (this_year + 1, amended)):
        services = report_content(year)["services"]
        assert [(s["code"], s["name"]) for s in services] == [("berth-traffic", current.name)]
