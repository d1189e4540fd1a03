"""Each role lands on its work (operator staff, a reviewer, a developer, a provider), in
Chinese: the menu marks the current page and counts what waits; a notification leads to
its object; on a 390 px phone the menu folds behind its button and a wide table scrolls
inside its card. Screenshots go to the test's folder (a CJK font is installed, so they
show Chinese)."""

import datetime

import pytest
from playwright.sync_api import expect

from operation.services.catalogs import zones_ensure_standard
from scenarios.services.types import scenario_type_propose, scenario_type_submit
from tenants.services.organizations import member_create
from tests.e2e.conftest import log_in, log_out
from tests.factories import PASSWORD, authorized_scenario, provider_org, submitted_developer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _badge(page, href: str):
    return page.locator(f'#main-menu a[href="{href}"] .badge')


def test_each_role_lands_on_its_work_on_a_desktop_and_a_phone(page, browser, live_server, tmp_path):
    base = live_server.url
    zones_ensure_standard()
    scenario, developer = authorized_scenario(tmp_path, username="xmu_lab")
    submitted_developer("厦门数据科技有限公司", "applicant")
    scenario_type = scenario_type_propose(
        by=developer,
        scope={"HY-0001": ["berth"]},
        name="泊位利用研究",
        purpose="港口泊位",
        output_kinds=["aggregate"],
        valid_from=datetime.date.today(),
        valid_until=datetime.date.today() + datetime.timedelta(days=90),
    )
    scenario_type_submit(by=developer, scenario_type=scenario_type)
    member_create(
        by=None,
        organization=provider_org(),
        role="member",
        user_fields={"username": "bureau", "email": "b@gov.cn", "password": PASSWORD},
    )

    # Operator staff: admissions and the queue first; the menu counts the admission.
    log_in(page, base, "op")
    expect(page.locator("h1")).to_have_text("我的工作")
    expect(page.locator("#work-admissions")).to_have_text("1")
    page.screenshot(path=str(tmp_path / "operator-home.png"), full_page=True)
    expect(page.locator("#work-admission-list")).to_contain_text("厦门数据科技有限公司")
    expect(_badge(page, "/admissions/")).to_contain_text("1")
    expect(page.locator('#main-menu a[href="/"]')).to_have_attribute("aria-current", "page")
    page.click('#main-menu a[href="/admissions/"]')
    expect(page.locator('#main-menu a[href="/admissions/"]')).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator('#main-menu a[href="/"]')).not_to_have_attribute("aria-current", "page")
    log_out(page)

    # A reviewer: the type waiting for them, with its age, leads to its page.
    log_in(page, base, "reviewer1")
    row = page.locator('#work-review-list tr[data-review="types"]')
    expect(row).to_contain_text("泊位利用研究")
    expect(row).to_contain_text("分钟")
    expect(_badge(page, "/scenario-types/")).to_contain_text("1")
    page.screenshot(path=str(tmp_path / "reviewer-home.png"), full_page=True)
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("泊位利用研究")
    log_out(page)

    # A developer: jobs, releases, keys and the voucher's balance; a notification leads on.
    log_in(page, base, "xmu_lab")
    expect(page.locator("#work-balance")).to_have_text("10.0")
    expect(page.locator("#work-developer")).to_contain_text("没有排队或运行中的计算任务")
    expect(_badge(page, "/notifications/")).to_be_visible()
    page.screenshot(path=str(tmp_path / "developer-home.png"), full_page=True)
    page.click('#main-menu a[href="/notifications/"]')
    first = page.locator("article.notification").first
    expect(first).to_have_attribute("data-read", "no")
    first.locator("h2 a").click()
    expect(page).not_to_have_url(f"{base}/notifications/")
    page.goto(f"{base}/notifications/")
    expect(page.locator("article.notification").first).to_have_attribute("data-read", "yes")
    log_out(page)

    # A provider on a phone: the menu folds behind its button, tables scroll in place.
    phone = browser.new_context(locale="zh-CN", viewport=PHONE)
    mobile = phone.new_page()
    mobile.set_default_timeout(15_000)
    try:
        mobile.goto(f"{base}/login/")
        mobile.fill("#id_username", "bureau")
        mobile.fill("#id_password", PASSWORD)
        mobile.click("main button[type=submit]")
        toggle = mobile.locator("button.menu-toggle")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(mobile.locator("#main-menu")).to_be_hidden()
        row = mobile.locator('#work-catalog-list tr[data-catalog="HY-0001"]')
        expect(row).to_contain_text(scenario.organization.name)
        mobile.screenshot(path=str(tmp_path / "provider-phone.png"), full_page=True)
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(mobile.locator('#main-menu a[href="/catalogs/"]')).to_be_visible()
        mobile.screenshot(path=str(tmp_path / "provider-phone-menu.png"))
        mobile.locator('#main-menu a[href="/catalogs/"]').click()
        expect(mobile.locator('#main-menu a[href="/catalogs/"]')).to_have_attribute(
            "aria-current", "page"
        )
        table = mobile.locator("main table").first
        widths = table.evaluate("t => [t.scrollWidth, t.clientWidth, document.body.scrollWidth]")
        assert widths[0] > widths[1]  # the table scrolls inside itself...
        assert widths[2] <= PHONE["width"]  # ...and the page does not scroll sideways
        header = mobile.locator("main table th").first
        assert header.evaluate("th => getComputedStyle(th).whiteSpace") == "nowrap"
    finally:
        phone.close()
