from django.urls import path

from demands.views import portal

urlpatterns = [
    path("demands/", portal.demand_list, name="demand-list"),
    path("demands/new/", portal.demand_new, name="demand-new"),
    path("demands/mine/", portal.demand_mine, name="demand-mine"),
    path("demands/pipeline/", portal.demand_pipeline, name="demand-pipeline"),
    path("demands/<int:pk>/", portal.demand_detail, name="demand-detail"),
    path("demands/<int:pk>/<str:action>/", portal.demand_act, name="demand-act"),
]
