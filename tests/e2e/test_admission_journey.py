"""A new developer signs up and applies; the operator admits it; the developer sees it."""

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter

from tests.e2e.conftest import log_in as _log_in
from tests.e2e.conftest import log_out as _log_out
from tests.factories import PASSWORD, staff_user, uscc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {
        "admitted": "已准入",
        "submitted": "审核中",
        "apply": "申请主体准入",
        "name": "蓝湾数据科技有限公司",
    },
    "en": {
        "admitted": "Admitted",
        "submitted": "Under review",
        "apply": "Apply for admission",
        "name": "Blue Bay Data Technology",  # its English name, on English pages
    },
}


def _pdf(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "营业执照.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_developer_signs_up_applies_and_is_admitted(page, live_server, tmp_path, language):
    base = live_server.url
    text = TEXT[language]
    staff_user("operator")

    page.goto(base + "/")
    if language != "zh-hans":
        page.select_option("#language-select", language)
        page.wait_for_url(base + "/")
    expect(page.locator("html")).to_have_attribute("lang", language)

    # Sign up: an organization and its first administrator in one form.
    page.goto(base + "/signup/")
    page.fill("#id_name", "蓝湾数据科技有限公司")
    page.fill("#id_name_en", "Blue Bay Data Technology")
    page.fill("#id_credit_code", uscc())
    page.fill("#id_contact_person", "李四")
    page.fill("#id_phone", "0592-7654321")
    page.fill("#id_email", "info@bluebay.cn")
    page.fill("#id_username", "bluebay")
    page.fill("#id_admin_email", "admin@bluebay.cn")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/organization/")

    # Apply for admission with a qualification file and the commitment.
    page.get_by_role("link", name=text["apply"]).click()
    page.fill("#id_business_scope", "海洋环境数据分析产品")
    page.fill("#id_security_measures", "专人负责数据安全，仅在沙箱内计算")
    page.set_input_files("#id_files", str(_pdf(tmp_path)))
    page.check("#id_accept_commitment")
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/organization/")
    expect(page.locator("[data-status]")).to_have_text(text["submitted"])
    _log_out(page)

    # The operator admits it from the review queue.
    _log_in(page, base, "operator")
    page.goto(base + "/admissions/")
    page.get_by_role("link", name=text["name"]).click()
    # Each decision asks first, stating what it does.
    expect(page.locator("button[data-action=admit]")).to_be_hidden()
    page.click("summary[data-action=admit-open]")
    expect(page.locator("[data-consequence=admit]")).to_be_visible()
    page.click("button[data-action=admit]")
    expect(page.locator("[data-status]")).to_have_text(text["admitted"])
    _log_out(page)

    # The developer sees that it is admitted.
    _log_in(page, base, "bluebay")
    page.goto(base + "/organization/")
    expect(page.locator("[data-status]")).to_have_text(text["admitted"])
