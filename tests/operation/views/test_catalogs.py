import pytest

from operation.models import Catalog, CatalogStatus
from operation.services import catalogs as svc
from tests.factories import (
    admitted_developer,
    provider_org,
    published_vessel_catalog,
    staff_user,
    vessel_csv,
)

pytestmark = pytest.mark.django_db


def test_operator_uploads_describes_and_publishes_through_the_portal(client, tmp_path):
    svc.zones_ensure_standard()
    staff = staff_user("op")
    client.force_login(staff)
    source = vessel_csv(tmp_path / "ships.csv", 120)
    with open(source, "rb") as handle:
        response = client.post(
            "/catalogs/resources/new/",
            {"provider": provider_org().pk, "name": "在港船舶", "file": handle, "encoding": "auto"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        response["Location"],
        {
            "zone": svc.DataZone.objects.get(key="marine").pk,
            "name": "在港船舶动态",
            "summary": "到离港记录",
            "update_frequency": "daily",
            "sharing_type": "conditional",
            "open_type": "conditional",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/catalogs/HY-0001/edit/"
    catalog = Catalog.objects.get(code="HY-0001")
    form = {
        "zone": catalog.zone_id,
        "name": catalog.name,
        "summary": catalog.summary,
        "update_frequency": "daily",
        "sharing_type": "conditional",
        "open_type": "conditional",
    }
    for f in catalog.fields.all():
        form[f"f{f.position}-name_zh"] = f"中文{f.column}"
        form[f"f{f.position}-level"] = "1"
        form[f"f{f.position}-masking"] = "keep"
    phone = catalog.fields.get(column="owner_phone").position
    form[f"f{phone}-level"] = "4"
    response = client.post("/catalogs/HY-0001/edit/", form, follow=True)
    assert "L4" in response.content.decode()  # refused: an L4 field must be dropped
    assert catalog.fields.get(column="owner_phone").level == 1
    form[f"f{phone}-masking"] = "drop"
    response = client.post("/catalogs/HY-0001/edit/", form)
    assert response.status_code == 302
    assert client.post("/catalogs/HY-0001/publish/").status_code == 302
    catalog.refresh_from_db()
    assert catalog.status == CatalogStatus.PUBLISHED and catalog.level == 4


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Draft created: HY-0001 在港船舶动态. Describe its fields, then publish it."),
        ("zh-hans", "草稿已创建：HY-0001 在港船舶动态。请描述其信息项，然后发布。"),
    ],
)
def test_creating_a_draft_catalog_says_so_on_its_edit_page(client, tmp_path, language, message):
    svc.zones_ensure_standard()
    staff = staff_user("op")
    version = svc.resource_register(
        by=staff,
        provider=provider_org(),
        name="在港船舶",
        source=vessel_csv(tmp_path / "ships.csv", 12),
        source_name="ships.csv",
    )
    client.force_login(staff)

    response = client.post(
        f"/catalogs/new/?version={version.pk}",
        {
            "zone": svc.DataZone.objects.get(key="marine").pk,
            "name": "在港船舶动态",
            "update_frequency": "daily",
            "sharing_type": "conditional",
            "open_type": "conditional",
        },
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )

    assert response.redirect_chain == [("/catalogs/HY-0001/edit/", 302)]
    assert message in response.content.decode()


def _draft_vessels(client, tmp_path) -> tuple[Catalog, dict]:
    """A draft vessel catalog as ingested (every field L1, kept), and its edit form."""
    svc.zones_ensure_standard()
    staff = staff_user("op")
    client.force_login(staff)
    source = vessel_csv(tmp_path / "ships.csv", 120)
    version = svc.resource_register(
        by=staff, provider=provider_org(), name="在港船舶", source=source, source_name=source.name
    )
    catalog = svc.catalog_create(
        by=staff,
        resource_version=version,
        zone=svc.DataZone.objects.get(key="marine"),
        name="在港船舶动态",
        summary="到离港记录",
        update_frequency="daily",
    )
    form = {
        "zone": catalog.zone_id,
        "name": catalog.name,
        "summary": catalog.summary,
        "update_frequency": "daily",
        "sharing_type": "conditional",
        "open_type": "conditional",
    }
    for f in catalog.fields.all():
        form[f"f{f.position}-name_zh"] = f"中文{f.column}"
        form[f"f{f.position}-level"] = "1"
        form[f"f{f.position}-masking"] = "keep"
    mmsi = catalog.fields.get(column="mmsi").position
    form.update({f"f{mmsi}-level": "3", f"f{mmsi}-is_identifier": "on"})
    form[f"f{mmsi}-masking"] = "pseudonym"
    return catalog, form


def test_publishing_from_the_edit_page_publishes_the_grading_on_screen(client, tmp_path):
    """The grading edited on screen is what is published: "save and publish" saves it
    first, then asks for confirmation (it once published the old grading: a phone column
    set to L4/drop on screen went out as L1/keep)."""
    catalog, form = _draft_vessels(client, tmp_path)
    phone = catalog.fields.get(column="owner_phone").position
    form.update({f"f{phone}-level": "4", f"f{phone}-masking": "drop", "publish": "1"})
    response = client.post(f"/catalogs/{catalog.code}/edit/", form)
    assert response.status_code == 302
    assert response["Location"] == f"/catalogs/{catalog.code}/publish/"
    catalog.refresh_from_db()
    assert catalog.status == CatalogStatus.DRAFT  # not yet: the confirmation comes first
    page = client.get(response["Location"]).content.decode()
    assert "cannot be taken back to a draft" in page
    assert (
        'data-column="owner_phone"><td><code>owner_phone</code></td><td>中文owner_phone</td><td>L4'
        in page
    )
    assert client.post(response["Location"]).status_code == 302
    catalog.refresh_from_db()
    assert catalog.status == CatalogStatus.PUBLISHED
    frozen = {f["column"]: f for f in catalog.versions.get().snapshot["fields"]}
    assert (frozen["owner_phone"]["level"], frozen["owner_phone"]["masking"]) == (4, "drop")


def test_personal_data_is_flagged_on_the_edit_page_and_before_publishing(client, tmp_path):
    catalog, _form = _draft_vessels(client, tmp_path)
    edit = client.get(f"/catalogs/{catalog.code}/edit/").content.decode()
    assert '<tr data-column="owner_phone" data-personal="ungraded">' in edit
    assert '<tr data-column="tonnage">' in edit
    confirm = client.get(f"/catalogs/{catalog.code}/publish/").content.decode()
    assert 'data-column="owner_phone" data-personal="ungraded"' in confirm
    assert "suggested L4" in confirm


@pytest.mark.parametrize(
    ("language", "header", "no"),
    [("en", "Looks like personal data", "no"), ("zh-hans", "疑似个人信息", "否")],
)
def test_the_edit_page_answers_the_personal_data_column_for_every_field(
    client, tmp_path, language, header, no
):
    catalog, _form = _draft_vessels(client, tmp_path)

    edit = client.get(f"/catalogs/{catalog.code}/edit/", HTTP_ACCEPT_LANGUAGE=language)

    page = edit.content.decode()
    tonnage = page[page.index('<tr data-column="tonnage">') :]
    assert f"<th>{header}</th>" in page
    assert f'<td><span class="muted">{no}</span></td></tr>' in tonnage[: tonnage.index("</tr>") + 5]
    assert "?</th>" not in page and "？</th>" not in page


def test_only_staff_see_the_confirmation_and_only_a_draft_is_offered(client, tmp_path):
    staff = staff_user("op")
    published_vessel_catalog(staff, tmp_path)
    _org, developer = admitted_developer("海洋实验室", "lab", by=staff)
    client.force_login(developer)
    assert client.get("/catalogs/HY-0001/publish/").status_code == 404
    client.force_login(staff)
    page = client.get("/catalogs/HY-0001/publish/").content.decode()
    assert "Only a draft can be published" in page and "confirm-publish" not in page


def test_developer_searches_and_reads_the_detail(client, tmp_path):
    staff = staff_user("op")
    published_vessel_catalog(staff, tmp_path)
    _org, developer = admitted_developer("海洋实验室", "lab", by=staff)
    client.force_login(developer)
    page = client.get("/catalogs/", {"search": "船舶"}).content.decode()
    assert "HY-0001" in page and "/catalogs/resources/new/" not in page
    assert "HY-0001" not in client.get("/catalogs/", {"search": "浮标"}).content.decode()
    detail = client.get("/catalogs/HY-0001/").content.decode()
    assert "船东电话" in detail and detail.count("<tr>", detail.index('class="synthetic"')) >= 5
    assert client.get("/catalogs/HY-0001/edit/").status_code == 404
    assert client.post("/catalogs/HY-0001/withdraw/", {"reason": "x"}).status_code == 404


def test_a_bad_upload_in_the_portal_shows_the_reason(client, tmp_path):
    svc.zones_ensure_standard()
    client.force_login(staff_user("op"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n4,5\n")
    with open(bad, "rb") as handle:
        response = client.post(
            "/catalogs/resources/new/",
            {"provider": provider_org().pk, "name": "坏", "file": handle, "encoding": "auto"},
        )
    assert response.status_code == 200
    assert "line 3" in response.content.decode()


def test_provider_sees_its_own_draft(client, tmp_path):
    from operation.models import DataZone
    from tenants.services.organizations import member_create

    staff = staff_user("op")
    svc.zones_ensure_standard()
    provider = provider_org()
    source = vessel_csv(tmp_path / "d.csv", 20)
    version = svc.resource_register(
        by=staff, provider=provider, name="草稿", source=source, source_name="d.csv"
    )
    draft = svc.catalog_create(
        by=staff, resource_version=version, zone=DataZone.objects.get(key="marine"), name="草稿"
    )
    bureau = member_create(
        by=None,
        organization=provider,
        role="admin",
        user_fields={"username": "bureau", "email": "b@gov.cn", "password": "bureau-pass-123"},
    )
    client.force_login(bureau)
    assert client.get(f"/catalogs/{draft.code}/").status_code == 200
    _other_org, developer = admitted_developer("海洋实验室", "lab", by=staff)
    client.force_login(developer)
    assert client.get(f"/catalogs/{draft.code}/").status_code == 404


def test_type_overrides_in_the_portal(client, tmp_path):
    svc.zones_ensure_standard()
    client.force_login(staff_user("op"))
    source = tmp_path / "codes.csv"
    source.write_text("station_code,depth\n001,1\n002,2\n")
    with open(source, "rb") as handle:
        response = client.post(
            "/catalogs/resources/new/",
            {
                "provider": provider_org().pk,
                "name": "站点",
                "file": handle,
                "encoding": "auto",
                "types": "station_code:string, depth:number",
            },
        )
    assert response.status_code == 302
    from operation.models import ResourceVersion

    assert ResourceVersion.objects.get().schema == [
        {"name": "station_code", "type": "string"},
        {"name": "depth", "type": "number"},
    ]
    with open(source, "rb") as handle:
        response = client.post(
            "/catalogs/resources/new/",
            {
                "provider": provider_org().pk,
                "name": "站点",
                "file": handle,
                "encoding": "auto",
                "types": "station_code",
            },
        )
    assert response.status_code == 200 and response.context["form"].errors["types"]


def test_operator_staff_add_a_zone_through_the_api(tmp_path):
    from rest_framework.test import APIClient

    svc.zones_ensure_standard()
    client = APIClient()
    client.force_authenticate(staff_user("op"))
    response = client.post(
        "/api/v1/zones/",
        {"key": "fisheries", "code_prefix": "YY", "name": "渔业数据专区", "name_en": "Fisheries"},
        format="json",
    )
    assert response.status_code == 201
    assert "YY" in [z["code_prefix"] for z in client.get("/api/v1/zones/").json()]
    response = client.post(
        "/api/v1/zones/",
        {"key": "fish2", "code_prefix": "yy1", "name": "x", "name_en": "x"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["field"] == "code_prefix"
    _org, developer = admitted_developer("海洋实验室", "lab", by=staff_user("op"))
    client.force_authenticate(developer)
    response = client.post(
        "/api/v1/zones/",
        {"key": "evil", "code_prefix": "EV", "name": "x", "name_en": "x"},
        format="json",
    )
    assert response.status_code == 403


def test_the_list_shows_rows_update_dates_and_how_many_each_filter_finds(client, tmp_path):
    staff = staff_user("op")
    published_vessel_catalog(staff, tmp_path, rows=120)
    published_vessel_catalog(staff, tmp_path, rows=30, code="HY-0002")
    client.force_login(staff)

    page = client.get("/catalogs/", {"update_frequency": "daily"}).content.decode()

    assert 'data-rows="120"' in page and 'data-rows="30"' in page
    assert page.count("<td data-updated>") == 2
    zone = page[page.index('id="id_zone"') : page.index("</select>", page.index('id="id_zone"'))]
    assert "(2)</option>" in zone
    level = page[page.index('id="id_level"') : page.index("</select>", page.index('id="id_level"'))]
    assert "(0)</option>" in level
    nothing = client.get("/catalogs/", {"search": "不存在的词"}).content.decode()
    zone = nothing[nothing.index('id="id_zone"') :]
    assert "(2)</option>" not in zone[: zone.index("</select>")]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_row_counts_are_grouped_by_thousands_on_the_catalog_pages(client, tmp_path, language):
    staff = staff_user("op")
    catalog = published_vessel_catalog(staff, tmp_path, rows=1200)
    client.force_login(staff)

    listing = client.get("/catalogs/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    detail = client.get(f"/catalogs/{catalog.code}/", HTTP_ACCEPT_LANGUAGE=language)

    assert 'data-rows="1200">1,200</td>' in listing
    assert "<dd>1,200</dd>" in detail.content.decode()
    assert "1200" not in detail.content.decode()


def _select(page: str, field: str) -> str:
    start = page.index(f'id="id_{field}"')
    return page[start : page.index("</select>", start)]


def test_zones_and_catalogs_are_named_in_the_readers_language(client, tmp_path):
    staff = staff_user("op")
    catalog = published_vessel_catalog(staff, tmp_path)  # 海洋数据专区 / Marine
    client.force_login(staff)
    pages = {
        language: {
            url: client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            for url in (
                "/catalogs/",
                f"/catalogs/{catalog.code}/",
                f"/catalogs/{catalog.code}/edit/",
            )
        }
        for language in ("en", "zh-hans")
    }

    listing, detail, edit = pages["en"].values()
    assert "<td>Marine</td>" in listing and '<option value="marine">Marine (1)</option>' in listing
    assert ">Vessels in port</a><br><small>在港船舶动态</small>" in listing
    assert "<h1>HY-0001 Vessels in port</h1>\n<p>在港船舶动态</p>" in detail
    assert "<dd>Marine</dd>" in detail
    assert "selected>Marine</option>" in _select(edit, "zone")
    assert all("海洋数据专区" not in page for page in pages["en"].values())

    listing, detail, edit = pages["zh-hans"].values()
    assert "<td>海洋数据专区</td>" in listing
    assert '<option value="marine">海洋数据专区（1）</option>' in listing
    assert ">在港船舶动态</a><br><small>Vessels in port</small>" in listing
    assert "<h1>HY-0001 在港船舶动态</h1>\n<p>Vessels in port</p>" in detail
    assert "<dd>海洋数据专区</dd>" in detail
    assert "selected>海洋数据专区</option>" in _select(edit, "zone")
    assert all("Marine" not in page for page in pages["zh-hans"].values())


def test_a_refused_edit_keeps_the_grading_typed_into_the_table(client, tmp_path):
    """A refusal (an L4 field kept) shows the page again with every field as typed: the
    names, levels, masking and generalization the user entered are not thrown away."""
    catalog, form = _draft_vessels(client, tmp_path)
    phone = catalog.fields.get(column="owner_phone").position
    berth = catalog.fields.get(column="berth").position
    form.update({f"f{phone}-level": "4", f"f{berth}-description": "泊位编号"})
    form[f"f{berth}-generalize"] = "band:10"
    response = client.post(f"/catalogs/{catalog.code}/edit/", form)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="中文owner_phone"' in page and 'value="泊位编号"' in page
    assert 'value="band:10"' in page
    phone_row = page.split('data-column="owner_phone"')[1].split("</tr>")[0]
    assert '<option value="4" selected>' in phone_row
    assert catalog.fields.get(column="owner_phone").name_zh != "中文owner_phone"  # not saved
