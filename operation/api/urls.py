from django.urls import path

from operation.api import catalogs as catalog_api

urlpatterns = [
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
