from django.urls import path

from assets.api import views

urlpatterns = [
    path("", views.RegistryListView.as_view(), name="api-data-assets"),
    path("verify/", views.VerifyView.as_view(), name="api-data-asset-verify"),
    path("applications/", views.ApplicationListView.as_view(), name="api-asset-applications"),
    path(
        "applications/<int:pk>/",
        views.ApplicationDetailView.as_view(),
        name="api-asset-application",
    ),
    path(
        "applications/<int:pk>/submit/",
        views.ApplicationSubmitView.as_view(),
        name="api-asset-application-submit",
    ),
    path(
        "applications/<int:pk>/<str:stage>/",
        views.ApplicationDecisionView.as_view(),
        name="api-asset-application-decide",
    ),
    path(
        "applications/<int:pk>/evidence/<int:file_pk>",
        views.EvidenceFileView.as_view(),
        name="api-asset-evidence",
    ),
    path("<int:pk>/certificate", views.CertificateView.as_view(), name="api-asset-certificate"),
    path("<int:pk>/applications/", views.AssetApplicationView.as_view(), name="api-asset-apply"),
    path("<str:number>/", views.RegistryDetailView.as_view(), name="api-data-asset"),
]
