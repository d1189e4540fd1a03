from django.urls import path

from scenarios.api import views

urlpatterns = [
    path("scenario-types/", views.ScenarioTypeListView.as_view(), name="api-scenario-types"),
    path(
        "scenario-types/<int:pk>/",
        views.ScenarioTypeDetailView.as_view(),
        name="api-scenario-type",
    ),
    path(
        "scenario-types/<int:pk>/<str:action>/",
        views.ScenarioTypeActionView.as_view(),
        name="api-scenario-type-action",
    ),
    path("scenarios/", views.ScenarioListView.as_view(), name="api-scenarios"),
    path("scenarios/<int:pk>/", views.ScenarioDetailView.as_view(), name="api-scenario"),
    path(
        "scenarios/<int:pk>/<str:action>/",
        views.ScenarioActionView.as_view(),
        name="api-scenario-action",
    ),
]
