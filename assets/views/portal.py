"""Portal pages of data asset registration: the public registry and certificate check,
applications (filing, correction, the two stages of review), evidence and certificates.
Thin: reads through assets.selectors (404 for what is not visible), changes through
assets.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from assets import selectors
from assets.certificate import certificate_pdf
from assets.forms import (
    ApplicationEditForm,
    ApplicationForm,
    AssetApplicationForm,
    DecisionForm,
    RegistryFilterForm,
    VerifyForm,
)
from assets.models import ApplicationStatus
from assets.services import registrations as svc
from core.errors import InvalidInput
from core.portal import form_error, paged
from tenants.permissions import (
    is_member,
    is_operator_staff,
    is_registration_authority,
    registration_review_refusal,
)
from tenants.views.files import qualification_file_response

PRELIMINARY_CHOICES = [
    ("pass", gettext_lazy("Pass to the registration authority")),
    ("return", gettext_lazy("Return for correction")),
    ("reject", gettext_lazy("Reject")),
]
FINAL_CHOICES = [
    ("approve", gettext_lazy("Approve and issue the certificate")),
    ("return", gettext_lazy("Return for correction")),
    ("reject", gettext_lazy("Reject")),
]


def registry(request):
    """The public registry: every registered asset with its holder, kind, dates and status,
    and the check of a certificate."""
    filters = RegistryFilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    page, query = paged(request, selectors.registry(**values))
    verify = VerifyForm(request.GET if "number" in request.GET else None)
    verified = checked = None
    if verify.is_valid():
        checked = True
        verified = selectors.certificate_verify(
            verify.cleaned_data["number"], verify.cleaned_data["code"]
        )
    return render(
        request,
        "assets/registry.html",
        {
            "page": page,
            "query": query,
            "filters": filters,
            "verify": verify,
            "checked": checked,
            "verified": verified,
        },
    )


def registry_detail(request, number: str):
    asset = selectors.registry_get(number)
    return render(
        request,
        "assets/registry_detail.html",
        {
            "asset": asset,
            "insider": selectors.sees_inside(request.user, asset),
            "holder": is_member(request.user, asset.holder_id),
        },
    )


@login_required
def application_list(request):
    user = request.user
    return render(
        request,
        "assets/application_list.html",
        {
            "applications": selectors.own_applications(user),
            "assets": selectors.assets_held_by(user),
            "queue": selectors.awaiting_review(user),
            "reviews": is_operator_staff(user) or is_registration_authority(user),
        },
    )


@login_required
def application_new(request):
    form = ApplicationForm(
        request.POST or None, request.FILES or None, subjects=selectors.subjects_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = svc.application_create(
                by=request.user,
                kind=data["kind"],
                name=data["name"],
                description=data["description"],
                catalog=data["catalog"],
                scenario=data["scenario"],
                service=data["service"],
                outputs=data["outputs"],
                files=data["files"],
            )
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(request, _("The draft is saved. Submit it when it is complete."))
            return redirect("asset-application-detail", application.pk)
    return render(request, "assets/application_form.html", {"form": form})


def _decision_form(user, application):
    """The decision form ``user`` may fill on ``application`` now, or None."""
    final = application.status == ApplicationStatus.PRELIMINARY_PASSED
    if application.status not in (
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.PRELIMINARY_PASSED,
    ):
        return None
    refusal = registration_review_refusal(
        user,
        final=final,
        organization=application.organization_id,
        applicant=application.created_by_id,
        preliminary_by=application.preliminary_by_id,
    )
    if refusal is not None:
        return None
    return DecisionForm(choices=FINAL_CHOICES if final else PRELIMINARY_CHOICES)


@login_required
def application_detail(request, pk: int):
    application = selectors.application_get(request.user, pk)
    mine = is_member(request.user, application.organization_id)
    return render(
        request,
        "assets/application_detail.html",
        {
            "application": application,
            "evidence": application.evidence.all(),
            "outputs": application.outputs.all(),
            "editable": mine and application.status in svc.EDITABLE,
            "decision": _decision_form(request.user, application),
        },
    )


@login_required
def application_edit(request, pk: int):
    application = selectors.application_get(request.user, pk)
    if not is_member(request.user, application.organization_id):
        raise Http404
    form = ApplicationEditForm(
        request.POST or None,
        request.FILES or None,
        initial={"name": application.name, "description": application.description},
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.application_update(by=request.user, application=application, **form.cleaned_data)
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(request, _("The application is saved."))
            return redirect("asset-application-detail", application.pk)
    return render(
        request, "assets/application_edit.html", {"form": form, "application": application}
    )


@login_required
@require_POST
def application_submit(request, pk: int):
    application = selectors.application_get(request.user, pk)
    try:
        svc.application_submit(by=request.user, application=application)
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Submitted for the operator's preliminary review."))
    return redirect("asset-application-detail", application.pk)


@login_required
@require_POST
def application_decide(request, pk: int):
    application = selectors.application_get(request.user, pk)
    final = application.status == ApplicationStatus.PRELIMINARY_PASSED
    form = DecisionForm(request.POST, choices=FINAL_CHOICES if final else PRELIMINARY_CHOICES)
    decide = svc.application_final if final else svc.application_preliminary
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
    else:
        try:
            decide(by=request.user, application=application, **form.cleaned_data)
        except InvalidInput as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your decision is recorded."))
    return redirect("asset-application-detail", application.pk)


@login_required
def evidence_file(request, pk: int, file_pk: int):
    return qualification_file_response(selectors.evidence_get(request.user, pk, file_pk))


@login_required
def certificate(request, pk: int):
    asset = selectors.certificate_get(request.user, pk)
    response = HttpResponse(certificate_pdf(asset), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{asset.certificate_number}-{asset.edition}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def asset_apply(request, pk: int):
    """The holder applies for a change, transfer or cancellation of its asset."""
    asset = selectors.certificate_get(request.user, pk)
    if not is_member(request.user, asset.holder_id):
        raise Http404
    form = AssetApplicationForm(
        request.POST or None,
        request.FILES or None,
        transferees=selectors.transferees_for(asset),
        transferable=asset.kind in svc.TRANSFERABLE,
        initial={"name": asset.name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = svc.application_for_asset(
                by=request.user, asset=asset, **form.cleaned_data
            )
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(request, _("The draft is saved. Submit it when it is complete."))
            return redirect("asset-application-detail", application.pk)
    return render(
        request,
        "assets/asset_apply.html",
        {"form": form, "asset": asset, "transferable": asset.kind in svc.TRANSFERABLE},
    )
