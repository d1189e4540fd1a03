"""The public disclosure's pages: the list of years and each year's report, open to
everyone once published; drafting and publishing for operator staff. Thin views over the
selectors (a draft is a 404 to anyone else) and the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.csv import csv_attachment
from core.errors import Conflict, InvalidInput
from core.portal import act
from tenants.permissions import is_operator_staff
from transparency.exports import csv_header, csv_rows, report_pdf
from transparency.forms import DraftForm
from transparency.presenters import sections
from transparency.selectors import report_get, reports_visible_to
from transparency.services.reports import report_draft, report_publish


def disclosure_index(request):
    staff = is_operator_staff(request.user)
    return render(
        request,
        "transparency/index.html",
        {
            "reports": reports_visible_to(request.user),
            "draft_form": DraftForm(initial={"year": timezone.localdate().year}) if staff else None,
        },
    )


def disclosure_year(request, year: int):
    report = report_get(request.user, year)
    return render(
        request,
        "transparency/report.html",
        {
            "report": report,
            "sections": sections(report.content),
            "may_publish": not report.is_published and is_operator_staff(request.user),
        },
    )


def disclosure_csv(request, year: int):
    report = report_get(request.user, year)
    return csv_attachment(csv_header(), csv_rows(report), f"disclosure-{year}.csv")


def disclosure_pdf(request, year: int):
    report = report_get(request.user, year)
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="disclosure-{year}.pdf"'
    return response


@login_required
@require_POST
def disclosure_draft(request):
    form = DraftForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for e in form.errors.values() for m in e))
        return redirect("disclosure-index")
    year = form.cleaned_data["year"]
    try:
        report_draft(by=request.user, year=year)
    except (InvalidInput, Conflict) as error:
        messages.error(request, error.message)
        return redirect("disclosure-index")
    messages.success(
        request, _("The draft of %(year)s is computed from the data as it stands.") % {"year": year}
    )
    return redirect("disclosure-year", year=year)


@login_required
@require_POST
def disclosure_publish(request, year: int):
    report = report_get(request.user, year)
    act(
        request,
        lambda: report_publish(by=request.user, report=report),
        done=_("The disclosure of %(year)s is published.") % {"year": year},
    )
    return redirect("disclosure-year", year=year)
