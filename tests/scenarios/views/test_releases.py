"""The portal's output, release request, review queue and download pages: thin over the
selectors and services; an unreleased output's content reaches nobody but reviewers, on
the review page only."""

import base64
import hashlib
import re

import pytest
from rest_framework.test import APIClient

from core.models import AuditEvent
from scenarios.models import CheckStatus, JobOutput, JobStatus, ReleaseRequest, ReleaseStatus
from scenarios.services import outputs as outputs_svc
from scenarios.services import releases as svc
from scenarios.services.jobs import job_submit
from tenants.models import MemberRole, Membership
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, authorized_scenario, staff_user

pytestmark = pytest.mark.django_db

BY_TYPE = "-- output: by_type\nSELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type"
BY_BERTH_AND_TYPE = (
    "-- output: crosstab\n"
    "SELECT berth, vessel_type, count(*) AS n FROM hy_0001 GROUP BY berth, vessel_type"
)
# A 1x1 PNG, written by a Python job.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def lab(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run(by, scenario, code, language="sql"):
        with django_capture_on_commit_callbacks(execute=True):
            job = job_submit(by=by, scenario=scenario, language=language, code=code, dry_run=False)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.reason
        return job

    return run


@pytest.fixture
def reviewers():
    return (
        staff_user("reviewer1", PlatformRole.REVIEWER),
        staff_user("reviewer2", PlatformRole.REVIEWER),
    )


def item(output, **extra):
    return {"output": output.pk, "context": "各类船舶数量", "controls": "每格至少10艘", **extra}


def form_data(output, *, context="各类船舶数量", controls="每格至少10艘", exception=""):
    prefix = f"output-{output.pk}-"
    return {
        prefix + "include": "on",
        prefix + "context": context,
        prefix + "controls": controls,
        prefix + "exception": exception,
    }


def page_of(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def status_of(client, user, url) -> int:
    client.force_login(user)
    response = client.get(url)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)  # consumed: the test client closes it
    return response.status_code


# The release request form ----------------------------------------------------------------


def test_the_form_offers_checked_outputs_with_their_check_status(client, lab, run):
    scenario, developer = lab
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    by_type = job.outputs.get(name="by_type.csv")

    page = page_of(client, developer, f"/scenarios/{scenario.pk}/releases/new/?output={by_type.pk}")

    assert 'id="release-form"' in page
    assert 'data-output="by_type.csv"' in page and 'data-output="crosstab.csv"' in page
    assert 'data-check-status="fail"' in page and 'data-check-status="pass"' in page
    assert f'name="output-{by_type.pk}-include" id="id_output-{by_type.pk}-include" checked' in page


def test_the_form_refuses_a_failed_output_without_an_exception(client, lab, run):
    scenario, developer = lab
    crosstab = run(developer, scenario, BY_BERTH_AND_TYPE).outputs.get(name="crosstab.csv")
    client.force_login(developer)
    url = f"/scenarios/{scenario.pk}/releases/new/"

    refused = client.post(url, form_data(crosstab))

    assert refused.status_code == 200
    assert "failed its checks: write an exception request" in refused.content.decode()
    assert not ReleaseRequest.objects.exists()
    accepted = client.post(url, form_data(crosstab, exception="泊位与船型组合已公开"))
    release = ReleaseRequest.objects.get()
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/scenarios/releases/{release.pk}/"
    assert release.items.get().exception == "泊位与船型组合已公开"


def test_the_form_is_for_the_scenarios_members_only(client, lab, run, reviewers):
    scenario, developer = lab
    run(developer, scenario, BY_TYPE)
    _org, other = admitted_developer("保险公司", "insurer", by=staff_user("op"))

    assert status_of(client, other, f"/scenarios/{scenario.pk}/releases/new/") == 404
    assert status_of(client, reviewers[0], f"/scenarios/{scenario.pk}/releases/new/") == 404


# The review page ------------------------------------------------------------------------------


