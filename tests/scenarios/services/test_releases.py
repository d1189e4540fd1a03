import csv
import hashlib
import io

import pytest
from rest_framework.test import APIClient

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from scenarios.models import CheckStatus, JobStatus, ReleasedAggregate, ReleaseStatus
from scenarios.services import releases as svc
from scenarios.services.jobs import job_submit
from scenarios.services.outputs import output_mitigate
from tenants.models import MemberRole, Membership
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, authorized_scenario, staff_user

pytestmark = pytest.mark.django_db

BY_TYPE = "-- output: by_type\nSELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type"
# 200 vessels over 7 berths and 4 types: every berth-and-type cell holds about 7.
# A second write of the checked file, with every berth in a comment line.
SMUGGLE = (
    "COPY (SELECT '# ' || string_agg(berth, '~') AS x FROM hy_0001) "
    "TO '//output/by_type.csv' (HEADER false);"
)
BY_BERTH_AND_TYPE = (
    "-- output: crosstab\n"
    "SELECT berth, vessel_type, count(*) AS n FROM hy_0001 GROUP BY berth, vessel_type"
)


@pytest.fixture
def authorized(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run(by, scenario, code):
        with django_capture_on_commit_callbacks(execute=True):
            job = job_submit(by=by, scenario=scenario, language="sql", code=code, dry_run=False)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.reason
        return job

    return run


@pytest.fixture
def reviewers():
    return staff_user("reviewer1", PlatformRole.REVIEWER), staff_user(
        "reviewer2", PlatformRole.REVIEWER
    )


def item(output, **extra):
    return {"output": output.pk, "context": "各类船舶数量", "controls": "每格至少10艘", **extra}


def test_every_output_of_a_real_job_is_checked(authorized, run):
    scenario, developer = authorized
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    outputs = {o.name: o for o in job.outputs.all()}
    by_type, crosstab = outputs["by_type.csv"], outputs["crosstab.csv"]
    assert by_type.check_status == CheckStatus.PASS, by_type.check_record["summary"]
    assert crosstab.check_status == CheckStatus.FAIL
    threshold = crosstab.check_record["checks"]["MinimumThresholdCheck"]
    assert threshold["status"] == "fail" and len(threshold["cells"]) == 28
    assert crosstab.check_record["parameters"]["threshold"] == 10
    assert outputs["stdout.txt"].check_status == CheckStatus.REVIEW  # logs never pass


def test_a_python_output_cannot_pass(authorized, django_capture_on_commit_callbacks):
    scenario, developer = authorized
    code = (
        "import workspace\nprint(len(workspace.table('hy_0001')))\nopen('n.txt','w').write('4')\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(
            by=developer, scenario=scenario, language="python", code=code, dry_run=False
        )
    assert {o.check_status for o in job.outputs.all()} == {CheckStatus.REVIEW}


def test_two_distinct_reviewers_release_and_only_members_download(
    authorized, run, reviewers, client
):
    scenario, developer = authorized
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    first, second = reviewers
    svc.release_review(by=first, request=request, decision="approve")
    with pytest.raises(Conflict):
        svc.release_review(by=first, request=request, decision="approve")
    request.refresh_from_db()
    assert request.status == ReleaseStatus.SUBMITTED
    api = APIClient()
    api.force_authenticate(developer)
    assert api.get(f"/api/v1/outputs/{output.pk}/download").status_code == 404  # not yet
    svc.release_review(by=second, request=request, decision="approve")
    request.refresh_from_db()
    output.refresh_from_db()
    assert request.status == ReleaseStatus.APPROVED and output.released_at is not None
    assert ReleasedAggregate.objects.get(output=output).group_by == ["vessel_type"]
    response = api.get(f"/api/v1/outputs/{output.pk}/download")
    assert response.status_code == 200
    assert response["X-Content-SHA256"] == output.sha256
    assert b"".join(response.streaming_content).startswith(b"vessel_type,n")
    assert AuditEvent.objects.filter(action="output.download", target_id=str(output.pk)).exists()
    _org, other = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    for user in (other, first, staff_user("op")):
        api.force_authenticate(user)
        assert api.get(f"/api/v1/outputs/{output.pk}/download").status_code == 404


def test_unreleased_outputs_answer_404_everywhere(authorized, run, reviewers):
    scenario, developer = authorized
    job = run(developer, scenario, BY_TYPE)
    api = APIClient()
    for user in (developer, reviewers[0], staff_user("op")):
        api.force_authenticate(user)
        for output in job.outputs.all():
            assert api.get(f"/api/v1/outputs/{output.pk}/download").status_code == 404
            assert api.get(f"/api/v1/jobs/{job.pk}/outputs/{output.pk}/").status_code == 404


def test_reviewers_decide_blind_and_the_developer_sees_public_comments(authorized, run, reviewers):
    scenario, developer = authorized
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    first, second = reviewers
    svc.release_review(
        by=first,
        request=request,
        decision="return",
        comment_private="计数口径可疑",
        comment_public="请说明统计口径",
    )
    api = APIClient()

    def reviews(user):
        api.force_authenticate(user)
        return api.get(f"/api/v1/release-requests/{request.pk}/").data["reviews"]

    assert reviews(second) == []  # blind until both have decided
    assert [r["decision"] for r in reviews(first)] == ["return"]  # one's own
    assert reviews(developer) == []
    svc.release_review(by=second, request=request, decision="approve")
    request.refresh_from_db()
    assert request.status == ReleaseStatus.RETURNED
    assert {r["decision"] for r in reviews(second)} == {"return", "approve"}
    seen = reviews(developer)
    assert {r["comment_public"] for r in seen} == {"请说明统计口径", ""}
    assert all("comment_private" not in r and "reviewer" not in r for r in seen)
    # The developer changes the request: a new round, every reviewer decides again.
    request = svc.release_request_resubmit(
        by=developer, request=request, items=[item(output, context="按船舶类型统计的船舶数")]
    )
    assert request.round == 2 and request.status == ReleaseStatus.SUBMITTED
    svc.release_review(by=first, request=request, decision="approve")
    svc.release_review(by=second, request=request, decision="approve")
    request.refresh_from_db()
    assert request.status == ReleaseStatus.APPROVED


def test_rejection_is_final_and_needs_a_reason(authorized, run, reviewers):
    scenario, developer = authorized
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    first, second = reviewers
    with pytest.raises(InvalidInput) as missing:
        svc.release_review(by=first, request=request, decision="reject")
    assert missing.value.field == "comment_public"
    svc.release_review(by=first, request=request, decision="reject", comment_public="不应公开")
    svc.release_review(by=second, request=request, decision="approve")
    request.refresh_from_db()
    assert request.status == ReleaseStatus.REJECTED
    with pytest.raises(Conflict):
        svc.release_request_resubmit(by=developer, request=request, items=[item(output)])
    output.refresh_from_db()
    assert output.released_at is None


def test_who_may_review_and_request(authorized, run, reviewers):
    scenario, developer = authorized
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    _org, other = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    with pytest.raises(PermissionRefused):
        svc.release_request_create(by=other, scenario=scenario, items=[item(output)])
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    with pytest.raises(Conflict):  # one open request per output
        svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    colleague = staff_user("lab_reviewer", PlatformRole.REVIEWER)
    Membership.objects.filter(user=colleague).update(
        organization=scenario.organization, role=MemberRole.MEMBER
    )
    with pytest.raises(PermissionRefused):  # a reviewer of the developer's organization
        svc.release_review(by=colleague, request=request, decision="approve")
    with pytest.raises(PermissionRefused):  # not a reviewer
        svc.release_review(by=staff_user("op"), request=request, decision="approve")


def test_a_failed_output_needs_an_exception_request(authorized, run):
    scenario, developer = authorized
    crosstab = run(developer, scenario, BY_BERTH_AND_TYPE).outputs.get(name="crosstab.csv")
    assert crosstab.check_status == CheckStatus.FAIL
    with pytest.raises(InvalidInput) as missing:
        svc.release_request_create(by=developer, scenario=scenario, items=[item(crosstab)])
    assert missing.value.field == "items[0].exception"
    request = svc.release_request_create(
        by=developer,
        scenario=scenario,
        items=[item(crosstab, exception="泊位与类型组合为公开信息")],
    )
    assert request.items.get().exception


def test_suppression_makes_a_derived_output_that_totals_cannot_undo(authorized, run):
    scenario, developer = authorized
    crosstab = run(developer, scenario, BY_BERTH_AND_TYPE).outputs.get(name="crosstab.csv")
    derived = output_mitigate(by=developer, output=crosstab, method="suppress")
    assert derived.derived_from == crosstab and derived.check_status == CheckStatus.REVIEW
    from core.storage import data_path

    rows = list(csv.DictReader(io.StringIO(data_path(derived.path).read_text())))
    hidden = [(r["berth"], r["vessel_type"]) for r in rows if r["n"] == ""]
    assert hidden  # every cell failed: all suppressed
    for berth in {b for b, _t in hidden}:
        assert sum(1 for b, _t in hidden if b == berth) != 1
    for kind in {t for _b, t in hidden}:
        assert sum(1 for _b, t in hidden if t == kind) != 1
    rounded = output_mitigate(by=developer, output=crosstab, method="round", base=5)
    values = [int(r["n"]) for r in csv.DictReader(io.StringIO(data_path(rounded.path).read_text()))]
    assert values and all(v % 5 == 0 for v in values)


def test_a_population_differing_by_one_vessel_is_caught(authorized, run, reviewers):
    scenario, developer = authorized
    released = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(released)])
    for reviewer in reviewers:
        svc.release_review(by=reviewer, request=request, decision="approve")
    import duckdb

    from core.storage import data_path

    path = data_path(scenario.workspaces.get().path) / "HY-0001.parquet"
    one = duckdb.sql("SELECT min(mmsi) FROM read_parquet($p)", params={"p": str(path)}).fetchall()
    code = BY_TYPE.replace(
        "FROM hy_0001", f"FROM hy_0001 WHERE mmsi <> '{one[0][0]}'"
    )  # all vessels but one
    candidate = run(developer, scenario, code).outputs.get(name="by_type.csv")
    check = candidate.check_record["checks"]["DifferencingCheck"]
    assert candidate.check_status == CheckStatus.FAIL and check["status"] == "fail"
    assert (
        released.pk in [pair["released"] for pair in check.get("pairs", [])]
        or str(released.pk) in check["reason"]
    )


