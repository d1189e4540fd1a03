from django.contrib.auth import authenticate
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput, NotFound, PermissionRefused
from tenants import permissions
from tenants.api.serializers import (
    AdmissionOutput,
    AdmissionSubmitInput,
    DecisionInput,
    MemberActionInput,
    MemberOutput,
    MeOutput,
    OrganizationOutput,
    TokenInput,
    TokenOutput,
)
from tenants.authentication import ExpiringTokenAuthentication
from tenants.permissions import membership_of
from tenants.selectors import (
    admission_get,
    admissions_visible_to,
    members_of,
    members_organization_get,
    membership_get,
    organizations_visible_to,
    qualification_file_get,
)
from tenants.services.admission import DECISIONS, admission_submit
from tenants.services.organizations import member_deactivate, member_reactivate, member_role_set
from tenants.services.tokens import token_issue, token_revoke
from tenants.views.files import qualification_file_response


class TokenView(APIView):
    """Exchange a username and password for an API token (lock-out applies)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request=request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise PermissionRefused(
                _("Too many failed logins: this account is locked for a while; try again later."),
                code="locked_out",
            )
        if user is None or not user.is_active:
            return Response(
                {"code": "invalid_credentials", "detail": _("Wrong username or password.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"token": token_issue(by=user).key})


class TokenRevokeView(APIView):
    """End the caller's API token (log out): authenticated by that token, not a session."""

    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        token_revoke(by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses=MeOutput)
    def get(self, request):
        membership = membership_of(request.user)
        return Response(
            MeOutput(
                {
                    "username": request.user.username,
                    "email": request.user.email,
                    "roles": sorted(role.value for role in permissions.roles_of(request.user)),
                    "organization": membership.organization if membership else None,
                    "organization_role": membership.role if membership else None,
                }
            ).data
        )


class OrganizationListView(APIView):
    @extend_schema(responses=OrganizationOutput(many=True))
    def get(self, request):
        organizations = organizations_visible_to(request.user).select_related("admission")
        return Response(OrganizationOutput(organizations, many=True).data)


class OrganizationDetailView(APIView):
    @extend_schema(responses=OrganizationOutput)
    def get(self, request, pk: int):
        organization = (
            organizations_visible_to(request.user).select_related("admission").filter(pk=pk).first()
        )
        if organization is None:
            raise NotFound()
        return Response(OrganizationOutput(organization).data)


class OrganizationMembersView(APIView):
    """An organization's members: for its members, operator staff and auditors."""

    @extend_schema(responses=MemberOutput(many=True))
    def get(self, request, pk: int):
        organization = members_organization_get(request.user, pk)
        return Response(MemberOutput(members_of(organization), many=True).data)


MEMBER_ACTIONS = ("deactivate", "reactivate", "role")


def _member_action(by, member, action: str, data: dict):
    if action == "role":
        if "role" not in data:
            raise InvalidInput(_("Choose administrator or member."), field="role")
        return member_role_set(by=by, membership=member, role=data["role"])
    change = member_deactivate if action == "deactivate" else member_reactivate
    return change(by=by, membership=member, reason=data["reason"])


class MemberActionView(APIView):
    """An organization's administrators and operator staff: deactivate a member (their
    sessions, API token and API keys end), reactivate them, or set their role."""

    @extend_schema(
        request=MemberActionInput,
        responses={
            200: MemberOutput,
            409: OpenApiResponse(
                description="already so, or the organization's last active administrator"
            ),
        },
    )
    def post(self, request, pk: int, action: str):
        if action not in MEMBER_ACTIONS:
            raise NotFound()
        member = membership_get(request.user, pk)
        data = MemberActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = _member_action(request.user, member, action, data.validated_data)
        return Response(MemberOutput(member).data)


class AdmissionListView(APIView):
    @extend_schema(responses=AdmissionOutput(many=True))
    def get(self, request):
        applications = admissions_visible_to(request.user).prefetch_related("files")
        wanted = request.query_params.get("status")
        if wanted:
            applications = applications.filter(status=wanted)
        return Response(AdmissionOutput(applications, many=True).data)


class AdmissionDetailView(APIView):
    @extend_schema(responses=AdmissionOutput)
    def get(self, request, pk: int):
        return Response(AdmissionOutput(admission_get(request.user, pk)).data)


class AdmissionSubmitView(APIView):
    # Qualification files are uploaded as multipart form data.
    @extend_schema(request={"multipart/form-data": AdmissionSubmitInput}, responses=AdmissionOutput)
    def post(self, request, pk: int):
        application = admission_get(request.user, pk)
        data = AdmissionSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = admission_submit(
            by=request.user, application=application, **data.validated_data
        )
        return Response(AdmissionOutput(application).data)


class AdmissionDecisionView(APIView):
    """Operator staff: admit, reject, return, suspend, reinstate or revoke."""

    @extend_schema(
        request=DecisionInput,
        responses={200: AdmissionOutput, 409: OpenApiResponse(description="illegal transition")},
    )
    def post(self, request, pk: int, action: str):
        if action not in DECISIONS:
            raise NotFound()
        application = admission_get(request.user, pk)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = DECISIONS[action](
            by=request.user, application=application, reason=data.validated_data["reason"]
        )
        return Response(AdmissionOutput(application).data)


class QualificationFileView(APIView):
    # Served with the type its content was checked to be (QualificationFile.content_type).
    @extend_schema(
        responses={
            (200, "application/pdf"): bytes,
            (200, "image/png"): bytes,
            (200, "image/jpeg"): bytes,
        }
    )
    def get(self, request, pk: int, file_pk: int) -> FileResponse:
        return qualification_file_response(qualification_file_get(request.user, pk, file_pk))
