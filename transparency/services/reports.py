"""Drafting and publishing a year's disclosure: operator staff only, each step audited. A
draft is recomputed from the live data each time it is drafted again; publishing stores
the numbers the staff reviewed, for good."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput
from core.services.audit import audit_record
from tenants.permissions import check_operator_staff
from transparency.models import DisclosureReport, ReportStatus
from transparency.report import report_content

FIRST_YEAR = 2000


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Give the year as a number."), field="year") from None
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= year <= this_year:
        raise InvalidInput(
            _("The year must be between %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": this_year},
            field="year",
        )
    return year


def report_draft(*, by, year) -> DisclosureReport:
    """Operator staff draft the year's report from the data as it stands, or recompute the
    draft; a published year is refused."""
    check_operator_staff(by, _("Only operator staff draft the public disclosure."))
    year = _year(year)
    with transaction.atomic():
        report = DisclosureReport.objects.select_for_update().filter(year=year).first()
        if report is not None and report.is_published:
            raise Conflict(
                _("The disclosure of %(year)s is published: it is final.") % {"year": year}
            )
        content, now = report_content(year), timezone.now()
        if report is None:
            try:
                with transaction.atomic():
                    report = DisclosureReport.objects.create(
                        year=year, content=content, computed_at=now, drafted_by=by
                    )
            except IntegrityError:  # drafted at the same moment by someone else
                raise Conflict(
                    _("The disclosure of %(year)s is being drafted.") % {"year": year}
                ) from None
        else:
            report.content, report.computed_at, report.drafted_by = content, now, by
            report.save(update_fields=["content", "computed_at", "drafted_by"])
        audit_record(
            by=by,
            action="disclosure.draft",
            target=report,
            details={"year": year, "computed_at": now},
        )
    return report


def report_publish(*, by, report: DisclosureReport) -> DisclosureReport:
    """Operator staff publish the draft as reviewed: its content is frozen."""
    check_operator_staff(by, _("Only operator staff publish the public disclosure."))
    with transaction.atomic():
        report = DisclosureReport.objects.select_for_update().get(pk=report.pk)
        if report.is_published:
            raise Conflict(
                _("The disclosure of %(year)s is published already.") % {"year": report.year}
            )
        report.status = ReportStatus.PUBLISHED
        report.published_by = by
        report.published_at = timezone.now()
        report.save(update_fields=["status", "published_by", "published_at"])
        audit_record(
            by=by,
            action="disclosure.publish",
            target=report,
            details={"year": report.year, "computed_at": report.computed_at},
        )
    return report