def test_closing_a_scenario_discards_unreleased_outputs_and_keeps_released_ones(
    authorized, run, reviewers, django_capture_on_commit_callbacks
):
    from core.storage import data_path
    from scenarios.services.scenarios import scenario_close

    scenario, developer = authorized
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    released, pending = job.outputs.get(name="by_type.csv"), job.outputs.get(name="crosstab.csv")
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(released)])
    for reviewer in reviewers:
        svc.release_review(by=reviewer, request=request, decision="approve")
    waiting = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(pending, exception="组合为公开信息")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        scenario_close(by=developer, scenario=scenario, reason="项目结束")
    pending.refresh_from_db()
    waiting.refresh_from_db()
    assert pending.discarded_at is not None and not data_path(pending.path).exists()
    assert waiting.status == ReleaseStatus.WITHDRAWN
    api = APIClient()
    api.force_authenticate(developer)
    response = api.get(f"/api/v1/outputs/{released.pk}/download")
    assert response.status_code == 200 and b"".join(response.streaming_content)
    response.close()


def test_developers_see_verdicts_never_the_cells_of_an_unreleased_output(
    authorized, run, reviewers
):
    scenario, developer = authorized
    job = run(developer, scenario, BY_BERTH_AND_TYPE)
    crosstab = job.outputs.get(name="crosstab.csv")
    api = APIClient()
    api.force_authenticate(developer)
    shown = api.get(f"/api/v1/outputs/{crosstab.pk}/").data
    assert shown["check_status"] == "fail" and shown["sha256"] is None
    assert shown["check_record"]["checks"]["MinimumThresholdCheck"] == {
        "status": "fail",
        "cells": 28,
    }
    assert "aggregate" not in shown["check_record"]
    assert "海天" not in str(shown)  # no berth name, no pseudonym
    # Reviewers see an output once it is before them, in a release request.
    exception = {"exception": "交叉表仅内部使用"}
    svc.release_request_create(by=developer, scenario=scenario, items=[item(crosstab, **exception)])
    api.force_authenticate(reviewers[0])
    full = api.get(f"/api/v1/outputs/{crosstab.pk}/").data
    assert full["sha256"] == crosstab.sha256 and full["check_record"]["aggregate"]["cells"]


