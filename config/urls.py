from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views
from config.api import AuditEventListView
from tenants.views.account import PasswordChangeView

api_v1 = [
    path("", include("tenants.api.urls")),
    path("", include("operation.api.urls")),
    path("", include("scenarios.api.urls")),
    path("", include("demands.api.urls")),
    path("data-assets/", include("assets.api.urls")),
    path("", include("transparency.api.urls")),
    path("audit-events/", AuditEventListView.as_view(), name="api-audit-events"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views.audit_events, name="audit-events"),
    path("audit/export.csv", views.audit_events_csv, name="audit-events-csv"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/", views.notification_open, name="notification-open"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tenants.urls")),
    path("", include("operation.urls")),
    path("", include("scenarios.urls")),
    path("", include("demands.urls")),
    path("", include("assets.urls")),
    path("", include("transparency.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script is served by the split view from this same URL (?script=),
    # so no inline script is needed. Its page has an inline <style> block, its React
    # components set style attributes and its CSS draws icons from data: URIs: styles may be
    # inline and images data: on this page only.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]
