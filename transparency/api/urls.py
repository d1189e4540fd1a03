from django.urls import path

from transparency.api import views

urlpatterns = [
    path("disclosure/", views.ReportListView.as_view(), name="api-disclosure"),
    path("disclosure/<int:year>/", views.ReportDetailView.as_view(), name="api-disclosure-year"),
    path(
        "disclosure/<int:year>/publish/",
        views.ReportPublishView.as_view(),
        name="api-disclosure-publish",
    ),
]
