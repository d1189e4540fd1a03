from django.urls import path

from tenants.views import portal

urlpatterns = [
    path("signup/", portal.signup, name="signup"),
    path("organization/", portal.my_organization, name="my-organization"),
    path("organization/members/", portal.organization_members, name="organization-members"),
    path(
        "organizations/<int:pk>/members/",
        portal.organization_members,
        name="organization-members-of",
    ),
    path(
        "members/<int:pk>/deactivate/",
        portal.organization_member_deactivate,
        name="organization-member-deactivate",
    ),
    path(
        "members/<int:pk>/reactivate/",
        portal.organization_member_reactivate,
        name="organization-member-reactivate",
    ),
    path(
        "members/<int:pk>/role/",
        portal.organization_member_role,
        name="organization-member-role",
    ),
    path("organization/apply/", portal.admission_apply, name="admission-apply"),
    path("admissions/", portal.admission_queue, name="admission-queue"),
    path("admissions/<int:pk>/", portal.admission_detail, name="admission-detail"),
    path(
        "admissions/<int:pk>/files/<int:file_pk>/",
        portal.qualification_file_download,
        name="admission-file",
    ),
    path(
        "admissions/<int:pk>/decide/<str:action>/",
        portal.admission_decide,
        name="admission-decide",
    ),
]
