"""Reads of the disclosure: published years for everyone; drafts for operator staff only
(to anyone else a draft does not exist)."""

from django.db.models import QuerySet

from core.errors import NotFound
from tenants.permissions import is_operator_staff
from transparency.models import DisclosureReport, ReportStatus


def reports_visible_to(user) -> QuerySet:
    reports = DisclosureReport.objects.order_by("-year")
    if is_operator_staff(user):
        return reports
    return reports.filter(status=ReportStatus.PUBLISHED)


def report_get(user, year: int) -> DisclosureReport:
    report = reports_visible_to(user).filter(year=year).first()
    if report is None:
        raise NotFound()
    return report