def test_reviews_are_blind_on_the_page_until_the_round_is_decided(client, lab, run, reviewers):
    scenario, developer = lab
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    release = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    first, second = reviewers
    url = f"/scenarios/releases/{release.pk}/"
    client.force_login(first)
    client.post(
        url + "review/",
        {"decision": "return", "comment_private": "口径可疑", "comment_public": "请说明统计口径"},
    )

    seen_by_second = page_of(client, second, url)
    seen_by_first = page_of(client, first, url)
    seen_by_developer = page_of(client, developer, url)

    assert "请说明统计口径" not in seen_by_second and "口径可疑" not in seen_by_second
    assert 'id="release-review-form"' in seen_by_second
    assert "请说明统计口径" in seen_by_first and 'id="release-review-form"' not in seen_by_first
    assert "请说明统计口径" not in seen_by_developer
    assert 'id="release-review-form"' not in seen_by_developer
    client.force_login(second)
    client.post(url + "review/", {"decision": "approve"})
    release.refresh_from_db()
    assert release.status == ReleaseStatus.RETURNED
    seen_by_second = page_of(client, second, url)
    assert "请说明统计口径" in seen_by_second and "口径可疑" in seen_by_second
    seen_by_developer = page_of(client, developer, url)
    assert "请说明统计口径" in seen_by_developer and "口径可疑" not in seen_by_developer
    assert "reviewer1" not in seen_by_developer
    assert 'id="release-resubmit"' in seen_by_developer


def test_a_reviewer_sees_the_table_with_its_failing_cells_highlighted(client, lab, run, reviewers):
    scenario, developer = lab
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    by_type, crosstab = job.outputs.get(name="by_type.csv"), job.outputs.get(name="crosstab.csv")
    release = svc.release_request_create(
        by=developer,
        scenario=scenario,
        items=[item(by_type), item(crosstab, exception="泊位与船型组合已公开")],
    )
    url = f"/scenarios/releases/{release.pk}/"

    page = page_of(client, reviewers[0], url)

    # The crosstab's first ten rows show, the other 18 fold (a table each).
    assert page.count('class="output-table"') == 3 and 'data-more-rows="18"' in page
    # 28 berth-and-type cells of 7 or 8 vessels: each row's count is marked.
    assert page.count('<td class="cell-fail">') == 28
    assert page.count('data-cell-status="fail"') == 28
    assert "<td>海天4号泊位</td>" in page and "<td>集装箱船</td><td>50</td>" in page
    assert "MinimumThresholdCheck" in page
    assert "GROUP BY berth, vessel_type" in page  # the job's code
    assert 'id="release-scope"' in page and "vessel_type" in page  # the scenario's scope
    assert "泊位与船型组合已公开" in page
    developer_page = page_of(client, developer, url)
    assert "output-table" not in developer_page and "海天4号泊位" not in developer_page


