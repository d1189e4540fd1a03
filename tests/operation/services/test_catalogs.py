import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from operation.models import Catalog, CatalogStatus, CatalogVersion, DataZone
from operation.services import catalogs as svc
from tests.factories import (
    admitted_developer,
    provider_org,
    published_vessel_catalog,
    staff_user,
    vessel_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return staff_user("op")


@pytest.fixture
def catalog(staff, tmp_path):
    return published_vessel_catalog(staff, tmp_path)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_publish_freezes_version_one_with_level_of_highest_field(catalog):
    assert catalog.status == CatalogStatus.PUBLISHED
    assert catalog.code == "HY-0001"
    assert catalog.level == 4
    version = CatalogVersion.objects.get(catalog=catalog)
    assert version.number == 1
    assert {f["column"]: f["masking"] for f in version.snapshot["fields"]}["owner_phone"] == "drop"
    assert AuditEvent.objects.filter(action="catalog.publish", target_id=str(catalog.pk)).exists()


def test_changing_a_published_catalog_makes_a_new_version_and_keeps_the_old(staff, catalog):
    svc.catalog_update(by=staff, catalog=catalog, summary="新的摘要")
    catalog.refresh_from_db()
    assert catalog.version == 2
    old, new = CatalogVersion.objects.filter(catalog=catalog).order_by("number")
    assert old.snapshot["summary"] == "厦门港在港船舶到离港记录"
    assert new.snapshot["summary"] == "新的摘要"


def test_a_new_upload_makes_a_new_resource_version_and_catalog_version(staff, catalog, tmp_path):
    first = catalog.resource_version
    source = vessel_csv(tmp_path / "more.csv", 300, offset=1000)
    second = svc.resource_version_add(
        by=staff, resource=first.resource, source=source, source_name="more.csv"
    )
    catalog.refresh_from_db()
    assert (second.number, second.row_count) == (2, 300)
    assert catalog.resource_version == second and catalog.version == 2
    assert CatalogVersion.objects.get(catalog=catalog, number=1).resource_version == first
    from core.storage import data_path

    assert data_path(first.path).is_file() and data_path(second.path).is_file()


def test_a_new_version_whose_columns_differ_is_refused(staff, catalog, tmp_path):
    source = tmp_path / "other.csv"
    source.write_text("mmsi,vessel_name\n1,a\n")
    with pytest.raises(InvalidInput, match="does not match catalog HY-0001: missing") as caught:
        svc.resource_version_add(
            by=staff, resource=catalog.resource_version.resource, source=source, source_name="o"
        )
    assert "owner_phone" in caught.value.message
    assert catalog.resource_version.resource.versions.count() == 1
    from core.storage import data_path

    assert not data_path(f"resources/{catalog.resource_version.resource_id}/v2.parquet").exists()


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("owner_phone", {"masking": "keep"}, "L4 fields never enter a workspace"),
        ("mmsi", {"masking": "keep"}, "identifies an entity"),
        ("arrival_time", {"masking": "generalize", "generalize": "week"}, "say how to generalize"),
        ("tonnage", {"masking": "generalize", "generalize": "band:-5"}, "say how to generalize"),
        ("arrival_time", {"masking": "pseudonym"}, "only text and integer"),
        ("berth", {"name_zh": ""}, "needs a Chinese name"),
        ("nope", {"name_zh": "x"}, "has no field nope"),
    ],
)
def test_field_rules_are_enforced(staff, catalog, column, values, message):
    with pytest.raises(InvalidInput, match=message):
        svc.catalog_fields_update(by=staff, catalog=catalog, fields={column: values})
    catalog.refresh_from_db()
    assert catalog.version == 1


