"""The demand list's portal pages: filing, the public list, a demand's page for each party,
triage and answer forms, the pipeline, and filing a scenario from a matched catalog."""

from datetime import timedelta

import pytest
from django.utils import timezone

from demands.models import Demand, DemandStatus
from demands.services import demands as svc
from operation.models import DataZone
from operation.services.catalogs import catalog_withdraw
from tests.demands.factories import PURPOSE, filed_demand
from tests.factories import published_vessel_catalog

pytestmark = pytest.mark.django_db


def test_a_member_files_a_demand_from_the_form(client, parties):
    _staff, lab, _provider, _bureau = parties
    client.force_login(lab)
    response = client.post(
        "/demands/new/",
        {
            "title": "赤潮浮标观测",
            "fields_wanted": "叶绿素a, 溶解氧",
            "zone": "",
            "area": "厦门湾",
            "period": "近三年",
            "update_frequency": "daily",
            "purpose": PURPOSE,
            "legal_basis": "授权运营协议",
            "urgency": "urgent",
        },
    )
    demand = Demand.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/demands/{demand.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "赤潮浮标观测" in page and PURPOSE in page and "海洋实验室" in page
    assert 'data-step="filed"' in page


def test_the_public_list_needs_no_login_and_filters_by_status(client, parties):
    staff, lab, _provider, _bureau = parties
    filed_demand(lab, title="公开需求甲")
    svc.demand_block(by=staff, demand=filed_demand(lab, title="受阻需求乙"), reason="未归集")
    page = client.get("/demands/").content.decode()
    assert "公开需求甲" in page and "受阻需求乙" in page
    blocked = client.get("/demands/?status=blocked").content.decode()
    assert "受阻需求乙" in blocked and "公开需求甲" not in blocked


def test_staff_triage_from_the_demand_page(client, parties, tmp_path):
    staff, lab, provider, _bureau = parties
    catalog = published_vessel_catalog(staff, tmp_path)
    demand = filed_demand(lab, title="港口船舶到港数据", fields_wanted="泊位, 到港时间")
    client.force_login(staff)
    page = client.get(f"/demands/{demand.pk}/").content.decode()
    assert f'<li data-catalog="{catalog.code}">' in page  # suggested
    client.post(f"/demands/{demand.pk}/assign/", {"provider": provider.pk, "note": "请答复"})
    demand.refresh_from_db()
    assert (demand.status, demand.provider) == (DemandStatus.ASSIGNED, provider)
    client.post(f"/demands/{demand.pk}/match/", {"catalog": catalog.code})
    demand.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED


def test_a_developer_cannot_triage_their_own_demand(client, parties):
    _staff, lab, provider, _bureau = parties
    demand = filed_demand(lab)
    client.force_login(lab)
    page = client.get(f"/demands/{demand.pk}/").content.decode()
    assert 'id="triage"' not in page
    response = client.post(f"/demands/{demand.pk}/assign/", {"provider": provider.pk})
    assert response.status_code == 403
    demand.refresh_from_db()
    assert demand.status == DemandStatus.OPEN


def test_the_provider_answers_from_the_demand_page(client, parties):
    staff, lab, provider, bureau = parties
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    client.force_login(bureau)
    page = client.get(f"/demands/{demand.pk}/").content.decode()
    assert 'id="answer-form"' in page
    assert PURPOSE in page and "海洋实验室" not in page  # the provider never sees who asks
    due = timezone.localdate() + timedelta(days=20)
    client.post(f"/demands/{demand.pk}/answer/", {"answer": "will", "due_date": due.isoformat()})
    demand.refresh_from_db()
    assert (demand.status, demand.due_date) == (DemandStatus.PROMISED, due)
    assert demand.pk in [d.pk for d in client.get("/demands/mine/").context["assigned"]]


def test_a_matched_catalog_offers_to_file_a_scenario_prefilled(client, parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    catalog = published_vessel_catalog(staff, tmp_path)
    demand = svc.demand_match(by=staff, demand=filed_demand(lab), catalog=catalog)
    client.force_login(lab)
    page = client.get(f"/demands/{demand.pk}/").content.decode()
    link = f"/scenario-types/new/?catalog={catalog.code}"
    assert link in page
    form = client.get(link).content.decode()
    assert f'name="scope-{catalog.code}" value="berth" checked' in form
    assert f'name="scope-{catalog.code}" value="owner_phone" checked' not in form


def test_the_pipeline_is_for_staff_and_auditors(client, parties):
    staff, lab, provider, bureau = parties
    svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    client.force_login(staff)
    page = client.get("/demands/pipeline/").content.decode()
    assert provider.name in page and 'data-figure="active">1<' in page
    for outsider in (lab, bureau):
        client.force_login(outsider)
        assert client.get("/demands/pipeline/").status_code == 404


def test_the_demander_sees_a_withdrawn_catalog_send_the_demand_back(client, parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    catalog = published_vessel_catalog(staff, tmp_path)
    demand = svc.demand_match(by=staff, demand=filed_demand(lab), catalog=catalog)
    catalog_withdraw(by=staff, catalog=catalog, reason="数据质量问题")

    client.force_login(lab)
    for language, status, step in (
        ("en", "Awaiting triage", "Matched catalog withdrawn"),
        ("zh-hans", "待分派", "匹配的目录已撤回"),
    ):
        page = client.get(f"/demands/{demand.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'data-status="{DemandStatus.OPEN}"' in page
        assert status in page.split('id="demand-status"')[1].split("</span>")[0], language
        timeline = page.split('id="demand-timeline"')[1].split("</ol>")[0]
        last = timeline.split('data-step="')[-1]
        assert last.startswith("withdrawn") and step in last
        assert "数据质量问题" not in page  # the withdrawal's reason is not the demand's
        assert catalog.code in last, language
        matched = page.split('id="matched"')[1].split("</section>")[0]
        assert 'data-action="file-scenario"' not in matched


def test_zones_and_catalogs_are_named_in_the_readers_language(client, parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    catalog = published_vessel_catalog(staff, tmp_path)  # 在港船舶动态 / Vessels in port
    marine = DataZone.objects.get(key="marine")  # 海洋数据专区 / Marine
    demand = svc.demand_match(by=staff, demand=filed_demand(lab, zone=marine), catalog=catalog)
    filed_demand(lab, zone=marine, title="赤潮浮标观测")  # in progress: on the pipeline
    client.force_login(staff)
    for language, zone, other_zone, name in (
        ("en", "Marine", "海洋数据专区", "Vessels in port"),
        ("zh-hans", "海洋数据专区", "Marine", "在港船舶动态"),
    ):
        listing, detail, pipeline = (
            client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            for url in ("/demands/", f"/demands/{demand.pk}/", "/demands/pipeline/")
        )
        assert f"<td>{zone}</td>" in listing, language
        assert f'<option value="marine">{zone}</option>' in listing, language
        assert f"<dd>{zone}</dd>" in detail, language
        matched = detail.split('id="matched"')[1].split("</section>")[0]
        assert f"{catalog.code} {name}</a>" in matched, language
        zones = pipeline.split('id="pipeline-zones"')[1].split("</table>")[0]
        assert f'<th scope="row">{zone}</th>' in zones, language
        assert all(other_zone not in page for page in (listing, detail, pipeline)), language