def test_an_output_named_from_data_is_renamed(authorized, django_capture_on_commit_callbacks):
    scenario, developer = authorized
    code = (
        "import workspace\n"
        "berth = workspace.table('hy_0001')['berth'][0]\n"
        "open(f'{berth}.txt', 'w').write('x')\n"
        "open('declared.txt', 'w').write('y')\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(
            by=developer, scenario=scenario, language="python", code=code, dry_run=False
        )
    names = sorted(o.name for o in job.outputs.all())
    assert names == ["declared.txt", "output-1.txt", "stderr.txt", "stdout.txt"]


def test_a_rejected_output_is_never_asked_for_again(authorized, run, reviewers):
    scenario, developer = authorized
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    for reviewer in reviewers:
        svc.release_review(by=reviewer, request=request, decision="reject", comment_public="否")
    with pytest.raises(Conflict, match="rejection is final"):
        svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])


def test_two_outputs_of_one_request_that_difference_each_other_are_not_released(
    authorized, run, reviewers
):
    import duckdb

    from core.storage import data_path

    scenario, developer = authorized
    path = data_path(scenario.workspaces.get().path) / "HY-0001.parquet"
    one = duckdb.sql("SELECT min(mmsi) FROM read_parquet($p)", params={"p": str(path)}).fetchall()
    but_one = BY_TYPE.replace("by_type", "but_one").replace(
        "FROM hy_0001", f"FROM hy_0001 WHERE mmsi <> '{one[0][0]}'"
    )
    job = run(developer, scenario, BY_TYPE + ";\n" + but_one)
    outputs = [job.outputs.get(name="by_type.csv"), job.outputs.get(name="but_one.csv")]
    assert all(o.check_status == CheckStatus.PASS for o in outputs)  # each alone is safe
    request = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(o) for o in outputs]
    )
    for reviewer in reviewers:
        svc.release_review(by=reviewer, request=request, decision="approve")
    request.refresh_from_db()
    assert request.status == ReleaseStatus.RETURNED
    for output in outputs:
        output.refresh_from_db()
        assert output.released_at is None and output.check_status == CheckStatus.FAIL