def test_lifecycle_refusals(staff, catalog):
    with pytest.raises(Conflict):
        svc.catalog_publish(by=staff, catalog=catalog)
    with pytest.raises(InvalidInput, match="reason"):
        svc.catalog_withdraw(by=staff, catalog=catalog, reason=" ")
    svc.catalog_withdraw(by=staff, catalog=catalog, reason="数据源停止更新")
    with pytest.raises(Conflict):
        svc.catalog_withdraw(by=staff, catalog=catalog, reason="again")
    with pytest.raises(Conflict):
        svc.catalog_update(by=staff, catalog=catalog, summary="x")


def test_only_operator_staff_manage_catalogs(catalog, tmp_path):
    operator = staff_user("op2")
    _org, developer = admitted_developer("海洋实验室", "lab", by=operator)
    with pytest.raises(PermissionRefused):
        svc.catalog_update(by=developer, catalog=catalog, summary="x")
    source = vessel_csv(tmp_path / "x.csv", 5)
    with pytest.raises(PermissionRefused):
        svc.resource_register(
            by=developer, provider=provider_org(), name="x", source=source, source_name="x.csv"
        )


def test_catalog_codes_follow_the_zone_prefix(staff, tmp_path):
    with pytest.raises(InvalidInput, match="HY- followed by four digits"):
        published_vessel_catalog(staff, tmp_path, code="JT-0001")


def test_drafts_are_invisible_to_developers(staff, tmp_path):
    svc.zones_ensure_standard()
    source = vessel_csv(tmp_path / "d.csv", 20)
    version = svc.resource_register(
        by=staff, provider=provider_org(), name="草稿", source=source, source_name="d.csv"
    )
    draft = svc.catalog_create(
        by=staff, resource_version=version, zone=DataZone.objects.get(key="marine"), name="草稿"
    )
    _org, developer = admitted_developer("海洋实验室", "lab", by=staff)
    assert api(developer).get(f"/api/v1/catalogs/{draft.code}/").status_code == 404
    assert api(staff).get(f"/api/v1/catalogs/{draft.code}/").status_code == 200
    assert api(developer).get("/api/v1/catalogs/").json()["count"] == 0


def test_search_in_chinese_and_english_over_names_keywords_and_fields(staff, catalog):
    client = api(staff)

    def codes(query):
        return [
            c["code"] for c in client.get("/api/v1/catalogs/", {"search": query}).json()["results"]
        ]

    assert codes("在港船舶") == ["HY-0001"]
    assert codes("vessels") == ["HY-0001"]
    assert codes("PORT") == ["HY-0001"]
    assert codes("船东电话") == ["HY-0001"]  # a field's Chinese name
    assert codes("tonnage") == ["HY-0001"]  # a column
    assert codes("浮标") == []
    assert codes("船舶 buoy") == []  # every word must match


def test_filters(staff, catalog):
    client = api(staff)
    assert client.get("/api/v1/catalogs/", {"zone": "marine"}).json()["count"] == 1
    assert client.get("/api/v1/catalogs/", {"zone": "transport"}).json()["count"] == 0
    assert client.get("/api/v1/catalogs/", {"level": 4}).json()["count"] == 1
    assert client.get("/api/v1/catalogs/", {"update_frequency": "monthly"}).json()["count"] == 0


def _make_catalogs(staff, tmp_path, n):
    tmp_path.mkdir(exist_ok=True)
    first = published_vessel_catalog(staff, tmp_path)
    for i in range(n - 1):
        svc.catalog_create(
            by=staff,
            resource_version=first.resource_version,
            zone=first.zone,
            name=f"船舶{i}",
            summary="摘要",
        )


def test_the_list_endpoint_query_count_does_not_grow_with_catalogs(staff, tmp_path):
    _make_catalogs(staff, tmp_path, 3)
    client = api(staff)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/catalogs/").status_code == 200
    _make_catalogs(staff, tmp_path / "more", 1)
    for i in range(20):
        svc.catalog_create(
            by=staff,
            resource_version=Catalog.objects.first().resource_version,
            zone=DataZone.objects.get(key="marine"),
            name=f"更多{i}",
        )
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/catalogs/").json()
    assert body["count"] == 24
    assert len(many) == len(few)


