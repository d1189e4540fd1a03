from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from operation.api import catalogs as catalog_api
from operation.api.views import AuditEventListView
from operation.views import catalogs, portal
from tenants.views.account import PasswordChangeView

api_v1 = [
    path("", include("tenants.api.urls")),
    path("", include("scenarios.api.urls")),
    path("audit-events/", AuditEventListView.as_view(), name="api-audit-events"),
    path("catalogs/", catalog_api.CatalogListView.as_view(), name="api-catalogs"),
    path("catalogs/new/", catalog_api.CatalogCreateView.as_view(), name="api-catalog-create"),
    path(
        "catalogs/export.csv",
        catalog_api.CatalogExportCSVView.as_view(),
        name="api-catalogs-csv",
    ),
    path(
        "catalogs/export.jsonld",
        catalog_api.CatalogExportDCATView.as_view(),
        name="api-catalogs-dcat",
    ),
    path("catalogs/<str:code>/", catalog_api.CatalogDetailView.as_view(), name="api-catalog"),
    path(
        "catalogs/<str:code>/fields/",
        catalog_api.CatalogFieldsView.as_view(),
        name="api-catalog-fields",
    ),
    path(
        "catalogs/<str:code>/publish/",
        catalog_api.CatalogPublishView.as_view(),
        name="api-catalog-publish",
    ),
    path(
        "catalogs/<str:code>/withdraw/",
        catalog_api.CatalogWithdrawView.as_view(),
        name="api-catalog-withdraw",
    ),
    path("zones/", catalog_api.ZoneListView.as_view(), name="api-zones"),
    path("resources/", catalog_api.ResourceCreateView.as_view(), name="api-resources"),
    path(
        "resources/<int:pk>/versions/",
        catalog_api.ResourceVersionCreateView.as_view(),
        name="api-resource-versions",
    ),
]

urlpatterns = [
    path("", portal.home, name="home"),
    path("healthz", portal.healthz, name="healthz"),
    path("audit/", portal.audit_events, name="audit-events"),
    path("notifications/", portal.notifications, name="notifications"),
    path("catalogs/", catalogs.catalog_list, name="catalog-list"),
    path("catalogs/resources/new/", catalogs.resource_new, name="resource-new"),
    path("catalogs/new/", catalogs.catalog_new, name="catalog-new"),
    path("catalogs/<str:code>/", catalogs.catalog_detail, name="catalog-detail"),
    path("catalogs/<str:code>/edit/", catalogs.catalog_edit, name="catalog-edit"),
    path("catalogs/<str:code>/publish/", catalogs.catalog_publish, name="catalog-publish"),
    path("catalogs/<str:code>/withdraw/", catalogs.catalog_withdraw, name="catalog-withdraw"),
    path("catalogs/<str:code>/upload/", catalogs.resource_version_new, name="resource-version-new"),
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
    path("", include("scenarios.urls")),
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
