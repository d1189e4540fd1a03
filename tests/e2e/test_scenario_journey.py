"""A developer proposes a scenario type, two reviewers approve it, and a second
organization files a scenario of that type and is authorized on filing."""

import datetime

import pytest
from playwright.sync_api import expect

from operation.services.catalogs import zones_ensure_standard
from scenarios.models import ScenarioType
from tenants.roles import PlatformRole
from tests.e2e.conftest import log_in, log_out
from tests.factories import admitted_developer, published_vessel_catalog, staff_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_type_is_approved_once_and_a_scenario_of_it_is_authorized_on_filing(
    page, live_server, tmp_path
):
    base = live_server.url
    zones_ensure_standard()
    operator = staff_user("operator")
    published_vessel_catalog(operator, tmp_path)
    admitted_developer("海洋实验室", "lab", by=operator)
    admitted_developer("保险公司", "insurer", by=operator)
    for name in ("reviewer1", "reviewer2"):
        staff_user(name, PlatformRole.REVIEWER)

    # The lab proposes a type over the vessels catalog and submits it.
    log_in(page, base, "lab")
    page.goto(base + "/scenario-types/")
    page.click("#propose-type")
    page.fill("#id_name", "船舶交通与港口拥堵")
    page.fill("#id_name_en", "Vessel traffic and port congestion")
    page.fill("#id_purpose", "港口拥堵研究，服务港口调度与航运企业")
    page.check("input[name=output_kinds][value=aggregate]")
    page.click("details[data-catalog=HY-0001] summary")
    expect(page.locator("#scope-HY-0001-owner_phone")).to_be_disabled()
    for column in ("mmsi", "vessel_type", "berth", "arrival_time"):
        page.check(f"#scope-HY-0001-{column}")
    page.click("#type-form button[type=submit]")
    expect(page.locator("#type-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("tr[data-column=owner_phone]")).to_have_attribute("data-in-scope", "no")
    page.click("button[data-action=submit]")
    expect(page.locator("#type-status")).to_have_attribute("data-status", "submitted")
    type_url = page.url
    log_out(page)

    # Two reviewers from the operator, neither of the lab, each approve it.
    for reviewer in ("reviewer1", "reviewer2"):
        log_in(page, base, reviewer)
        page.goto(type_url)
        expect(page.locator("tr[data-column=mmsi]")).to_have_attribute("data-in-scope", "yes")
        page.fill("#review-comment-approve", "范围合理")
        page.click("button[data-action=approve]")
        expect(page.locator("table.reviews tr[data-decision=approve]")).to_have_count(
            1 if reviewer == "reviewer1" else 2
        )
        log_out(page)
    assert ScenarioType.objects.get().status == "approved"

    # The insurer finds the approved type and files a scenario inside its scope.
    log_in(page, base, "insurer")
    page.goto(base + "/scenario-types/?status=approved")
    page.click(f"#scenario-types a[href='{type_url.removeprefix(base)}']")
    page.click("#apply-scenario")
    page.fill("#id_name", "船舶保险承保风险评估")
    page.fill("#id_purpose", "按泊位和船型统计到港频次，用于承保风险评分")
    page.fill("#id_responsible_person", "王五")
    today = datetime.date.today()
    page.fill("#id_period_start", str(today))
    page.fill("#id_period_end", str(today + datetime.timedelta(days=60)))
    expect(page.locator("#scope-HY-0001-owner_phone")).to_have_count(0)
    # "Select all" ticks and clears every field of a catalog, and shows a partial choice.
    select_all = page.locator("input[data-select-all='scope-HY-0001']")
    fields = page.locator("input[name='scope-HY-0001']")
    select_all.check()
    assert fields.count() > 2
    assert all(box.is_checked() for box in fields.all())
    select_all.uncheck()
    assert not any(box.is_checked() for box in fields.all())
    page.check("#scope-HY-0001-vessel_type")
    page.check("#scope-HY-0001-berth")
    assert select_all.evaluate("box => box.indeterminate") is True
    page.check("#id_accept_agreement")
    page.click("#apply-form button[type=submit]")

    expect(page.locator("#scenario-status")).to_have_attribute("data-status", "authorized")
    expect(page.locator(".messages li.success")).to_be_visible()
    expect(page.locator("#workspace-tables tr[data-table=HY-0001]")).to_be_visible()
