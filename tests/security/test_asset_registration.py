"""Registration across organizations: nobody sees another organization's drafts or
evidence, nobody of the applying organization reviews it, and no one person decides both
stages."""

import pytest
from rest_framework.test import APIClient

from assets.services import registrations as svc
from core.errors import PermissionRefused
from tenants.models import MemberRole
from tenants.services.organizations import member_create
from tests.assets.conftest import processing_draft, registration_people
from tests.factories import PASSWORD, admitted_developer, authorized_scenario, operator_org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people():
    return registration_people()


@pytest.fixture
def scenario(tmp_path):
    return authorized_scenario(tmp_path)


@pytest.fixture
def draft(scenario):
    scenario, developer = scenario
    return processing_draft(scenario, developer)


def test_another_organization_never_sees_a_draft_or_its_evidence(draft, people):
    _org, other = admitted_developer("另一家公司", "rival", by=people["staff"])
    evidence = draft.evidence.get()
    api = APIClient()
    for user in (other, people["staff"], people["registrar"]):  # a draft is the applicant's
        api.force_authenticate(user)
        assert api.get(f"/api/v1/data-assets/applications/{draft.pk}/").status_code == 404
        assert (
            api.get(
                f"/api/v1/data-assets/applications/{draft.pk}/evidence/{evidence.pk}"
            ).status_code
            == 404
        )
        assert api.get("/api/v1/data-assets/applications/").json() == []
    svc.application_submit(by=draft.created_by, application=draft)
    api.force_authenticate(other)
    assert api.get(f"/api/v1/data-assets/applications/{draft.pk}/").status_code == 404
    assert api.post(f"/api/v1/data-assets/applications/{draft.pk}/submit/").status_code == 404
    api.force_authenticate(people["staff"])
    assert api.get(f"/api/v1/data-assets/applications/{draft.pk}/").status_code == 200


def test_another_organization_cannot_name_someone_elses_scenario(scenario, people):
    scenario, _developer = scenario
    _org, other = admitted_developer("另一家公司", "rival", by=people["staff"])
    api = APIClient()
    api.force_authenticate(other)
    response = api.post(
        "/api/v1/data-assets/applications/",
        {"kind": "processing", "name": "x", "description": "y", "scenario": scenario.pk},
    )
    assert response.status_code == 400 and response.json()["field"] == "scenario"


def test_a_colleague_of_the_applicant_never_reviews(draft, people):
    svc.application_submit(by=draft.created_by, application=draft)
    colleague = member_create(
        by=None,
        organization=draft.organization,
        role=MemberRole.MEMBER,
        user_fields={"username": "colleague", "email": "c@dev.cn", "password": PASSWORD},
    )
    with pytest.raises(PermissionRefused):
        svc.application_preliminary(by=colleague, application=draft, decision="pass")
    # Operator staff may not review what the operator itself applies for either.
    assert draft.organization != operator_org()


def test_one_person_never_decides_both_stages_through_the_api(draft, people):
    from tenants.roles import PlatformRole
    from tenants.services.organizations import role_grant

    both = people["staff2"]
    role_grant(by=None, user=both, role=PlatformRole.REGISTRATION_AUTHORITY)
    svc.application_submit(by=draft.created_by, application=draft)
    api = APIClient()
    api.force_authenticate(both)
    url = f"/api/v1/data-assets/applications/{draft.pk}/"
    assert api.post(url + "preliminary/", {"decision": "pass"}).status_code == 200
    assert api.post(url + "final/", {"decision": "approve"}).status_code == 403
    api.force_authenticate(people["registrar"])
    assert api.post(url + "final/", {"decision": "approve"}).status_code == 200


def test_a_developer_cannot_hold_the_registration_authority_role(scenario):
    from tenants.roles import PlatformRole
    from tenants.services.organizations import role_grant

    _scenario, developer = scenario
    with pytest.raises(PermissionRefused):
        role_grant(by=None, user=developer, role=PlatformRole.REGISTRATION_AUTHORITY)