def test_a_reviewer_sees_a_figure_inline_and_a_log_as_text(client, lab, run, reviewers):
    scenario, developer = lab
    code = (
        "import base64, workspace\n"
        f"data = base64.b64decode('{base64.b64encode(PNG).decode()}')\n"
        "(workspace.OUTPUT / 'figure.png').write_bytes(data)\n"
        "print('figure written')\n"
    )
    job = run(developer, scenario, code, language="python")
    figure, log = job.outputs.get(name="figure.png"), job.outputs.get(kind="stdout")
    release = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(figure), item(log)]
    )

    page = page_of(client, reviewers[0], f"/scenarios/releases/{release.pk}/")

    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in page
    # The page's policy lets the browser show it (only there: no other page allows data:).
    policy = client.get(f"/scenarios/releases/{release.pk}/").headers["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy
    assert "data:" not in client.get("/scenarios/releases/").headers["Content-Security-Policy"]
    assert "figure written" in page
    assert "figure written" not in page_of(client, developer, f"/scenarios/releases/{release.pk}/")


def test_a_reviewer_of_the_developers_organization_gets_no_content_and_no_form(client, lab, run):
    scenario, developer = lab
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    release = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    colleague = staff_user("lab_reviewer", PlatformRole.REVIEWER)
    Membership.objects.filter(user=colleague).update(
        organization=scenario.organization, role=MemberRole.MEMBER
    )

    page = page_of(client, colleague, f"/scenarios/releases/{release.pk}/")

    assert "output-table" not in page and "集装箱船" not in page
    assert 'id="release-review-form"' not in page


# The output page --------------------------------------------------------------------------------


def test_the_output_page_shows_the_check_record_never_unreleased_content(
    client, lab, run, reviewers
):
    scenario, developer = lab
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    for output in job.outputs.all():
        for user in (developer, staff_user("op")):
            page = page_of(client, user, f"/scenarios/outputs/{output.pk}/")
            # The SHA-256 could carry data: a developer sees it once released.
            assert (output.sha256 in page) is (user != developer)
            assert "集装箱船" not in page and "海天" not in page and "figure" not in page
            assert 'id="output-download"' not in page
    crosstab = job.outputs.get(name="crosstab.csv")
    page = page_of(client, developer, f"/scenarios/outputs/{crosstab.pk}/")
    assert 'data-status="fail"' in page and 'data-check="MinimumThresholdCheck"' in page
    assert 'data-cells="28"' in page and "fewer than 10 entities" not in page  # counts only
    assert 'id="output-parameters"' in page and "Minimum cell count" in page
    assert 'id="output-mitigate"' in page and 'id="output-request-release"' in page
    # A reviewer sees an output once it is before them, in a release request.
    client.force_login(reviewers[0])
    assert client.get(f"/scenarios/outputs/{crosstab.pk}/").status_code == 404
    svc.release_request_create(
        by=developer, scenario=scenario, items=[item(crosstab, exception="仅内部使用")]
    )
    reviewer_page = page_of(client, reviewers[0], f"/scenarios/outputs/{crosstab.pk}/")
    assert crosstab.sha256 in reviewer_page and "海天" not in reviewer_page
    assert 'id="output-mitigate"' not in reviewer_page
    assert "28 of 28 cells have fewer than 10 entities" in reviewer_page
    job_page = page_of(client, developer, f"/scenarios/jobs/{job.pk}/")
    assert f'href="/scenarios/outputs/{crosstab.pk}/"' in job_page
    assert f'href="/scenarios/{scenario.pk}/releases/new/?output={crosstab.pk}"' in job_page


def test_mitigating_from_the_output_page_makes_a_derived_output(client, lab, run, reviewers):
    scenario, developer = lab
    crosstab = run(developer, scenario, BY_BERTH_AND_TYPE).outputs.get(name="crosstab.csv")
    client.force_login(developer)

    response = client.post(f"/scenarios/outputs/{crosstab.pk}/mitigate/", {"method": "suppress"})

    derived = crosstab.derived.get()
    assert response["Location"] == f"/scenarios/outputs/{derived.pk}/"
    assert derived.check_status == CheckStatus.REVIEW
    page = page_of(client, developer, response["Location"])
    derived_from = page.split('id="output-derived-from"')[1].split("</dd>")[0]
    # in words, with the failing cells' number only (the ones suppressed to protect them
    # depend on the data)
    assert "28 failing cells suppressed, with what would reveal them" in derived_from
    assert derived.derivation == "suppress:28" and "suppress:" not in page
    release = svc.release_request_create(by=developer, scenario=scenario, items=[item(derived)])
    review = page_of(client, reviewers[0], f"/scenarios/releases/{release.pk}/")
    assert review.count('<td class="cell-suppressed">') == 28  # every cell failed: all hidden
    client.force_login(developer)
    rounded = client.post(
        f"/scenarios/outputs/{crosstab.pk}/mitigate/", {"method": "round", "base": "5"}
    )
    assert rounded.status_code == 302 and crosstab.derived.count() == 2


def test_a_returned_request_is_resubmitted_with_a_mitigated_output(client, lab, run, reviewers):
    scenario, developer = lab
    crosstab = run(developer, scenario, BY_BERTH_AND_TYPE).outputs.get(name="crosstab.csv")
    release = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(crosstab, exception="已公开")]
    )
    for reviewer in reviewers:
        svc.release_review(
            by=reviewer, request=release, decision="return", comment_public="请先抑制小单元格"
        )
    client.force_login(developer)
    derived = client.post(f"/scenarios/outputs/{crosstab.pk}/mitigate/", {"method": "suppress"})
    copy = crosstab.derived.get()
    assert derived.status_code == 302
    url = f"/scenarios/releases/{release.pk}/resubmit/"
    page = page_of(client, developer, url)
    assert "请先抑制小单元格" in page and f'data-output-id="{copy.pk}"' in page

    response = client.post(url, form_data(copy, controls="小单元格已抑制"))

    assert response["Location"] == f"/scenarios/releases/{release.pk}/"
    release.refresh_from_db()
    assert release.round == 2 and release.status == ReleaseStatus.SUBMITTED
    assert [i.output_id for i in release.items.all()] == [copy.pk]


