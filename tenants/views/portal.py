from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.portal import form_error
from core.selectors import audit_events_for_target
from tenants.commitment import COMMITMENT_TEXT
from tenants.forms import (
    AdmissionApplyForm,
    DecisionForm,
    MemberForm,
    SignUpForm,
)
from tenants.models import AdmissionStatus, MemberRole
from tenants.permissions import (
    check_org_admin,
    is_member,
    is_operator_staff,
    is_org_admin,
    may_manage_members,
    may_reactivate,
    may_see_members,
    membership_of,
)
from tenants.selectors import (
    admission_get,
    admissions_visible_to,
    members_of,
    members_organization_get,
    membership_get,
    qualification_file_get,
)
from tenants.services.admission import ACTION_LABELS, DECISIONS, admission_submit, allowed_actions
from tenants.services.organizations import (
    developer_sign_up,
    member_create,
    member_deactivate,
    member_reactivate,
    member_role_set,
)
from tenants.views.files import qualification_file_response


def signup(request):
    if request.user.is_authenticated:
        return redirect("my-organization")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _organization, user = developer_sign_up(
                organization_fields=form.organization_fields(),
                admin_fields=form.admin_fields(),
            )
        except InvalidInput as error:
            form_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Your organization is registered. Now apply for admission.")
            )
            return redirect("my-organization")
    return render(request, "tenants/signup.html", {"form": form})


def _own_application(request):
    membership = membership_of(request.user)
    if membership is None or not hasattr(membership.organization, "admission"):
        raise Http404(_("Your account does not belong to a developer organization."))
    return admission_get(request.user, membership.organization.admission.pk)


@login_required
def my_organization(request):
    membership = membership_of(request.user)
    if membership is None:
        raise Http404(_("Your account does not belong to an organization."))
    organization = membership.organization
    application = getattr(organization, "admission", None)
    return render(
        request,
        "tenants/my_organization.html",
        {
            "organization": organization,
            "membership": membership,
            "application": application,
            "can_apply": application is not None
            and application.status in (AdmissionStatus.DRAFT, AdmissionStatus.RETURNED)
            and is_org_admin(request.user, organization),
            "history": audit_events_for_target(application) if application else [],
        },
    )


@login_required
def admission_apply(request):
    application = _own_application(request)
    check_org_admin(
        request.user,
        application.organization_id,
        _("Only the organization's administrators can apply."),
    )
    initial = {
        "business_scope": application.business_scope,
        "security_measures": application.security_measures,
    }
    form = AdmissionApplyForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            admission_submit(
                by=request.user,
                application=application,
                business_scope=form.cleaned_data["business_scope"],
                security_measures=form.cleaned_data["security_measures"],
                files=form.cleaned_data["files"],
                commitment_sha256=form.cleaned_data["commitment_sha256"],
            )
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(request, _("Your application is submitted for review."))
            return redirect("my-organization")
    return render(
        request,
        "tenants/admission_apply.html",
        {"form": form, "application": application, "commitment_text": COMMITMENT_TEXT},
    )


@login_required
def admission_queue(request):
    if not is_operator_staff(request.user):
        raise Http404
    wanted = request.GET.get("status", AdmissionStatus.SUBMITTED)
    applications = admissions_visible_to(request.user)
    if wanted in AdmissionStatus.values:
        applications = applications.filter(status=wanted)
    return render(
        request,
        "tenants/admission_queue.html",
        {
            "applications": applications,
            "statuses": AdmissionStatus.choices,
            "wanted": wanted,
        },
    )


@login_required
def admission_detail(request, pk: int):
    application = admission_get(request.user, pk)
    is_operator = is_operator_staff(request.user)
    actions = (
        [(action, ACTION_LABELS[action]) for action in allowed_actions(application)]
        if is_operator
        else []
    )
    return render(
        request,
        "tenants/admission_detail.html",
        {
            "application": application,
            "files": application.files.all(),
            "actions": actions,
            "form": DecisionForm(),
            "history": audit_events_for_target(application),
            "members": (
                members_of(application.organization).count()
                if may_see_members(request.user, application.organization)
                else None
            ),
        },
    )


@login_required
@require_POST
def admission_decide(request, pk: int, action: str):
    if action not in DECISIONS:
        raise Http404
    application = admission_get(request.user, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        DECISIONS[action](
            by=request.user, application=application, reason=form.cleaned_data.get("reason", "")
        )
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("admission-detail", pk=application.pk)


@login_required
def qualification_file_download(request, pk: int, file_pk: int):
    return qualification_file_response(qualification_file_get(request.user, pk, file_pk))


@login_required
def organization_members(request, pk: int | None = None):
    """The members of the user's own organization, or (``pk``: operator staff and
    auditors) of any organization."""
    if pk is None:
        membership = membership_of(request.user)
        if membership is None:
            raise Http404(_("Your account does not belong to an organization."))
        organization = membership.organization
    else:
        organization = members_organization_get(request.user, pk)
    manages = may_manage_members(request.user, organization)
    form = MemberForm(request.POST or None)
    if request.method == "POST":
        if not manages:
            raise PermissionRefused(_("Only the organization's administrators can add members."))
        if form.is_valid():
            try:
                member_create(
                    by=request.user,
                    organization=organization,
                    role=form.cleaned_data.pop("role"),
                    user_fields=form.cleaned_data,
                )
            except InvalidInput as error:
                form_error(form, error)
            else:
                messages.success(request, _("Member added."))
                return _members_page(request, organization)
    members = list(members_of(organization))
    return render(
        request,
        "tenants/members.html",
        {
            "organization": organization,
            "members": members,
            "reactivatable": {
                m.pk for m in members if not m.user.is_active and may_reactivate(request.user, m)
            },
            "form": form if manages else None,
            "manages": manages,
            "roles": MemberRole.choices,
        },
    )


def _members_page(request, organization):
    """Back to the members page the user came from: their own organization's, else the
    one of ``organization`` (operator staff)."""
    if is_member(request.user, organization):
        return redirect("organization-members")
    return redirect("organization-members-of", pk=organization.pk)


def _reason(request) -> str:
    form = DecisionForm(request.POST)
    form.is_valid()
    return form.cleaned_data.get("reason", "")


@login_required
@require_POST
def organization_member_deactivate(request, pk: int):
    member = membership_get(request.user, pk)
    try:
        member_deactivate(by=request.user, membership=member, reason=_reason(request))
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "%(name)s is deactivated: they can no longer log in and the API keys they "
                "made are revoked."
            )
            % {"name": member.user.username},
        )
    return _members_page(request, member.organization)


@login_required
@require_POST
def organization_member_reactivate(request, pk: int):
    member = membership_get(request.user, pk)
    try:
        member_reactivate(by=request.user, membership=member, reason=_reason(request))
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s can log in again; the API keys revoked before stay revoked.")
            % {"name": member.user.username},
        )
    return _members_page(request, member.organization)


@login_required
@require_POST
def organization_member_role(request, pk: int):
    member = membership_get(request.user, pk)
    try:
        changed = member_role_set(
            by=request.user, membership=member, role=request.POST.get("role", "")
        )
    except (Conflict, InvalidInput) as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s is now: %(role)s.")
            % {"name": member.user.username, "role": changed.get_role_display()},
        )
    return _members_page(request, member.organization)