def test_the_portal_list_query_count_does_not_grow_with_catalogs(client, staff, tmp_path):
    _make_catalogs(staff, tmp_path, 2)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/catalogs/").status_code == 200
    _make_catalogs(staff, tmp_path / "more", 10)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/catalogs/").status_code == 200
    assert len(many) == len(few)


REAL_VALUES = ["412000007", "远洋0007号", "13900000007", "1259"]  # mmsi, name, phone, tonnage


def _assert_no_real_value(text: str):
    for value in REAL_VALUES:
        assert value not in text


def test_no_real_row_in_detail_preview_or_exports(client, staff, catalog):
    _org, developer = admitted_developer("海洋实验室", "lab", by=staff)
    detail = api(developer).get("/api/v1/catalogs/HY-0001/").json()
    assert len(detail["sample_rows"]) == 5
    _assert_no_real_value(json.dumps(detail, ensure_ascii=False))
    stats = {f["column"]: f["statistics"] for f in detail["fields"]}
    assert stats["vessel_type"]["categories"]  # categories over >= 10 rows each may show
    assert "categories" not in stats["mmsi"] and "mean" not in stats["mmsi"]
    assert stats["mmsi"]["distinct"] <= stats["mmsi"]["count"]
    assert "min" not in json.dumps(stats) and "max" not in json.dumps(stats)
    client.force_login(developer)
    _assert_no_real_value(client.get("/catalogs/HY-0001/").content.decode())
    _assert_no_real_value(client.get("/api/v1/catalogs/export.csv").content.decode())
    _assert_no_real_value(client.get("/api/v1/catalogs/export.jsonld").content.decode())


def test_statistics_over_few_rows_are_not_shown(staff, tmp_path):
    catalog = published_vessel_catalog(staff, tmp_path, rows=8)
    detail = api(staff).get(f"/api/v1/catalogs/{catalog.code}/").json()
    assert {f["statistics"]["count"] for f in detail["fields"]} == {"<10"}


def test_exports_are_open_and_list_only_published_catalogs(staff, catalog, tmp_path):
    svc.catalog_create(
        by=staff, resource_version=catalog.resource_version, zone=catalog.zone, name="草稿目录"
    )
    anonymous = APIClient()
    csv_text = anonymous.get("/api/v1/catalogs/export.csv").content.decode()
    assert csv_text.splitlines()[0].startswith("code,name,name_en,zone")
    assert "HY-0001" in csv_text and "草稿目录" not in csv_text
    response = anonymous.get("/api/v1/catalogs/export.jsonld")
    assert response["Content-Type"] == "application/ld+json"
    body = response.json()
    assert body["@type"] == "dcat:Catalog"
    [dataset] = body["dcat:dataset"]
    assert dataset["dct:identifier"] == "HY-0001"
    assert dataset["dct:accrualPeriodicity"]["@id"] == "http://purl.org/cld/freq/daily"
    assert {"@value": "Vessels in port", "@language": "en"} in dataset["dct:title"]


def test_exports_name_the_zone_in_both_languages_whatever_the_language_asked(catalog):
    anonymous = APIClient()
    for language in ("en", "zh-hans"):
        csv_text = anonymous.get("/api/v1/catalogs/export.csv", HTTP_ACCEPT_LANGUAGE=language)
        rows = list(csv.DictReader(io.StringIO(csv_text.content.decode())))
        assert [(r["zone"], r["zone_en"]) for r in rows] == [("海洋数据专区", "Marine")]
        body = anonymous.get("/api/v1/catalogs/export.jsonld", HTTP_ACCEPT_LANGUAGE=language)
        [dataset] = body.json()["dcat:dataset"]
        assert dataset["dcat:theme"]["skos:prefLabel"] == [
            {"@value": "海洋数据专区", "@language": "zh"},
            {"@value": "Marine", "@language": "en"},
        ]