def test_a_member_withdraws_an_open_request(client, lab, run):
    scenario, developer = lab
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    release = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    client.force_login(developer)

    client.post(f"/scenarios/releases/{release.pk}/withdraw/")

    release.refresh_from_db()
    assert release.status == ReleaseStatus.WITHDRAWN


# Downloads -----------------------------------------------------------------------------------


def test_every_unreleased_output_answers_404_for_everyone(client, lab, run, reviewers):
    scenario, developer = lab
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    svc.release_request_create(
        by=developer, scenario=scenario, items=[item(job.outputs.get(name="by_type.csv"))]
    )
    svc.release_review(by=reviewers[0], request=ReleaseRequest.objects.get(), decision="approve")
    users = (developer, *reviewers, staff_user("op"), staff_user("audit", PlatformRole.AUDITOR))
    for output in job.outputs.all():
        for user in users:
            for url in (
                f"/scenarios/outputs/{output.pk}/download/",
                f"/scenarios/jobs/{job.pk}/outputs/{output.pk}/",
            ):
                assert status_of(client, user, url) == 404, (url, user.username)
    assert not AuditEvent.objects.filter(action="output.download").exists()


def test_after_two_approvals_a_member_downloads_it_with_its_sha256(client, lab, run, reviewers):
    scenario, developer = lab
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    release = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    for reviewer in reviewers:
        client.force_login(reviewer)
        client.post(f"/scenarios/releases/{release.pk}/review/", {"decision": "approve"})
    release.refresh_from_db()
    assert release.status == ReleaseStatus.APPROVED

    page = page_of(client, developer, f"/scenarios/outputs/{output.pk}/")
    response = client.get(f"/scenarios/outputs/{output.pk}/download/")
    content = b"".join(response.streaming_content)

    assert f'href="/scenarios/outputs/{output.pk}/download/"' in page
    assert f'<code class="hash" id="output-sha256">{output.sha256}</code>' in page
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-SHA256"] == output.sha256
    assert hashlib.sha256(content).hexdigest() == output.sha256
    assert content.startswith(b"vessel_type,n")
    event = AuditEvent.objects.get(action="output.download")
    assert event.target_id == str(output.pk) and event.actor_id == developer.pk
    _org, other = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    for user in (other, reviewers[0], staff_user("op")):
        assert status_of(client, user, f"/scenarios/outputs/{output.pk}/download/") == 404
    assert status_of(client, other, f"/scenarios/outputs/{output.pk}/") == 404
    assert status_of(client, other, f"/scenarios/releases/{release.pk}/") == 404
    assert AuditEvent.objects.filter(action="output.download").count() == 1


# Lists ----------------------------------------------------------------------------------------


def test_the_reviewer_queue_filters_what_awaits_my_decision(client, lab, run, reviewers):
    scenario, developer = lab
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    release = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    first, second = reviewers
    svc.release_review(by=first, request=release, decision="approve")
    row = f'data-release="{release.pk}"'

    assert row not in page_of(client, first, "/reviews/releases/?awaiting=on")
    assert row in page_of(client, second, "/reviews/releases/?awaiting=on")
    assert row in page_of(client, first, "/reviews/releases/?status=submitted")
    assert row not in page_of(client, first, "/reviews/releases/?status=approved")
    assert row in page_of(client, first, f"/reviews/releases/?scenario={scenario.pk}")
    assert status_of(client, developer, "/reviews/releases/") == 404
    assert row in page_of(client, developer, "/scenarios/releases/")
    _org, other = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    assert row not in page_of(client, other, "/scenarios/releases/")
    assert "/reviews/releases/" in page_of(client, first, "/")
    assert "/scenarios/releases/" in page_of(client, developer, "/")


