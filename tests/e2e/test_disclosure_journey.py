"""The operator drafts the year's public disclosure, reviews it and publishes it; an
anonymous visitor reads the year and downloads it as CSV."""

import csv
import datetime
import io

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, log_out
from tests.factories import admitted_developer, staff_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_publishes_the_year_and_a_visitor_downloads_it(page, live_server):
    base, year = live_server.url, datetime.date.today().year
    admitted_developer("海洋实验室", "lab", by=staff_user("operator"))

    log_in(page, base, "operator")
    page.goto(f"{base}/disclosure/")
    expect(page.locator("#id_year")).to_have_value(str(year))
    page.click("#draft-form button[type=submit]")
    page.wait_for_url(f"{base}/disclosure/{year}/")
    expect(page.locator("#report-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#section-developers")).to_contain_text("海洋实验室")
    expect(page.locator("#section-developers .summary")).to_have_text(
        "年末已准入二级开发主体 1 家。"
    )
    page.click("#publish")
    expect(page.locator("#report-status")).to_have_attribute("data-status", "published")
    expect(page.locator("#publish")).to_have_count(0)
    log_out(page)

    page.goto(f"{base}/")
    page.get_by_role("link", name="运营情况公开").click()
    page.get_by_role("link", name=f"{year} 年度运营情况公开").click()
    expect(page.locator("h1")).to_have_text(f"{year} 年度公共数据授权运营情况公开")
    expect(page.locator("#section-developers")).to_contain_text("海洋实验室")
    with page.expect_download() as download:
        page.click("#download-csv")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows[0] == ["栏目", "项目", "说明", "数值"]
    assert [
        "已准入的二级开发主体",
        "海洋实验室",
        f"{year}-{datetime.date.today():%m-%d}",
        "",
    ] in rows
