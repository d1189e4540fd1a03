"""One rule for every review (a type, an amendment, a data service, a release): the
reviewer belongs to neither the organization that files, nor the one that proposed the
type, nor the one whose job made the output, is none of the people who filed it or wrote
its jobs, and belongs to the operator or a government body. A reviewer sees another
organization's jobs (and their code) only through what they may review or have reviewed."""

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.errors import PermissionRefused
from scenarios.agreement import AGREEMENT_SHA256
from scenarios.dataservices.definitions import service_propose, service_review
from scenarios.models import (
    AmendmentReview,
    DefinitionStatus,
    JobStatus,
    ReleaseStatus,
    ScenarioStatus,
    ScenarioTypeStatus,
    TypeScopeItem,
)
from scenarios.services import releases as release_svc
from scenarios.services.compute import voucher_grant
from scenarios.services.jobs import job_submit
from scenarios.services.scenarios import scenario_amendment_review, scenario_apply
from scenarios.services.types import (
    scenario_type_propose,
    scenario_type_review,
    scenario_type_submit,
)
from tenants.models import MemberRole, Membership
from tenants.roles import PlatformRole, role_group
from tenants.services.organizations import member_create, role_grant
from tests.factories import (
    BERTH_SERVICE,
    PASSWORD,
    admitted_developer,
    approved_type,
    provider_org,
    published_vessel_catalog,
    staff_user,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
SCOPE = {"HY-0001": ["mmsi", "vessel_type", "berth", "arrival_time"]}
WIDER = {"HY-0001": ["mmsi", "vessel_type", "berth", "arrival_time", "tonnage"]}
BY_TYPE = "-- output: by_type\nSELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type"
REFUSED = "own organization"


def legacy_reviewer(username: str, organization):
    """A member of ``organization`` holding the reviewer role as granted before the rule
    (grant_role refuses developers now; roles granted earlier stay in the groups)."""
    user = member_create(
        by=None,
        organization=organization,
        role=MemberRole.MEMBER,
        user_fields={"username": username, "email": f"{username}@x.cn", "password": PASSWORD},
    )
    user.groups.add(role_group(PlatformRole.REVIEWER))
    return type(user).objects.get(pk=user.pk)


def government_reviewers():
    """Two reviewers from a government body (a data provider)."""
    bureau = provider_org()
    found = []
    for name in ("gov1", "gov2"):
        user = member_create(
            by=None,
            organization=bureau,
            role=MemberRole.MEMBER,
            user_fields={"username": name, "email": f"{name}@gov.cn", "password": PASSWORD},
        )
        role_grant(by=None, user=user, role=PlatformRole.REVIEWER)
        found.append(type(user).objects.get(pk=user.pk))
    return found


def apply(by, scenario_type, scope):
    return scenario_apply(
        by=by,
        scenario_type=scenario_type,
        name="港口船舶风险",
        purpose="保险定价",
        responsible_person="李四",
        period_start=TODAY,
        period_end=TODAY + datetime.timedelta(days=30),
        scope=scope,
        agreement_sha256=AGREEMENT_SHA256,
    )


@pytest.fixture
def operator_type(tmp_path):
    """A type proposed by operator staff, approved by two government reviewers."""
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    scenario_type = scenario_type_propose(
        by=operator,
        scope=SCOPE,
        name="港口拥堵",
        purpose="港口拥堵研究",
        output_kinds=["aggregate", "service"],
        valid_from=TODAY - datetime.timedelta(days=1),
        valid_until=TODAY + datetime.timedelta(days=365),
    )
    scenario_type_submit(by=operator, scenario_type=scenario_type)
    for reviewer in government_reviewers():
        scenario_type = scenario_type_review(
            by=reviewer, scenario_type=scenario_type, decision="approve"
        )
    assert scenario_type.status == ScenarioTypeStatus.APPROVED
    return scenario_type


# --- Amendments --------------------------------------------------------------------------


def test_a_reviewer_of_the_proposing_organization_cannot_widen_its_type_for_another(tmp_path):
    """The issue's scenario: a reviewer who is a member of the type's proposing
    organization approves another organization's amendment widening the type's scope,
    after which the proposer's own scenarios beyond the old scope are authorized on
    filing. Refused, and the scope stays as it was."""
    scenario_type, proposer = approved_type(tmp_path)
    insider = legacy_reviewer("insider", proposer.membership.organization)
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    amendment = apply(insurer, scenario_type, WIDER)
    assert amendment.status == ScenarioStatus.PENDING_REVIEW
    with pytest.raises(PermissionRefused):
        scenario_amendment_review(by=insider, scenario=amendment, decision="approve")
    assert not AmendmentReview.objects.exists()
    columns = TypeScopeItem.objects.get(scenario_type=scenario_type).columns
    assert "tonnage" not in columns
    # The proposer's own scenario beyond the scope still goes to review.
    assert apply(proposer, scenario_type, WIDER).status == ScenarioStatus.PENDING_REVIEW


def test_an_operator_reviewer_does_not_review_amendments_of_an_operator_type(operator_type):
    """The same rule with reviewers the operator legitimately holds: the operator
    proposed the type, so its reviewers do not decide a developer's amendment of it; a
    government body's reviewers do."""
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    amendment = apply(insurer, operator_type, WIDER)
    reviewer = staff_user("reviewer1", PlatformRole.REVIEWER)
    with pytest.raises(PermissionRefused, match=REFUSED):
        scenario_amendment_review(by=reviewer, scenario=amendment, decision="approve")
    for gov in type(reviewer).objects.filter(username__in=["gov1", "gov2"]):
        scenario_amendment_review(by=gov, scenario=amendment, decision="approve")
    amendment.refresh_from_db()
    assert amendment.status == ScenarioStatus.AUTHORIZED


# --- Types -------------------------------------------------------------------------------


def test_a_developer_member_holding_the_reviewer_role_reviews_nothing(tmp_path):
    """A reviewer of another developer organization (a competitor, say) may not decide a
    type either: reviewers belong to the operator or a government body."""
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    _lab_org, lab = admitted_developer("海洋实验室", "lab", by=operator)
    rival_org, _rival = admitted_developer("对手公司", "rival", by=operator)
    outsider = legacy_reviewer("outsider", rival_org)
    scenario_type = scenario_type_propose(
        by=lab,
        scope=SCOPE,
        name="港口拥堵",
        purpose="研究",
        output_kinds=["aggregate"],
        valid_from=TODAY,
        valid_until=TODAY + datetime.timedelta(days=90),
    )
    scenario_type_submit(by=lab, scenario_type=scenario_type)
    with pytest.raises(PermissionRefused, match="developer organization"):
        scenario_type_review(by=outsider, scenario_type=scenario_type, decision="approve")
    assert not scenario_type.reviews.exists()


def test_a_types_proposer_never_reviews_it_even_after_moving_to_the_operator(tmp_path):
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    _org, lab = admitted_developer("海洋实验室", "lab", by=operator)
    scenario_type = scenario_type_propose(
        by=lab,
        scope=SCOPE,
        name="港口拥堵",
        purpose="研究",
        output_kinds=["aggregate"],
        valid_from=TODAY,
        valid_until=TODAY + datetime.timedelta(days=90),
    )
    scenario_type_submit(by=lab, scenario_type=scenario_type)
    Membership.objects.filter(user=lab).update(organization=operator.membership.organization)
    lab = type(lab).objects.get(pk=lab.pk)
    role_grant(by=None, user=lab, role=PlatformRole.REVIEWER)
    with pytest.raises(PermissionRefused):
        scenario_type_review(by=lab, scenario_type=scenario_type, decision="approve")
    assert not scenario_type.reviews.exists()


# --- Data services -----------------------------------------------------------------------


def test_the_organization_that_files_a_service_does_not_review_it(tmp_path):
    """Operator staff file a service for a developer's type: the operator's reviewers do
    not decide it (today only the type's proposer was checked); a government body's do."""
    scenario_type, _proposer = approved_type(tmp_path, output_kinds=["aggregate", "service"])
    definition = service_propose(by=staff_user("op"), scenario_type=scenario_type, **BERTH_SERVICE)
    assert definition.status == DefinitionStatus.SUBMITTED
    reviewer = staff_user("reviewer1", PlatformRole.REVIEWER)
    with pytest.raises(PermissionRefused, match=REFUSED):
        service_review(by=reviewer, definition=definition, decision="approve")
    assert not definition.reviews.exists()
    for gov in government_reviewers():
        definition = service_review(by=gov, definition=definition, decision="approve")
    assert definition.status == DefinitionStatus.APPROVED


# --- Releases ----------------------------------------------------------------------------


@pytest.fixture
def insurer_scenario(operator_type, django_capture_on_commit_callbacks):
    """An insurer's scenario authorized on filing under the operator's type, with compute."""
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(insurer, operator_type, SCOPE)
    assert scenario.status == ScenarioStatus.AUTHORIZED
    voucher_grant(
        by=staff_user("op"),
        organization=scenario.organization,
        cpu_hours="10",
        valid_until=TODAY + datetime.timedelta(days=90),
        reason="算力券",
    )
    return scenario, insurer


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run(by, scenario, code):
        with django_capture_on_commit_callbacks(execute=True):
            job = job_submit(by=by, scenario=scenario, language="sql", code=code, dry_run=False)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.reason
        return job

    return run


def request_release(by, scenario, job):
    output = job.outputs.get(name="by_type.csv")
    item = {"output": output.pk, "context": "各类船舶数量", "controls": "每格至少10艘"}
    return release_svc.release_request_create(by=by, scenario=scenario, items=[item])


def test_a_reviewer_of_the_types_proposer_does_not_release_another_organizations_outputs(
    insurer_scenario, run
):
    scenario, insurer = insurer_scenario
    request = request_release(insurer, scenario, run(insurer, scenario, BY_TYPE))
    reviewer = staff_user("reviewer1", PlatformRole.REVIEWER)
    with pytest.raises(PermissionRefused, match=REFUSED):
        release_svc.release_review(by=reviewer, request=request, decision="approve")
    assert not request.reviews.exists()
    gov1, gov2 = type(reviewer).objects.filter(username__in=["gov1", "gov2"]).order_by("username")
    release_svc.release_review(by=gov1, request=request, decision="approve")
    request = release_svc.release_review(by=gov2, request=request, decision="approve")
    assert request.status == ReleaseStatus.APPROVED


# --- What reviewers see ------------------------------------------------------------------


def test_a_reviewer_sees_no_code_of_jobs_outside_what_they_review(authorized_with_jobs):
    """Through the API and the portal, a reviewer finds another organization's jobs
    only through a release request they may review: an unrelated job answers 404 as a
    missing one, and the scenario's page does not list it."""
    scenario, related, unrelated = authorized_with_jobs
    reviewer = staff_user("reviewer1", PlatformRole.REVIEWER)
    api = APIClient()
    api.force_authenticate(reviewer)
    portal = Client()
    portal.force_login(reviewer)

    answer = api.get(f"/api/v1/jobs/{related.pk}/")
    assert answer.status_code == 200 and answer.json()["code"] == related.code
    assert portal.get(f"/scenarios/jobs/{related.pk}/").status_code == 200

    assert api.get(f"/api/v1/jobs/{unrelated.pk}/").status_code == 404
    listed = api.get(f"/api/v1/scenarios/{scenario.pk}/jobs/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [related.pk]
    assert all(unrelated.code not in str(row) for row in rows)
    output = unrelated.outputs.first()
    assert api.get(f"/api/v1/outputs/{output.pk}/").status_code == 404
    assert portal.get(f"/scenarios/jobs/{unrelated.pk}/").status_code == 404
    assert portal.get(f"/scenarios/outputs/{output.pk}/").status_code == 404
    page = portal.get(f"/scenarios/{scenario.pk}/").content.decode()
    assert f"/scenarios/jobs/{unrelated.pk}/" not in page
    assert "UNRELATED_MARKER" not in page


def test_a_conflicted_reviewer_sees_neither_the_request_nor_its_jobs(insurer_scenario, run):
    """The operator proposed the type: its reviewer may not review the insurer's release
    request, so sees neither the request (API, portal, queue) nor its job's code."""
    scenario, insurer = insurer_scenario
    job = run(insurer, scenario, BY_TYPE)
    request = request_release(insurer, scenario, job)
    reviewer = staff_user("reviewer1", PlatformRole.REVIEWER)
    api = APIClient()
    api.force_authenticate(reviewer)
    portal = Client()
    portal.force_login(reviewer)
    assert api.get(f"/api/v1/release-requests/{request.pk}/").status_code == 404
    assert api.get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert portal.get(f"/scenarios/releases/{request.pk}/").status_code == 404
    assert portal.get(f"/scenarios/jobs/{job.pk}/").status_code == 404
    queue = portal.get("/reviews/releases/").content.decode()
    assert f"/scenarios/releases/{request.pk}/" not in queue
    # A government reviewer, free of the conflict, sees both.
    gov = type(reviewer).objects.get(username="gov1")
    api.force_authenticate(gov)
    assert api.get(f"/api/v1/release-requests/{request.pk}/").status_code == 200
    assert api.get(f"/api/v1/jobs/{job.pk}/").json()["code"] == job.code


@pytest.fixture
def authorized_with_jobs(tmp_path, run, django_capture_on_commit_callbacks):
    """(scenario, a job in a submitted release request, a job in none)."""
    from tests.factories import authorized_scenario

    with django_capture_on_commit_callbacks(execute=True):
        scenario, developer = authorized_scenario(tmp_path)
    related = run(developer, scenario, BY_TYPE)
    unrelated = run(developer, scenario, "-- UNRELATED_MARKER\n" + BY_TYPE)
    request_release(developer, scenario, related)
    return scenario, related, unrelated
