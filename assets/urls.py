from django.urls import path

from assets.views import portal

urlpatterns = [
    path("assets/registry/", portal.registry, name="asset-registry"),
    path("assets/registry/<str:number>/", portal.registry_detail, name="asset-registry-detail"),
    path("assets/applications/", portal.application_list, name="asset-application-list"),
    path("assets/applications/new/", portal.application_new, name="asset-application-new"),
    path(
        "assets/applications/<int:pk>/",
        portal.application_detail,
        name="asset-application-detail",
    ),
    path(
        "assets/applications/<int:pk>/edit/",
        portal.application_edit,
        name="asset-application-edit",
    ),
    path(
        "assets/applications/<int:pk>/submit/",
        portal.application_submit,
        name="asset-application-submit",
    ),
    path(
        "assets/applications/<int:pk>/decide/",
        portal.application_decide,
        name="asset-application-decide",
    ),
    path(
        "assets/applications/<int:pk>/evidence/<int:file_pk>/",
        portal.evidence_file,
        name="asset-evidence",
    ),
    path("assets/<int:pk>/certificate/", portal.certificate, name="asset-certificate"),
    path("assets/<int:pk>/apply/", portal.asset_apply, name="asset-apply"),
]
