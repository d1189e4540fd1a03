from django.urls import path

from operation.views import catalogs

urlpatterns = [
    path("catalogs/", catalogs.catalog_list, name="catalog-list"),
    path("catalogs/resources/new/", catalogs.resource_new, name="resource-new"),
    path("catalogs/new/", catalogs.catalog_new, name="catalog-new"),
    path("catalogs/<str:code>/", catalogs.catalog_detail, name="catalog-detail"),
    path("catalogs/<str:code>/edit/", catalogs.catalog_edit, name="catalog-edit"),
    path("catalogs/<str:code>/publish/", catalogs.catalog_publish, name="catalog-publish"),
    path("catalogs/<str:code>/withdraw/", catalogs.catalog_withdraw, name="catalog-withdraw"),
    path("catalogs/<str:code>/upload/", catalogs.resource_version_new, name="resource-version-new"),
]
