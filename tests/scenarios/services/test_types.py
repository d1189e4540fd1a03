import datetime

import pytest

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from scenarios.models import ScenarioTypeStatus
from scenarios.services import types as svc
from tenants.roles import PlatformRole
from tests.factories import (
    admitted_developer,
    approved_type,
    published_vessel_catalog,
    staff_user,
    submitted_developer,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@pytest.fixture
def proposal(tmp_path):
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    _org, proposer = admitted_developer("海洋实验室", "lab", by=operator)
    return proposer


def propose(by, **overrides):
    fields = {
        "name": "港口拥堵",
        "purpose": "研究",
        "output_kinds": ["aggregate"],
        "valid_from": TODAY,
        "valid_until": TODAY + datetime.timedelta(days=90),
        "scope": {"HY-0001": ["mmsi", "berth"]},
    }
    fields.update(overrides)
    return svc.scenario_type_propose(by=by, **fields)


def test_two_distinct_reviewers_approve_a_type(tmp_path):
    scenario_type, _proposer = approved_type(tmp_path)
    assert scenario_type.status == ScenarioTypeStatus.APPROVED
    assert scenario_type.scope_version == 1
    assert AuditEvent.objects.filter(action="scenario_type.review.approve").count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scope": {"HY-0001": ["owner_phone"]}}, "L4 or dropped"),
        ({"scope": {"HY-0001": ["nope"]}}, "no field nope"),
        ({"scope": {"HY-9999": ["mmsi"]}}, "not a published catalog"),
        ({"min_cell_count": 5}, "never looser"),
        ({"dominance_k": 0.95}, "never looser"),
        ({"p_percent": 0.05}, "never looser"),
        ({"output_kinds": []}, "output kinds"),
    ],
)
def test_proposal_refusals(proposal, overrides, message):
    with pytest.raises(InvalidInput, match=message):
        propose(proposal, **overrides)


def test_a_stricter_type_is_accepted(proposal):
    scenario_type = propose(proposal, min_cell_count=20, dominance_k=0.8, p_percent=0.2)
    assert scenario_type.min_cell_count == 20


def test_a_non_admitted_organization_cannot_propose(proposal):
    _org, applicant = submitted_developer("申请中公司", "applying")
    with pytest.raises(PermissionRefused):
        propose(applicant)


def test_reviewer_rules(proposal):
    scenario_type = propose(proposal)
    svc.scenario_type_submit(by=proposal, scenario_type=scenario_type)
    with pytest.raises(PermissionRefused):
        svc.scenario_type_review(by=proposal, scenario_type=scenario_type, decision="approve")
    # A reviewer from the proposing organization may not review it.
    from tenants.roles import role_group
    from tenants.services.organizations import member_create, role_grant

    colleague = member_create(
        by=None,
        organization=proposal.membership.organization,
        role="member",
        user_fields={"username": "colleague", "email": "c@x.cn", "password": "long-pass-9876"},
    )
    with pytest.raises(PermissionRefused, match="developer organization"):
        role_grant(by=None, user=colleague, role=PlatformRole.REVIEWER)
    colleague.groups.add(role_group(PlatformRole.REVIEWER))  # as granted before that rule
    colleague = type(colleague).objects.get(pk=colleague.pk)
    with pytest.raises(PermissionRefused, match="developer organization"):
        svc.scenario_type_review(by=colleague, scenario_type=scenario_type, decision="approve")
    reviewer = staff_user("rev", PlatformRole.REVIEWER)
    svc.scenario_type_review(by=reviewer, scenario_type=scenario_type, decision="approve")
    with pytest.raises(Conflict, match="already decided"):
        svc.scenario_type_review(by=reviewer, scenario_type=scenario_type, decision="approve")
    scenario_type.refresh_from_db()
    assert scenario_type.status == ScenarioTypeStatus.SUBMITTED  # one approval is not enough


def test_return_needs_a_reason_and_resubmission_starts_a_new_round(proposal):
    scenario_type = propose(proposal)
    svc.scenario_type_submit(by=proposal, scenario_type=scenario_type)
    reviewer = staff_user("rev", PlatformRole.REVIEWER)
    with pytest.raises(InvalidInput, match="reason"):
        svc.scenario_type_review(by=reviewer, scenario_type=scenario_type, decision="return")
    svc.scenario_type_review(
        by=reviewer, scenario_type=scenario_type, decision="return", comment="范围过宽"
    )
    scenario_type.refresh_from_db()
    assert scenario_type.status == ScenarioTypeStatus.RETURNED
    scenario_type = svc.scenario_type_submit(by=proposal, scenario_type=scenario_type)
    assert scenario_type.review_round == 2
    # The same reviewer decides again in the new round; decisions stay per round.
    svc.scenario_type_review(by=reviewer, scenario_type=scenario_type, decision="approve")
    assert scenario_type.reviews.filter(reviewer=reviewer).count() == 2


def test_rejection_is_final(proposal):
    scenario_type = propose(proposal)
    svc.scenario_type_submit(by=proposal, scenario_type=scenario_type)
    reviewer = staff_user("rev", PlatformRole.REVIEWER)
    svc.scenario_type_review(
        by=reviewer, scenario_type=scenario_type, decision="reject", comment="不符合公共利益"
    )
    with pytest.raises(Conflict):
        svc.scenario_type_submit(by=proposal, scenario_type=scenario_type)
