from django.urls import path

from demands.api import demands as api

urlpatterns = [
    path("demands/", api.DemandListView.as_view(), name="api-demands"),
    path("demands/pipeline/", api.DemandPipelineView.as_view(), name="api-demand-pipeline"),
    path("demands/<int:pk>/", api.DemandDetailView.as_view(), name="api-demand"),
    path("demands/<int:pk>/assign/", api.DemandAssignView.as_view(), name="api-demand-assign"),
    path("demands/<int:pk>/match/", api.DemandMatchView.as_view(), name="api-demand-match"),
    path("demands/<int:pk>/block/", api.DemandBlockView.as_view(), name="api-demand-block"),
    path("demands/<int:pk>/merge/", api.DemandMergeView.as_view(), name="api-demand-merge"),
    path("demands/<int:pk>/answer/", api.DemandAnswerView.as_view(), name="api-demand-answer"),
    path(
        "demands/<int:pk>/suggestions/",
        api.DemandSuggestionsView.as_view(),
        name="api-demand-suggestions",
    ),
]
