"""A reviewer's release review page at 1366x768: the outputs' tables fold past their first
rows (failing rows kept in view), a summary panel with the decision form stays in view
while the reviewer scrolls, and each output gets its own decision and reason."""

import pytest
from playwright.sync_api import expect

from operation.services.catalogs import zones_ensure_standard
from scenarios.models import JobStatus, ReleaseReview
from scenarios.services.jobs import job_submit
from scenarios.services.releases import release_request_create
from tenants.roles import PlatformRole
from tests.e2e.conftest import log_in
from tests.factories import authorized_scenario, staff_user

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CODE = (
    "-- output: by_type\n"
    "SELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type;\n"
    "-- output: by_arrival\n"
    "SELECT berth, vessel_type, arrival_time, count(*) AS n FROM hy_0001\n"
    "GROUP BY berth, vessel_type, arrival_time"
)


def test_the_review_page_folds_its_tables_and_keeps_the_decision_in_view(
    page, live_server, tmp_path
):
    base = live_server.url
    zones_ensure_standard()
    scenario, developer = authorized_scenario(tmp_path, username="xmu_lab")
    job = job_submit(by=developer, scenario=scenario, language="sql", code=CODE, dry_run=False)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.reason
    outputs = {output.name: output for output in job.outputs.filter(kind="file")}
    release = release_request_create(
        by=developer,
        scenario=scenario,
        items=[
            {
                "output": output.pk,
                "context": "在港船舶数",
                "controls": "按类型汇总",
                "exception": "仅内部",
            }
            for output in outputs.values()
        ],
    )
    staff_user("reviewer1", PlatformRole.REVIEWER)
    page.set_viewport_size({"width": 1366, "height": 768})

    log_in(page, base, "reviewer1")
    page.goto(f"{base}/scenarios/releases/{release.pk}/")
    arrivals = page.locator("section.release-item[data-output='by_arrival.csv']")
    expect(arrivals.locator("details.more-rows")).to_have_count(1)
    expect(arrivals.locator("table.output-table").first.locator("tbody tr")).to_have_count(10)
    folded = page.evaluate("document.documentElement.scrollHeight")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    unfolded = page.evaluate("document.documentElement.scrollHeight")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
    assert folded < 4000 and folded * 2 < unfolded, (folded, unfolded)
    # Failing cells are marked where they show.
    expect(arrivals.locator("td.cell-fail").first).to_be_visible()

    # Scrolled down to the second output's table, the summary and its decision form are
    # still in view.
    panel = page.locator("#review-panel")
    start = panel.bounding_box()["y"]
    arrivals.locator("details.more-rows").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > start
    box = panel.bounding_box()
    assert box is not None and 0 <= box["y"] < 768
    expect(panel.locator("button[data-action='items']")).to_be_in_viewport()

    by_type, by_arrival = outputs["by_type.csv"], outputs["by_arrival.csv"]
    page.check(f"input[name='item-{by_type.pk}-decision'][value='approve']")
    page.check(f"input[name='item-{by_arrival.pk}-decision'][value='return']")
    page.click("#review-panel button[data-action='items']")  # no reason for the return
    expect(
        page.locator(f"fieldset[data-item-decision='{by_arrival.pk}'] .errorlist")
    ).to_be_visible()
    page.fill(f"#item-{by_arrival.pk}-reason", "请按月汇总到港时间")
    page.click("#review-panel button[data-action='items']")
    expect(page.locator("ul.messages li.success")).to_be_visible()
    review = ReleaseReview.objects.get()
    assert review.decision == "return"
    assert review.item_decisions[str(by_arrival.pk)]["reason"] == "请按月汇总到港时间"