def test_nothing_is_released_from_a_suspended_scenario(authorized, run, reviewers):
    from scenarios.services.scenarios import scenario_transition

    scenario, developer = authorized
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    svc.release_review(by=reviewers[0], request=request, decision="approve")
    scenario_transition(by=staff_user("op"), scenario=scenario, action="suspend", reason="核查")
    with pytest.raises(Conflict, match="Suspended"):
        svc.release_review(by=reviewers[1], request=request, decision="approve")


def test_outputs_left_unchecked_by_a_dead_worker_are_checked_by_the_sweep(authorized, run):
    import datetime

    from django.utils import timezone

    from scenarios.services.outputs import outputs_stale
    from scenarios.tasks import jobs_reap_due

    scenario, developer = authorized
    job = run(developer, scenario, BY_TYPE)
    job.outputs.update(check_status=CheckStatus.PENDING, check_record={})
    assert outputs_stale(older_than=timezone.now() - datetime.timedelta(hours=1)) == []
    assert outputs_stale(older_than=timezone.now() + datetime.timedelta(seconds=1)) == [job.pk]
    jobs_reap_due()  # too recent: left to the check already on its way
    assert job.outputs.get(name="by_type.csv").check_status == CheckStatus.PENDING
    type(job).objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - datetime.timedelta(hours=1)
    )
    jobs_reap_due()
    assert job.outputs.get(name="by_type.csv").check_status == CheckStatus.PASS


def test_a_checked_file_is_the_workers_own_rendering_and_overwrites_never_pass(authorized, run):
    from core.storage import data_path

    scenario, developer = authorized
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    content = data_path(output.path).read_bytes()
    assert output.check_status == CheckStatus.PASS
    assert output.sha256 == hashlib.sha256(content).hexdigest() and output.size == len(content)
    assert content.decode().splitlines()[0] == "vessel_type,n"
    overwrite = BY_TYPE + ";\n" + SMUGGLE
    smuggled = run(developer, scenario, overwrite).outputs.get(name="output-1.csv")
    assert smuggled.check_status != CheckStatus.PASS


