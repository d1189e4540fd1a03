import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import staff_user, submitted_developer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_the_audit_trail_fits_a_laptop_screen(browser, live_server):
    """At 1366×768 the trail needs no sideways scrolling, the organization's name reads on
    one or two lines (not one character a line) and the hash is short, whole in its title."""
    staff_user("op")
    submitted_developer("厦门大学近海海洋环境科学实验室", "lab")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    log_in(page, live_server.url, "op")
    page.goto(f"{live_server.url}/audit/")
    expect(page.locator("#audit-table tbody tr").first).to_be_visible()
    overflow = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.querySelector('.table-wrap').scrollWidth,"
        " document.querySelector('.table-wrap').clientWidth]"
    )
    assert overflow[0] <= overflow[1] and overflow[2] <= overflow[3], overflow
    organization = page.locator("#audit-table td.org", has_text="厦门大学").first
    lines = organization.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
    )
    assert organization.bounding_box()["width"] > 120 and lines <= 2, lines
    hash_cell = page.locator("#audit-table code.hash").first
    assert len(hash_cell.inner_text()) == 9 and len(hash_cell.get_attribute("title")) == 64
    expect(page.locator("#f-action")).to_contain_text("准入申请已提交")
    page.select_option("#f-action", "admission.submit")
    page.click("#audit-filters button[type=submit]")
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)
    assert "action=admission.submit" in page.locator("#audit-export").get_attribute("href")
    context.close()
