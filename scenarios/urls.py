from django.urls import path

from scenarios.views import jobs, portal, releases

urlpatterns = [
    path("scenario-types/", portal.type_list, name="scenario-type-list"),
    path("scenario-types/new/", portal.type_new, name="scenario-type-new"),
    path("scenario-types/<int:pk>/", portal.type_detail, name="scenario-type-detail"),
    path("scenario-types/<int:pk>/submit/", portal.type_submit, name="scenario-type-submit"),
    path("scenario-types/<int:pk>/review/", portal.type_review, name="scenario-type-review"),
    path("scenario-types/<int:pk>/revoke/", portal.type_revoke, name="scenario-type-revoke"),
    path("scenarios/", portal.scenario_list, name="scenario-list"),
    path("scenarios/apply/<int:type_id>/", portal.scenario_apply, name="scenario-apply"),
    path("scenarios/<int:pk>/", portal.scenario_detail, name="scenario-detail"),
    path("scenarios/<int:pk>/review/", portal.scenario_review, name="scenario-review"),
    path("scenarios/<int:pk>/jobs/new/", jobs.job_new, name="job-new"),
    path("scenarios/jobs/<int:pk>/", jobs.job_detail, name="job-detail"),
    path("scenarios/jobs/<int:pk>/live/", jobs.job_live, name="job-live"),
    path("scenarios/jobs/<int:pk>/cancel/", jobs.job_cancel, name="job-cancel"),
    path(
        "scenarios/jobs/<int:pk>/outputs/<int:output>/",
        jobs.job_output_download,
        name="job-output",
    ),
    path("scenarios/outputs/<int:pk>/", releases.output_detail, name="output-detail"),
    path("scenarios/outputs/<int:pk>/mitigate/", releases.output_mitigate, name="output-mitigate"),
    path("scenarios/outputs/<int:pk>/download/", releases.output_file, name="output-download"),
    path("scenarios/<int:pk>/releases/new/", releases.release_new, name="release-new"),
    path("scenarios/releases/", releases.release_list, name="release-list"),
    path("scenarios/releases/<int:pk>/", releases.release_detail, name="release-detail"),
    path("scenarios/releases/<int:pk>/review/", releases.release_decide, name="release-review"),
    path(
        "scenarios/releases/<int:pk>/resubmit/",
        releases.release_resubmit,
        name="release-resubmit",
    ),
    path(
        "scenarios/releases/<int:pk>/withdraw/",
        releases.release_withdraw,
        name="release-withdraw",
    ),
    path("reviews/releases/", releases.release_queue, name="release-queue"),
    path("compute/", jobs.compute_index, name="compute-index"),
    path("organizations/<int:pk>/compute/", jobs.compute_detail, name="compute-detail"),
    path(
        "scenarios/<int:pk>/<str:action>/",
        portal.scenario_transition,
        name="scenario-transition",
    ),
]
