"""A disclosure draft is the operator's until published: to the public and to every user
who is not operator staff it does not exist (page, exports, API); only operator staff
publish."""

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tenants.roles import PlatformRole
from tests.factories import admitted_developer, staff_user
from transparency.models import DisclosureReport, ReportStatus
from transparency.services.reports import report_draft

pytestmark = [pytest.mark.security, pytest.mark.django_db]

YEAR = datetime.date.today().year
URLS = [f"/disclosure/{YEAR}/", f"/disclosure/{YEAR}.csv", f"/disclosure/{YEAR}.pdf"]


def _outsiders():
    op = staff_user("op")
    _org, developer = admitted_developer("海洋实验室", "lab", by=op)
    return [
        None,
        developer,
        staff_user("reviewer1", PlatformRole.REVIEWER),
        staff_user("auditor", PlatformRole.AUDITOR),
    ]


def test_a_draft_is_invisible_to_everyone_but_operator_staff():
    outsiders = _outsiders()
    report_draft(by=staff_user("op"), year=YEAR)
    for user in outsiders:
        client, api = Client(), APIClient()
        if user is not None:
            client.force_login(user)
            api.force_authenticate(user)
        for url in URLS:
            assert client.get(url).status_code == 404, (user, url)
        assert str(YEAR) not in client.get("/disclosure/").content.decode()
        assert api.get("/api/v1/disclosure/").data == []
        assert api.get(f"/api/v1/disclosure/{YEAR}/").status_code == 404


def test_only_operator_staff_publish():
    outsiders = _outsiders()[1:]
    report_draft(by=staff_user("op"), year=YEAR)
    for user in outsiders:
        client = Client()
        client.force_login(user)
        assert client.post(f"/disclosure/{YEAR}/publish/").status_code == 404
        assert client.post("/disclosure/draft/", {"year": YEAR}).status_code == 403
    assert DisclosureReport.objects.get(year=YEAR).status == ReportStatus.DRAFT
    assert Client().post(f"/disclosure/{YEAR}/publish/").status_code == 302  # to log in
    assert DisclosureReport.objects.get(year=YEAR).status == ReportStatus.DRAFT
