from django.urls import path

from scenarios.api import jobs, pricing, releases, services, views

urlpatterns = [
    path("scenario-types/", views.ScenarioTypeListView.as_view(), name="api-scenario-types"),
    path(
        "scenario-types/<int:pk>/",
        views.ScenarioTypeDetailView.as_view(),
        name="api-scenario-type",
    ),
    path(
        "scenario-types/<int:pk>/services/",
        services.TypeServiceProposeView.as_view(),
        name="api-type-services",
    ),
    path(
        "scenario-types/<int:pk>/<str:action>/",
        views.ScenarioTypeActionView.as_view(),
        name="api-scenario-type-action",
    ),
    path("scenarios/", views.ScenarioListView.as_view(), name="api-scenarios"),
    path("scenarios/<int:pk>/", views.ScenarioDetailView.as_view(), name="api-scenario"),
    path(
        "scenarios/<int:pk>/workspace/synthetic/",
        views.SyntheticWorkspaceView.as_view(),
        name="api-scenario-synthetic",
    ),
    path("scenarios/<int:pk>/jobs/", jobs.ScenarioJobListView.as_view(), name="api-scenario-jobs"),
    path("jobs/queue/", jobs.JobQueueView.as_view(), name="api-job-queue"),
    path("jobs/<int:pk>/", jobs.JobDetailView.as_view(), name="api-job"),
    path("jobs/<int:pk>/cancel/", jobs.JobCancelView.as_view(), name="api-job-cancel"),
    path(
        "jobs/<int:pk>/outputs/<int:output>/",
        jobs.DryRunOutputView.as_view(),
        name="api-job-dry-run-output",
    ),
    path("organizations/<int:pk>/compute/", jobs.ComputeView.as_view(), name="api-compute"),
    path("outputs/<int:pk>/", releases.OutputDetailView.as_view(), name="api-output"),
    path(
        "outputs/<int:pk>/mitigate/",
        releases.OutputMitigateView.as_view(),
        name="api-output-mitigate",
    ),
    path(
        "outputs/<int:pk>/download",
        releases.OutputDownloadView.as_view(),
        name="api-output-download",
    ),
    path(
        "release-requests/",
        releases.ReleaseRequestListView.as_view(),
        name="api-release-requests",
    ),
    path(
        "release-requests/<int:pk>/",
        releases.ReleaseRequestDetailView.as_view(),
        name="api-release-request",
    ),
    path(
        "release-requests/<int:pk>/price/",
        pricing.ReleasePriceView.as_view(),
        name="api-release-price",
    ),
    path(
        "release-requests/<int:pk>/<str:action>/",
        releases.ReleaseRequestActionView.as_view(),
        name="api-release-request-action",
    ),
    path("services/", services.DefinitionListView.as_view(), name="api-services"),
    path("services/usage/", services.UsageView.as_view(), name="api-service-usage"),
    path("services/quotas/", services.QuotaView.as_view(), name="api-service-quotas"),
    path("services/<slug:code>/call", services.ServiceCallView.as_view(), name="api-service-call"),
    path(
        "services/<slug:code>/price/", pricing.ServicePriceView.as_view(), name="api-service-price"
    ),
    path(
        "service-definitions/<int:pk>/review/",
        services.DefinitionReviewView.as_view(),
        name="api-service-review",
    ),
    path(
        "scenarios/<int:pk>/api-keys/",
        services.ScenarioApiKeyListView.as_view(),
        name="api-scenario-keys",
    ),
    path(
        "api-keys/<int:pk>/<str:action>/",
        services.ApiKeyActionView.as_view(),
        name="api-key-action",
    ),
    path(
        "scenarios/<int:pk>/<str:action>/",
        views.ScenarioActionView.as_view(),
        name="api-scenario-action",
    ),
]