def test_a_job_posted_with_crlf_line_ends_is_checked_as_it_ran(
    client, lab, django_capture_on_commit_callbacks
):
    scenario, developer = lab
    client.force_login(developer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/scenarios/{scenario.pk}/jobs/new/",
            {"language": "sql", "code": BY_TYPE.replace("\n", "\r\n")},
        )

    output = JobOutput.objects.get(name="by_type.csv")
    assert output.check_status == CheckStatus.PASS, output.check_record["summary"]


def test_a_rejected_output_is_never_offered_again(client, lab, run, reviewers):
    scenario, developer = lab
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    release = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    svc.release_review(
        by=reviewers[0], request=release, decision="reject", comment_public="不宜公开"
    )
    svc.release_review(by=reviewers[1], request=release, decision="approve")

    page = page_of(client, developer, f"/scenarios/outputs/{output.pk}/")
    form = page_of(client, developer, f"/scenarios/{scenario.pk}/releases/new/")

    assert "Release rejected (final)" in page and 'id="output-request-release"' not in page
    assert 'data-output="by_type.csv"' not in form
    detail = page_of(client, developer, f"/scenarios/releases/{release.pk}/")
    assert "不宜公开" in detail and 'id="release-resubmit"' not in detail


def test_the_developers_request_page_shows_verdicts_never_cells_or_digests(
    client, lab, run, reviewers
):
    scenario, developer = lab
    crosstab = run(developer, scenario, BY_BERTH_AND_TYPE).outputs.get(name="crosstab.csv")
    request = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(crosstab, exception="组合为公开信息")]
    )
    page = page_of(client, developer, f"/scenarios/releases/{request.pk}/")
    assert 'data-check="MinimumThresholdCheck"' in page
    assert crosstab.sha256 not in page and "fewer than 10 entities" not in page
    assert "海天" not in page
    form = page_of(client, developer, f"/scenarios/{scenario.pk}/releases/new/")
    assert "MinimumThresholdCheck:" not in form
    reviewer_page = page_of(client, reviewers[0], f"/scenarios/releases/{request.pk}/")
    assert crosstab.sha256 in reviewer_page and "fewer than 10 entities" in reviewer_page


def test_a_failed_rule_says_in_words_what_would_fix_it_and_only_that(client, lab, run):
    scenario, developer = lab
    job = run(developer, scenario, BY_BERTH_AND_TYPE + ";\n-- output: rows\nSELECT * FROM hy_0001")
    crosstab, rows = job.outputs.get(name="crosstab.csv"), job.outputs.get(name="rows.csv")

    page = page_of(client, developer, f"/scenarios/outputs/{crosstab.pk}/")

    threshold = page.split('data-check="MinimumThresholdCheck"')[1].split("</tr>")[0]
    assert "Minimum cell count" in threshold and 'data-cells="28"' in threshold
    assert "fewer units" in threshold  # the rule in words, though its reason is withheld
    fixes = [part.split('"')[0] for part in threshold.split('data-fix="')[1:]]
    assert fixes == ["coarser", "period", "suppress"]
    assert 'data-action="suppress"' in page and 'data-action="round"' not in page
    page = page_of(client, developer, f"/scenarios/outputs/{rows.pk}/")
    row_level = page.split('data-check="RowLevelCheck"')[1].split("</tr>")[0]
    assert 'data-status="fail"' in page and "individual records" in row_level
    assert [part.split('"')[0] for part in row_level.split('data-fix="')[1:]] == [
        "aggregate",
        "drop",
    ]
    assert 'data-action="round"' not in page  # rounding cannot make rows an aggregate


