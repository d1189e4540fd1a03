"""A developer applies to register its processing right; the operator passes the
preliminary review, the registration authority approves; anyone verifies the certificate
in the public registry."""

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter

from assets.models import DataAsset
from tenants.roles import PlatformRole
from tests.e2e.conftest import log_in, log_out
from tests.factories import authorized_scenario, staff_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _pdf(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "场景授权协议.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def test_apply_preliminary_re_review_and_verify(page, live_server, tmp_path):
    base = live_server.url
    scenario, developer = authorized_scenario(tmp_path)
    staff_user("op")
    staff_user("registrar", PlatformRole.REGISTRATION_AUTHORITY)

    log_in(page, base, developer.username)
    page.get_by_role("link", name="资产登记", exact=True).click()
    page.click("#asset-application-new")
    page.select_option("#id_kind", "processing")
    page.fill("#id_name", "港口拥堵分析数据加工使用权")
    page.fill("#id_description", "在授权场景内加工使用在港船舶数据")
    page.select_option("#id_scenario", str(scenario.pk))
    page.set_input_files("#id_files", str(_pdf(tmp_path)))
    page.click("#asset-application-form button[type=submit]")
    expect(page.locator("#application-status")).to_have_text("草稿")
    expect(page.locator("#evidence")).to_contain_text("场景授权协议.pdf")
    page.click("#application-submit")
    expect(page.locator("#application-status")).to_have_text("待初审")
    expect(page.locator("#lineage")).to_contain_text("HY-0001")
    url = page.url
    log_out(page)

    log_in(page, base, "op")
    page.goto(base + "/assets/applications/")
    page.locator("#review-queue").get_by_role("link", name="港口拥堵分析数据加工使用权").click()
    page.select_option("#id_decision", "pass")
    page.click("#decide")
    expect(page.locator("#application-status")).to_have_text("待复审")
    expect(page.locator("#decision-form")).to_have_count(0)  # the re-review is not theirs
    log_out(page)

    log_in(page, base, "registrar")
    page.goto(url)
    page.select_option("#id_decision", "approve")
    page.click("#decide")
    expect(page.locator("#application-status")).to_have_text("已登记")
    number = page.locator("#certificate-number").inner_text()
    log_out(page)

    asset = DataAsset.objects.get(certificate_number=number)
    page.goto(base + "/")
    page.get_by_role("link", name="资产登记簿").click()
    expect(page.locator(f'#registry tr[data-asset="{number}"]')).to_contain_text("数据加工使用权")
    page.fill("#id_number", number)
    page.fill("#id_code", "WRONGCODE9")
    page.click("#verify-form button[type=submit]")
    expect(page.locator("#verify-result")).to_have_attribute("data-verified", "no")
    page.fill("#id_number", number)
    page.fill("#id_code", asset.verification_code)
    page.click("#verify-form button[type=submit]")
    expect(page.locator("#verify-result")).to_have_attribute("data-verified", "yes")
    expect(page.locator("#verify-result")).to_contain_text(scenario.organization.name)
