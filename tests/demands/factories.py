"""Demand-list test data, built through the services."""

from demands.services.demands import demand_file
from operation.models import DataZone
from operation.services import catalogs as catalog_svc
from tenants.models import MemberRole
from tenants.services.organizations import member_create
from tests.factories import PASSWORD, VESSEL_FIELDS, provider_org, vessel_csv

PURPOSE = "赤潮预警模型训练，服务近海养殖户"
LEGAL_BASIS = "《公共数据授权运营管理办法》第十二条"


def provider_member(username: str = "ocean_bureau", name: str = "市海洋发展局"):
    """A provider organization and a member of it."""
    provider = provider_org(name)
    user = member_create(
        by=None,
        organization=provider,
        role=MemberRole.ADMIN,
        user_fields={"username": username, "email": f"{username}@gov.cn", "password": PASSWORD},
    )
    return provider, user


def filed_demand(by, **values):
    fields = {
        "title": "近海浮标叶绿素观测",
        "fields_wanted": "叶绿素a, 溶解氧, 水温",
        "purpose": PURPOSE,
        "legal_basis": LEGAL_BASIS,
        "area": "厦门湾",
        "period": "2024年至今",
        "update_frequency": "daily",
        "urgency": "important",
    }
    return demand_file(by=by, **(fields | values))


def draft_vessel_catalog(staff, tmp_path, provider=None):
    """A described vessels-in-port catalog, not yet published."""
    catalog_svc.zones_ensure_standard()
    source = vessel_csv(tmp_path / "vessels-draft.csv", 50)
    version = catalog_svc.resource_register(
        by=staff,
        provider=provider or provider_org(),
        name="在港船舶",
        source=source,
        source_name=source.name,
    )
    catalog = catalog_svc.catalog_create(
        by=staff,
        resource_version=version,
        zone=DataZone.objects.get(key="marine"),
        name="在港船舶动态",
        name_en="Vessels in port",
        summary="厦门港在港船舶到离港记录",
        keywords="船舶, vessel, 港口, port",
        update_frequency="daily",
    )
    return catalog_svc.catalog_fields_update(by=staff, catalog=catalog, fields=VESSEL_FIELDS)