def test_a_reviewer_decides_each_output_with_its_own_reason(client, lab, run, reviewers):
    scenario, developer = lab
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    by_type, crosstab = job.outputs.get(name="by_type.csv"), job.outputs.get(name="crosstab.csv")
    release = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(by_type), item(crosstab, exception="已公开")]
    )
    url = f"/scenarios/releases/{release.pk}/"
    page = page_of(client, reviewers[0], url)
    assert page.count('data-item-decision="') == 2 and 'id="review-panel"' in page
    assert f'name="item-{crosstab.pk}-reason"' in page

    # Every output needs a decision, one not approved its reason: said next to it.
    refused = client.post(
        url + "review/",
        {
            "decision": "items",
            f"item-{by_type.pk}-decision": "approve",
            f"item-{crosstab.pk}-decision": "return",
        },
    ).content.decode()
    assert "Give the developer a reason for crosstab.csv." in refused
    assert 'value="return" checked' in refused.split(f'data-item-decision="{crosstab.pk}"')[1]
    client.post(
        url + "review/",
        {
            "decision": "items",
            f"item-{by_type.pk}-decision": "approve",
            f"item-{crosstab.pk}-decision": "return",
            f"item-{crosstab.pk}-reason": "请先合并小泊位",
        },
    )

    review = release.reviews.get()
    assert review.decision == "return"  # the strictest of the outputs' decisions
    assert review.item_decisions[str(by_type.pk)]["decision"] == "approve"
    assert review.comment_public == "crosstab.csv: 请先合并小泊位"


def test_the_decisions_table_lists_each_outputs_decision_and_reason_in_both_languages(
    client, lab, run, reviewers
):
    scenario, developer = lab
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    by_type, crosstab = job.outputs.get(name="by_type.csv"), job.outputs.get(name="crosstab.csv")
    release = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(by_type), item(crosstab, exception="已公开")]
    )
    decided = {
        by_type.pk: {"decision": "approve"},
        crosstab.pk: {"decision": "return", "reason": "请先合并小泊位"},
    }
    svc.release_review(
        by=reviewers[0], request=release, items=decided, comment_private="小泊位或可识别单船"
    )
    url = f"/scenarios/releases/{release.pk}/"

    def decisions_table(page):
        return page.split('id="release-reviews"')[1].split("</section>")[0]

    # Blind: the other reviewer and the developer see nothing of it in the open round.
    assert "请先合并小泊位" in decisions_table(page_of(client, reviewers[0], url))
    assert "请先合并小泊位" not in decisions_table(page_of(client, reviewers[1], url))
    assert "请先合并小泊位" not in decisions_table(page_of(client, developer, url))
    svc.release_review(by=reviewers[1], request=release, decision="approve", comment_public="同意")

    words = {"en": ("Approve", "Return for changes"), "zh-hans": ("通过", "退回修改")}
    # Once the round is decided, the other reviewer and the developer read each output's
    # decision and reason; the comment to reviewers stays with the reviewers.
    for user in (reviewers[1], developer):
        client.force_login(user)
        for language, (approved, returned) in words.items():
            page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            table = decisions_table(page)
            seen = (user.username, language)
            row = table.split(f'data-output-id="{crosstab.pk}"')[1].split("</li>")[0]
            assert f"<code>crosstab.csv</code>: {returned} — " in row, seen
            assert "请先合并小泊位" in row, seen
            row = table.split(f'data-output-id="{by_type.pk}"')[1].split("</li>")[0]
            assert f"<code>by_type.csv</code>: {approved}" in row, seen
            assert "item-reason" not in row, seen
            assert table.count("data-output-id=") == 2, seen  # none for a whole-request one
            assert ("小泊位或可识别单船" in page) == (user != developer), seen
            assert ("reviewer1" in table) == (user != developer), seen
        # In Chinese, the decisions are in words and none in English: the table's text is
        # Chinese but for the outputs' and reviewers' names.
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert not any(word in page for word in ("Approve", "Reject", "Return for")), user
        text = re.sub(r"<[^>]+>|\b\w+\.csv\b|\breviewer\d\b", " ", decisions_table(page))
        assert not re.search(r"[A-Za-z]", text), text

    api = APIClient()
    api.force_authenticate(developer)
    reviews = api.get(f"/api/v1/release-requests/{release.pk}/").data["reviews"]
    per_output = [r["items"] for r in reviews if r["items"]]
    assert per_output == [
        [
            {"output": by_type.pk, "name": "by_type.csv", "decision": "approve", "reason": ""},
            {
                "output": crosstab.pk,
                "name": "crosstab.csv",
                "decision": "return",
                "reason": "请先合并小泊位",
            },
        ]
    ]
    assert [r["items"] for r in reviews if not r["items"]] == [[]]


