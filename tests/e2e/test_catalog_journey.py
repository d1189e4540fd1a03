"""An operator uploads, describes and publishes a catalog; a developer finds and reads it."""

import pytest
from playwright.sync_api import expect

from operation.services.catalogs import zones_ensure_standard
from tests.e2e.conftest import log_in, log_out
from tests.factories import admitted_developer, provider_org, staff_user, vessel_csv

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_publishes_and_developer_finds_a_catalog(page, live_server, tmp_path):
    base = live_server.url
    zones_ensure_standard()
    operator = staff_user("operator")
    provider = provider_org("市海洋发展局")
    admitted_developer("海洋实验室", "lab", by=operator)
    source = vessel_csv(tmp_path / "在港船舶.csv", 150)

    log_in(page, base, "operator")
    page.goto(base + "/catalogs/")
    page.click("a[href='/catalogs/resources/new/']")
    page.select_option("#id_provider", label=provider.name)
    page.fill("#id_name", "在港船舶")
    page.set_input_files("#id_file", str(source))
    page.click("main form button[type=submit]")

    expect(page.locator("h1")).to_have_text("描述开发数据目录")
    page.select_option("#id_zone", label="海洋数据专区")
    page.fill("#id_name", "在港船舶动态")
    page.fill("#id_name_en", "Vessels in port")
    page.fill("#id_summary", "厦门港在港船舶到离港记录")
    page.fill("#id_keywords", "船舶, vessel")
    page.click("main form button[type=submit]")

    page.wait_for_url(base + "/catalogs/HY-0001/edit/")
    names = {"mmsi": "MMSI", "vessel_name": "船名", "vessel_type": "船舶类型", "berth": "泊位"}
    names |= {"arrival_time": "到港时间", "owner_phone": "船东电话", "tonnage": "吨位"}
    for column, name in names.items():
        page.fill(f"tr[data-column={column}] input[name$=name_zh]", name)
    mmsi = page.locator("tr[data-column=mmsi]")
    mmsi.locator("input[type=checkbox]").check()
    mmsi.locator("select[name$=level]").select_option("3")
    mmsi.locator("select[name$=masking]").select_option("pseudonym")
    phone = page.locator("tr[data-column=owner_phone]")
    phone.locator("select[name$=level]").select_option("4")
    phone.locator("select[name$=masking]").select_option("drop")
    # Publish straight from the edits on screen, unsaved: they are saved, then confirmed.
    page.click("button[data-action=publish]")
    expect(page.locator("#grading tr[data-column=owner_phone]")).to_contain_text("L4")
    expect(page.locator("#personal-data li[data-column=owner_phone]")).to_have_attribute(
        "data-personal", "graded"
    )
    page.click("button[data-action=confirm-publish]")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "published")
    log_out(page)

    log_in(page, base, "lab")
    page.goto(base + "/catalogs/")
    page.fill("#id_search", "船舶")
    page.click("form.filters button[type=submit]")
    page.get_by_role("link", name="在港船舶动态").click()
    expect(page.locator("h1")).to_have_text("HY-0001 在港船舶动态")
    expect(page.get_by_text("船东电话")).to_be_visible()
    expect(page.locator("table.synthetic tbody tr")).to_have_count(5)
    assert "412000007" not in page.content()


# Each control of the fields table shows its whole value: the widest option of a select
# (plus its arrow) and an input's placeholder fit inside the control.
CUT_OFF = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const cut = [];
  const controls = "tr[data-column] select, tr[data-column] input[type=text]";
  for (const control of document.querySelectorAll(controls)) {
    const style = getComputedStyle(control);
    canvas.font = `${style.fontSize} ${style.fontFamily}`;
    const texts = control.tagName === "SELECT"
      ? [...control.options].map(o => o.text) : [control.placeholder || control.value];
    const needed = Math.max(...texts.map(t => canvas.measureText(t).width))
      + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight)
      + (control.tagName === "SELECT" ? 20 : 0);
    if (needed > control.clientWidth + 1) cut.push(control.name);
  }
  return cut;
}"""


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_the_fields_table_of_the_edit_page_shows_its_controls_whole(
    browser, live_server, tmp_path, language
):
    from operation.services import catalogs as svc

    zones_ensure_standard()
    operator = staff_user("operator")
    version = svc.resource_register(
        by=operator,
        provider=provider_org(),
        name="在港船舶",
        source=vessel_csv(tmp_path / "ships.csv", 20),
        source_name="ships.csv",
    )
    svc.catalog_create(
        by=operator,
        resource_version=version,
        zone=svc.DataZone.objects.get(key="marine"),
        name="在港船舶动态",
        update_frequency="daily",
    )
    context = browser.new_context(locale=language, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    log_in(page, live_server.url, "operator")

    page.goto(live_server.url + "/catalogs/HY-0001/edit/")

    assert page.evaluate(CUT_OFF) == []
    # The table scrolls inside its frame; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