def test_a_jobs_author_never_reviews_its_outputs_even_after_moving_to_the_operator(
    authorized, run, reviewers
):
    scenario, developer = authorized
    output = run(developer, scenario, BY_TYPE).outputs.get(name="by_type.csv")
    request = svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
    operator = staff_user("op").membership.organization
    Membership.objects.filter(user=developer).update(organization=operator)
    from tenants.services.organizations import role_grant

    developer = type(developer).objects.get(pk=developer.pk)  # an operator member now
    role_grant(by=None, user=developer, role=PlatformRole.REVIEWER)
    developer.refresh_from_db()
    with pytest.raises(PermissionRefused, match="author"):
        svc.release_review(by=developer, request=request, decision="approve")
    request.refresh_from_db()
    assert not request.reviews.exists()


@pytest.mark.django_db(transaction=True)
def test_approvals_over_one_table_in_two_scenarios_at_once_see_each_others_release(
    tmp_path, monkeypatch
):
    """Released together, the two outputs (of two scenarios, over one catalog) would give
    away one vessel's type: the approval that comes second must see the first one's
    release and return its request."""
    import threading
    import time

    import duckdb
    from django.db import connection

    from core.storage import data_path
    from scenarios.services import outputs as outputs_svc

    first_scenario, first_developer = authorized_scenario(tmp_path, username="lab")
    second_scenario, second_developer = authorized_scenario(
        tmp_path, username="lab2", organization="航运研究所"
    )
    path = data_path(second_scenario.workspaces.get().path) / "HY-0001.parquet"
    one = duckdb.sql("SELECT min(mmsi) FROM read_parquet($p)", params={"p": str(path)}).fetchall()
    but_one = BY_TYPE.replace("by_type", "but_one").replace(
        "FROM hy_0001", f"FROM hy_0001 WHERE mmsi <> '{one[0][0]}'"
    )
    requests = []
    for scenario, developer, code, name in (
        (first_scenario, first_developer, BY_TYPE, "by_type.csv"),
        (second_scenario, second_developer, but_one, "but_one.csv"),
    ):
        job = job_submit(by=developer, scenario=scenario, language="sql", code=code, dry_run=False)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.reason
        output = job.outputs.get(name=name)
        requests.append(
            svc.release_request_create(by=developer, scenario=scenario, items=[item(output)])
        )
    reviewers = [staff_user(f"reviewer{n}", PlatformRole.REVIEWER) for n in (1, 2, 3, 4)]
    for request, reviewer in zip(requests, reviewers[:2], strict=True):
        svc.release_review(by=reviewer, request=request, decision="approve")

    slow = outputs_svc.differencing_refresh

    def refresh_slowly(output, **kwargs):
        slow(output, **kwargs)
        time.sleep(0.5)  # the other approval runs meanwhile, unless it waits for the lock

    monkeypatch.setattr(svc, "differencing_refresh", refresh_slowly)
    errors = []

    def approve(request, reviewer):
        try:
            svc.release_review(by=reviewer, request=request, decision="approve")
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(request, reviewer))
        for request, reviewer in zip(requests, reviewers[2:], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    statuses = sorted(type(r).objects.get(pk=r.pk).status for r in requests)
    assert statuses == [ReleaseStatus.APPROVED, ReleaseStatus.RETURNED]


def test_outputs_decided_one_by_one_release_when_all_approve(authorized, run, reviewers):
    scenario, developer = authorized
    job = run(developer, scenario, BY_TYPE + ";\n" + BY_BERTH_AND_TYPE)
    by_type, crosstab = job.outputs.get(name="by_type.csv"), job.outputs.get(name="crosstab.csv")
    request = svc.release_request_create(
        by=developer, scenario=scenario, items=[item(by_type), item(crosstab, exception="已公开")]
    )
    first, second = reviewers
    with pytest.raises(InvalidInput) as undecided:
        svc.release_review(by=first, request=request, items={by_type.pk: {"decision": "approve"}})
    assert undecided.value.field == f"items[{crosstab.pk}].decision"
    api = APIClient()
    api.force_authenticate(first)
    decided = {str(output.pk): {"decision": "approve"} for output in (by_type, crosstab)}
    response = api.post(
        f"/api/v1/release-requests/{request.pk}/review/", {"items": decided}, format="json"
    )
    assert response.status_code == 200, response.data
    svc.release_review(by=second, request=request, items=decided)

    request.refresh_from_db()
    assert request.status == ReleaseStatus.APPROVED
    assert [review.decision for review in request.reviews.all()] == ["approve", "approve"]
    assert request.reviews.first().item_decisions[str(crosstab.pk)]["decision"] == "approve"
