import datetime

import pytest

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from scenarios.services.pricing import price_set
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, staff_user
from transparency.models import ReportStatus
from transparency.report import report_content
from transparency.services.reports import report_draft, report_publish

pytestmark = pytest.mark.django_db

THIS_YEAR = datetime.date.today().year


def test_a_published_year_is_frozen_whatever_changes_later(seeded):
    op, year = seeded["op"], seeded["year"]
    report = report_publish(by=op, report=report_draft(by=op, year=year))
    frozen = report.content
    assert frozen["services"][0]["fee_basis"] == "guided" and frozen["developers"]["count"] == 1

    # Later: the service becomes free, another developer is admitted.
    price_set(by=op, target=seeded["service"], fee_basis="free")
    admitted_developer("港航物流研究院", "port", by=op)
    assert report_content(year)["developers"]["count"] == 2  # the live data moved on

    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED and report.content == frozen
    with pytest.raises(Conflict):
        report_draft(by=op, year=year)
    with pytest.raises(Conflict):
        report_publish(by=op, report=report)
    report.refresh_from_db()
    assert report.content == frozen
    actions = list(
        AuditEvent.objects.filter(target_id=str(report.pk), action__startswith="disclosure.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["disclosure.draft", "disclosure.publish"]


def test_drafting_again_recomputes_the_draft_from_the_live_data():
    op = staff_user("op")
    admitted_developer("海洋实验室", "lab", by=op)
    report = report_draft(by=op, year=THIS_YEAR)
    assert report.status == ReportStatus.DRAFT and report.content["developers"]["count"] == 1
    admitted_developer("港航物流研究院", "port", by=op)
    again = report_draft(by=op, year=THIS_YEAR)
    assert again.pk == report.pk and again.content["developers"]["count"] == 2


def test_only_operator_staff_draft_and_publish():
    op = staff_user("op")
    _org, developer = admitted_developer("海洋实验室", "lab", by=op)
    others = [
        developer,
        staff_user("reviewer1", PlatformRole.REVIEWER),
        staff_user("auditor", PlatformRole.AUDITOR),
    ]
    for user in others:
        with pytest.raises(PermissionRefused):
            report_draft(by=user, year=THIS_YEAR)
    report = report_draft(by=op, year=THIS_YEAR)
    for user in others:
        with pytest.raises(PermissionRefused):
            report_publish(by=user, report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


@pytest.mark.parametrize("year", [1999, THIS_YEAR + 1, "abc", None])
def test_a_year_outside_the_operation_is_refused(year):
    with pytest.raises(InvalidInput) as refused:
        report_draft(by=staff_user("op"), year=year)
    assert refused.value.field == "year"