def test_upload_through_the_api_and_describe_and_publish(staff, tmp_path):
    svc.zones_ensure_standard()
    provider = provider_org()
    client = api(staff)
    source = vessel_csv(tmp_path / "v.csv", 50)
    with open(source, "rb") as handle:
        response = client.post(
            "/api/v1/resources/",
            {"provider": provider.pk, "name": "在港船舶", "file": handle},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    version = response.json()
    assert version["row_count"] == 50 and version["source_format"] == "csv"
    response = client.post(
        "/api/v1/catalogs/new/",
        {"resource_version": version["id"], "zone": "marine", "name": "在港船舶", "summary": "s"},
        format="json",
    )
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    response = client.put(
        f"/api/v1/catalogs/{code}/fields/",
        {"fields": {"mmsi": {"masking": "keep", "is_identifier": True}}},
        format="json",
    )
    assert response.status_code == 400 and response.json()["field"] == "masking"
    from tests.factories import VESSEL_FIELDS

    response = client.put(
        f"/api/v1/catalogs/{code}/fields/", {"fields": VESSEL_FIELDS}, format="json"
    )
    assert response.status_code == 200
    assert client.post(f"/api/v1/catalogs/{code}/publish/").json()["status"] == "published"


def test_bad_upload_through_the_api_is_a_clear_400_and_leaves_nothing(staff, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.storage import data_path

    client = api(staff)
    response = client.post(
        "/api/v1/resources/",
        {
            "provider": provider_org().pk,
            "name": "坏文件",
            "file": SimpleUploadedFile("../../etc/passwd.csv", b"a,b\n1,2,3\n4,5\n"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "line" in response.json()["detail"]
    assert not any(p.is_file() for p in data_path().rglob("*"))


def test_import_folder_files_and_traversal(staff, tmp_path, settings):
    settings.IMPORT_ROOT = tmp_path / "import"
    settings.IMPORT_ROOT.mkdir()
    vessel_csv(settings.IMPORT_ROOT / "ships.csv", 20)
    (tmp_path / "secret.csv").write_text("a,b\n1,2\n")
    client = api(staff)
    ok = client.post(
        "/api/v1/resources/",
        {"provider": provider_org().pk, "name": "导入", "import_path": "ships.csv"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["row_count"] == 20
    typed = client.post(
        "/api/v1/resources/",
        {
            "provider": provider_org().pk,
            "name": "导入",
            "import_path": "ships.csv",
            "types": {"mmsi": "string"},
        },
        format="json",
    )
    assert typed.status_code == 201 and typed.json()["schema"][0] == {
        "name": "mmsi",
        "type": "string",
    }
    assert (settings.IMPORT_ROOT / "ships.csv").exists()  # the import file is left in place
    for hostile in ["../secret.csv", "/etc/passwd", "ships.csv\x00.txt"]:
        response = client.post(
            "/api/v1/resources/",
            {"provider": provider_org().pk, "name": "导入", "import_path": hostile},
            format="json",
        )
        assert response.status_code == 400, hostile
        assert response.json()["field"] == "import_path"


def test_home_counts_published_catalogs(client, catalog):
    assert 'id="fig-published-catalogs">1<' in client.get("/").content.decode()


@pytest.mark.security
def test_oversize_and_hostile_names_through_the_api(staff, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(staff)
    content = vessel_csv(tmp_path / "v.csv", 30).read_bytes()
    response = client.post(
        "/api/v1/resources/",
        {
            "provider": provider_org().pk,
            "name": "船舶",
            "file": SimpleUploadedFile("../../etc/\x1b[31mships.csv", content),
        },
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["source_name"] == "[31mships.csv"
    settings.INGEST_MAX_BYTES = 100
    response = client.post(
        "/api/v1/resources/",
        {
            "provider": provider_org().pk,
            "name": "船舶",
            "file": SimpleUploadedFile("v.csv", content),
        },
        format="multipart",
    )
    assert response.status_code == 400 and "limit" in response.json()["detail"]


def test_developers_cannot_upload_or_publish_through_the_api(catalog, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    operator = staff_user("op2")
    _org, developer = admitted_developer("海洋实验室", "lab", by=operator)
    client = api(developer)
    response = client.post(
        "/api/v1/resources/",
        {
            "provider": provider_org().pk,
            "name": "x",
            "file": SimpleUploadedFile("a.csv", b"a\n1\n"),
        },
        format="multipart",
    )
    assert response.status_code == 403
    assert client.post("/api/v1/catalogs/HY-0001/withdraw/", {"reason": "x"}).status_code == 403
    resource = catalog.resource_version.resource
    response = client.post(f"/api/v1/resources/{resource.pk}/versions/", {}, format="multipart")
    assert response.status_code == 403
    missing = client.post("/api/v1/resources/999999/versions/", {}, format="multipart")
    assert missing.status_code == 403  # refused before any lookup: existence is not revealed
    response = client.post(
        "/api/v1/catalogs/new/", {"resource_version": 999999, "zone": "marine"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.security
def test_synthetic_rows_of_a_tiny_sensitive_table_reveal_nothing(staff, tmp_path):
    svc.zones_ensure_standard()
    source = tmp_path / "people.csv"
    source.write_text("salary,born,city\n123456,1980-05-17,厦门\n")
    version = svc.resource_register(
        by=staff, provider=provider_org(), name="人员", source=source, source_name="p.csv"
    )
    catalog = svc.catalog_create(
        by=staff,
        resource_version=version,
        zone=DataZone.objects.get(key="marine"),
        name="人员",
        summary="s",
    )
    svc.catalog_fields_update(
        by=staff,
        catalog=catalog,
        fields={
            "salary": {"name_zh": "工资", "level": 3},
            "born": {"name_zh": "出生日期", "level": 4, "masking": "drop"},
        },
    )
    body = json.dumps(api(staff).get(f"/api/v1/catalogs/{catalog.code}/").json())
    for real in ["123456", "12345", "1980", "厦门"]:
        assert real not in body


@pytest.mark.security
def test_import_names_are_not_patterns_and_zstd_is_not_decompressed_unchecked(
    staff, tmp_path, settings
):
    settings.IMPORT_ROOT = tmp_path / "import"
    settings.IMPORT_ROOT.mkdir()
    for name in ("ya.csv", "yb.csv"):
        vessel_csv(settings.IMPORT_ROOT / name, 5)
    client = api(staff)
    response = client.post(
        "/api/v1/resources/",
        {"provider": provider_org().pk, "name": "x", "import_path": "y?.csv"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["field"] == "import_path"
    (settings.IMPORT_ROOT / "data.csv.zst").write_bytes(b"(\xb5/\xfd" + b"\x00" * 40)
    response = client.post(
        "/api/v1/resources/",
        {"provider": provider_org().pk, "name": "x", "import_path": "data.csv.zst"},
        format="json",
    )
    assert response.status_code == 400


@pytest.mark.security
def test_a_developer_learns_nothing_about_the_import_folder(catalog, tmp_path, settings):
    settings.IMPORT_ROOT = tmp_path / "import"
    settings.IMPORT_ROOT.mkdir()
    vessel_csv(settings.IMPORT_ROOT / "exists.csv", 5)
    _org, developer = admitted_developer("海洋实验室", "lab", by=staff_user("op2"))
    client = api(developer)
    answers = {
        client.post(
            "/api/v1/resources/",
            {"provider": provider_org().pk, "name": "x", "import_path": name},
            format="json",
        ).status_code
        for name in ("exists.csv", "missing.csv")
    }
    assert answers == {403}


@pytest.mark.parametrize(
    "values",
    [
        {"is_identifier": "yes"},
        {"generalize": 5},
        {"level": "high"},
        {"level": 9},
        {"name_zh": None},
    ],
)
def test_badly_typed_field_values_are_a_400_not_a_crash(staff, catalog, values):
    response = api(staff).put(
        "/api/v1/catalogs/HY-0001/fields/", {"fields": {"berth": values}}, format="json"
    )
    assert response.status_code == 400, response.content


def test_an_edit_is_all_or_nothing(client, staff, catalog):
    client.force_login(staff)
    form = {
        "zone": catalog.zone_id,
        "name": "改过的名称",
        "summary": catalog.summary,
        "update_frequency": "daily",
        "sharing_type": "conditional",
        "open_type": "conditional",
    }
    for f in catalog.fields.all():
        form[f"f{f.position}-name_zh"] = f.name_zh
        form[f"f{f.position}-level"] = str(f.level)
        form[f"f{f.position}-masking"] = f.masking
        form[f"f{f.position}-generalize"] = f.generalize
        if f.is_identifier:
            form[f"f{f.position}-is_identifier"] = "on"
    phone = catalog.fields.get(column="owner_phone").position
    form[f"f{phone}-masking"] = "keep"  # refused: L4
    client.post("/catalogs/HY-0001/edit/", form)
    catalog.refresh_from_db()
    assert (catalog.name, catalog.version) == ("在港船舶动态", 1)
    assert client.get("/catalogs/new/?version=abc").status_code == 404


def test_type_overrides_must_be_an_object_of_names_to_types(staff, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api(staff).post(
        "/api/v1/resources/",
        {
            "provider": provider_org().pk,
            "name": "x",
            "file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n"),
            "types": '["a", "string"]',
        },
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["field"] == "types"
    response = api(staff).post(
        "/api/v1/resources/",
        {
            "provider": provider_org().pk,
            "name": "x",
            "file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n"),
            "types": '{"a": "decimal"}',
        },
        format="multipart",
    )
    assert response.status_code == 400 and "unknown field type" in response.json()["detail"]


@pytest.mark.security
@pytest.mark.parametrize(
    "fields",
    [
        {"mmsi": {"is_identifier": False, "masking": "keep", "level": 1}},  # the raw MMSI
        {"arrival_time": {"masking": "keep"}},  # the minute, not the hour
        {"berth": {"masking": "drop", "level": 4}},  # the previous workspace would stay
    ],
)
def test_the_grading_of_fields_scenarios_use_is_not_lowered_nor_dropped_unreviewed(
    tmp_path, fields
):
    """A scenario was authorized on its type's review of the fields as graded then: a
    published catalog's field in an approved type's or a scenario's scope keeps its
    protection (or gains some) unless they are reviewed again; a dropped field could not
    enter the new workspace, and the jobs would read on the previous one."""
    from scenarios.models import Workspace
    from tests.factories import authorized_scenario

    scenario, _developer = authorized_scenario(tmp_path)
    staff, catalog = staff_user("op"), Catalog.objects.get(code="HY-0001")
    workspaces = Workspace.objects.filter(scenario=scenario).count()
    with pytest.raises(InvalidInput, match="scenario") as caught:
        svc.catalog_fields_update(by=staff, catalog=catalog, fields=fields)
    assert caught.value.field == "masking" and next(iter(fields)) in caught.value.message
    catalog.refresh_from_db()
    assert catalog.version == 1
    assert Workspace.objects.filter(scenario=scenario).count() == workspaces


def test_fields_no_scope_uses_are_regraded_and_scoped_ones_protected_more(tmp_path):
    from scenarios.models import Workspace
    from tests.factories import authorized_scenario

    scenario, _developer = authorized_scenario(tmp_path)
    staff, catalog = staff_user("op"), Catalog.objects.get(code="HY-0001")
    workspaces = Workspace.objects.filter(scenario=scenario).count()
    svc.catalog_fields_update(
        by=staff,
        catalog=catalog,
        fields={
            "tonnage": {"masking": "keep", "level": 1},  # in no scope
            "arrival_time": {"generalize": "day"},  # coarser than the hour
            "vessel_type": {"level": 2},
        },
    )
    catalog.refresh_from_db()
    assert catalog.version == 2
    assert Workspace.objects.filter(scenario=scenario).count() == workspaces + 1
