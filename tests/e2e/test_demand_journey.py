"""A developer files a data demand; operator staff assign it to a provider; the provider
promises a catalog; once the catalog is published the demander is told and can file a
scenario with it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.demands.factories import draft_vessel_catalog, provider_member
from tests.e2e.conftest import log_in, log_out
from tests.factories import admitted_developer, staff_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_demand_from_filing_to_a_published_catalog(page, live_server, tmp_path):
    base = live_server.url
    operator = staff_user("operator")
    admitted_developer("海洋实验室", "lab", by=operator)
    provider, _bureau = provider_member("ocean_bureau", "市海洋发展局")
    catalog = draft_vessel_catalog(operator, tmp_path, provider)

    log_in(page, base, "lab")
    page.goto(base + "/demands/")
    page.click("#demand-new-link")
    page.fill("#id_title", "厦门港船舶到港数据")
    page.fill("#id_fields_wanted", "泊位, 到港时间, 船舶类型")
    page.fill("#id_area", "厦门港")
    page.select_option("#id_update_frequency", "daily")
    page.fill("#id_purpose", "港口拥堵预测")
    page.fill("#id_legal_basis", "授权运营协议第五条")
    page.select_option("#id_urgency", "urgent")
    page.click("#demand-form button[type=submit]")
    expect(page.locator("#demand-status")).to_have_attribute("data-status", "open")
    demand_url = page.url
    log_out(page)

    log_in(page, base, "operator")
    page.goto(demand_url)
    expect(page.locator(f"#suggestions li[data-catalog='{catalog.code}']")).to_be_visible()
    page.select_option("#id_provider", label="市海洋发展局")
    page.click("button[data-action=assign]")
    expect(page.locator("#demand-status")).to_have_attribute("data-status", "assigned")
    log_out(page)

    log_in(page, base, "ocean_bureau")
    page.goto(base + "/demands/mine/")
    page.click("#demands-assigned a")
    expect(page.locator("#demand-requester")).to_have_count(0)
    page.check("#id_answer_0")
    due = timezone.localdate() + timedelta(days=14)
    page.fill("#id_due_date", due.isoformat())
    page.select_option("#id_catalog", value=str(catalog.pk))
    page.click("button[data-action=answer]")
    expect(page.locator("#demand-status")).to_have_attribute("data-status", "promised")
    expect(page.locator("#demand-due")).to_have_text(due.isoformat())
    log_out(page)

    log_in(page, base, "operator")
    page.goto(f"{base}/catalogs/{catalog.code}/edit/")
    page.click("button[data-action=publish]")
    page.click("button[data-action=confirm-publish]")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "published")
    log_out(page)

    log_in(page, base, "lab")
    page.goto(base + "/notifications/")
    expect(page.locator("main")).to_contain_text("XQ-")
    page.goto(demand_url)
    expect(page.locator("#demand-status")).to_have_attribute("data-status", "matched")
    steps = page.locator("#demand-timeline li")
    expect(steps).to_have_count(4)
    expect(steps.last).to_have_attribute("data-step", "published")
    page.click(f"#matched [data-catalog='{catalog.code}'] a[data-action=propose-type]")
    expect(page.locator(f"input[name='scope-{catalog.code}'][value=berth]")).to_be_checked()
