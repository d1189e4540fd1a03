"""The demand list: the public summary never names who asked; another organization sees
no more than the summary; only operator staff triage; only the assigned provider answers."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from demands.models import DemandStatus
from demands.services import demands as svc
from tenants.roles import PlatformRole
from tests.demands.factories import LEGAL_BASIS, PURPOSE, filed_demand, provider_member
from tests.factories import admitted_developer, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.security]

REQUESTER = "海洋实验室"
FILER = "requester_zhang"


@pytest.fixture
def assigned():
    staff = staff_user("operator")
    _org, lab = admitted_developer(REQUESTER, FILER, by=staff)
    provider, bureau = provider_member()
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    return demand, staff, lab, bureau


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _leaks(text: str) -> list[str]:
    return [secret for secret in (REQUESTER, FILER, PURPOSE, LEGAL_BASIS) if secret in text]


def test_the_public_summary_names_no_requester(client, assigned):
    demand, _staff, _lab, _bureau = assigned
    _other, outsider = admitted_developer("保险公司", "insurer", by=assigned[1])
    answers = [client.get("/demands/"), _api().get("/api/v1/demands/")]
    assert client.get(f"/demands/{demand.pk}/").status_code == 302  # to log in
    client.force_login(outsider)
    answers += [client.get("/demands/"), client.get(f"/demands/{demand.pk}/")]
    answers.append(_api(outsider).get("/api/v1/demands/"))
    for response in answers:
        assert response.status_code == 200
        assert _leaks(response.content.decode()) == [], response.request["PATH_INFO"]
    assert "近海浮标叶绿素观测" in answers[0].content.decode()
    assert "近海浮标叶绿素观测" in answers[3].content.decode()  # the demand's own page


def test_another_organization_cannot_read_or_act_on_the_details(client, assigned):
    demand, staff, _lab, _bureau = assigned
    _other, outsider = admitted_developer("保险公司", "insurer", by=staff)
    api = _api(outsider)
    assert api.get(f"/api/v1/demands/{demand.pk}/").status_code == 404
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    answer = {"will_publish": True, "due_date": due}
    assert (
        api.post(f"/api/v1/demands/{demand.pk}/answer/", answer, format="json").status_code == 404
    )
    client.force_login(outsider)
    page = client.get(f"/demands/{demand.pk}/").content.decode()
    assert 'id="demand-timeline"' not in page and PURPOSE not in page
    assert client.post(f"/demands/{demand.pk}/answer/", {"answer": "will"}).status_code == 404
    missing = api.get("/api/v1/demands/999999/")
    assert missing.status_code == 404


def test_only_operator_staff_triage(assigned):
    demand, _staff, lab, bureau = assigned
    auditor = staff_user("auditor", PlatformRole.AUDITOR)
    reviewer = staff_user("reviewer", PlatformRole.REVIEWER)
    calls = [
        ("assign", {"provider": bureau.membership.organization_id}),
        ("match", {"catalog": "HY-0001"}),
        ("block", {"reason": "x"}),
        ("merge", {"into": filed_demand(lab).pk}),
    ]
    for someone in (lab, bureau, auditor, reviewer):
        for action, body in calls:
            response = _api(someone).post(
                f"/api/v1/demands/{demand.pk}/{action}/", body, format="json"
            )
            assert response.status_code == 403, (someone.username, action)
    demand.refresh_from_db()
    assert demand.status == DemandStatus.ASSIGNED


def test_only_the_assigned_provider_answers(assigned):
    demand, staff, lab, bureau = assigned
    _weather_org, weather = provider_member("weather", "市气象局")
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    body = {"will_publish": True, "due_date": due}
    assert (
        _api(weather).post(f"/api/v1/demands/{demand.pk}/answer/", body, format="json").status_code
        == 404
    )
    for someone in (lab, staff):
        response = _api(someone).post(f"/api/v1/demands/{demand.pk}/answer/", body, format="json")
        assert response.status_code == 403
    answered = _api(bureau).post(f"/api/v1/demands/{demand.pk}/answer/", body, format="json")
    assert answered.status_code == 200
    assert answered.json()["organization"] is None  # the provider never learns who asked