def test_the_release_form_groups_outputs_by_job_and_says_every_missing_field_at_once(
    client, lab, run
):
    scenario, developer = lab
    first = run(developer, scenario, BY_TYPE)
    second = run(developer, scenario, BY_BERTH_AND_TYPE)
    by_type, crosstab = (
        first.outputs.get(name="by_type.csv"),
        second.outputs.get(name="crosstab.csv"),
    )
    client.force_login(developer)
    url = f"/scenarios/{scenario.pk}/releases/new/"

    page = client.get(url).content.decode()
    assert f'data-job="{first.pk}"' in page and f'data-job="{second.pk}"' in page
    assert page.index(f'data-job="{second.pk}"') < page.index('data-output="crosstab.csv"')

    refused = client.post(
        url,
        {
            **form_data(by_type, context="", controls=""),
            **form_data(crosstab, context="泊位船型", controls=""),
        },
    ).content.decode()
    assert refused.count("Say how disclosure was avoided.") == 2
    assert "Say what the output shows." in refused
    assert "crosstab.csv failed its checks: write an exception request." in refused
    assert not ReleaseRequest.objects.exists()


def test_a_failing_checks_reason_reads_in_the_pages_language(client, lab, run, reviewers):
    scenario, developer = lab
    job = run(developer, scenario, BY_BERTH_AND_TYPE)
    crosstab = job.outputs.get(name="crosstab.csv")
    release = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(crosstab, exception="泊位与船型组合已公开")]
    )
    client.force_login(reviewers[0])

    for url in (f"/scenarios/outputs/{crosstab.pk}/", f"/scenarios/releases/{release.pk}/"):
        chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

        assert "28 个单元格中的 28 个少于 10 个实体（最少的为 7）。" in chinese, url
        assert "have fewer than" not in chinese
        assert "28 of 28 cells have fewer than 10 entities (the fewest: 7)." in english, url
    # The release page's check summary is joined in the page's language.
    assert '<dd class="check-summary">未通过；最小单元格计数：28 个单元格</dd>' in chinese
    assert '<dd class="check-summary">Fail; Minimum cell count: 28 cells</dd>' in english

    # A record stored before the reason codes: read back from its English sentence.
    record = crosstab.check_record
    for entry in record["checks"].values():
        entry.pop("reasons", None)
    JobOutput.objects.filter(pk=crosstab.pk).update(check_record=record)
    url = f"/scenarios/outputs/{crosstab.pk}/"
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "28 个单元格中的 28 个少于 10 个实体（最少的为 7）。" in chinese
    assert "have fewer than" not in chinese and "evidence derived" not in chinese


def test_the_migration_drops_the_protected_count_of_older_mitigated_copies(lab, run):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "scenarios.migrations.0015_derivation_without_protected_count"
    )
    scenario, developer = lab
    crosstab = run(developer, scenario, BY_BERTH_AND_TYPE).outputs.get(name="crosstab.csv")
    derived = outputs_svc.output_mitigate(by=developer, output=crosstab, method="suppress")
    JobOutput.objects.filter(pk=derived.pk).update(derivation="suppress:3+2")
    rounded = outputs_svc.output_mitigate(by=developer, output=crosstab, method="round", base=5)

    migration.forget_protected_counts(apps, None)

    derived.refresh_from_db()
    rounded.refresh_from_db()
    assert (derived.derivation, rounded.derivation) == ("suppress:3", "round:5")
