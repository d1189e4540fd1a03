from django.urls import path

from tenants.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/token/revoke/", views.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("organizations/", views.OrganizationListView.as_view(), name="api-organizations"),
    path(
        "organizations/<int:pk>/",
        views.OrganizationDetailView.as_view(),
        name="api-organization",
    ),
    path(
        "organizations/<int:pk>/members/",
        views.OrganizationMembersView.as_view(),
        name="api-organization-members",
    ),
    path(
        "members/<int:pk>/<str:action>/",
        views.MemberActionView.as_view(),
        name="api-member-action",
    ),
    path("admissions/", views.AdmissionListView.as_view(), name="api-admissions"),
    path("admissions/<int:pk>/", views.AdmissionDetailView.as_view(), name="api-admission"),
    path(
        "admissions/<int:pk>/submit/",
        views.AdmissionSubmitView.as_view(),
        name="api-admission-submit",
    ),
    path(
        "admissions/<int:pk>/files/<int:file_pk>/",
        views.QualificationFileView.as_view(),
        name="api-admission-file",
    ),
    path(
        "admissions/<int:pk>/<str:action>/",
        views.AdmissionDecisionView.as_view(),
        name="api-admission-decide",
    ),
]
