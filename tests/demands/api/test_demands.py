"""The demand list through the API: public summary, filing, triage, answer, pipeline."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from demands.services import demands as svc
from tests.demands.factories import PURPOSE, filed_demand
from tests.factories import published_vessel_catalog

pytestmark = pytest.mark.django_db


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_filing_through_the_api(parties):
    _staff, lab, _provider, _bureau = parties
    response = _client(lab).post(
        "/api/v1/demands/",
        {
            "title": "水质监测",
            "fields_wanted": "溶解氧, pH",
            "purpose": PURPOSE,
            "legal_basis": "授权运营协议",
            "zone": "marine",
            "urgency": "urgent",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["zone"], body["organization"]) == ("open", "marine", "海洋实验室")
    assert [e["kind"] for e in body["events"]] == ["filed"]


def test_filing_refuses_bad_choices(parties):
    _staff, lab, _provider, _bureau = parties
    response = _client(lab).post(
        "/api/v1/demands/",
        {"title": "x", "fields_wanted": "y", "purpose": "z", "legal_basis": "w", "urgency": "now"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "urgency"


def test_the_public_list_answers_anonymous_callers(parties):
    _staff, lab, _provider, _bureau = parties
    demand = filed_demand(lab)
    rows = _client().get("/api/v1/demands/").json()["results"]
    assert [row["number"] for row in rows] == [demand.number]
    assert _client().post("/api/v1/demands/", {}, format="json").status_code in (401, 403)


def test_triage_and_answer_through_the_api(parties, tmp_path):
    staff, lab, provider, bureau = parties
    catalog = published_vessel_catalog(staff, tmp_path)
    demand = filed_demand(lab, title="船舶到港", fields_wanted="泊位")
    staff_api, provider_api = _client(staff), _client(bureau)
    suggested = staff_api.get(f"/api/v1/demands/{demand.pk}/suggestions/").json()
    assert [c["code"] for c in suggested] == [catalog.code]
    body = staff_api.post(
        f"/api/v1/demands/{demand.pk}/assign/", {"provider": provider.pk}, format="json"
    ).json()
    assert (body["status"], body["provider"]) == ("assigned", provider.name)
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    body = provider_api.post(
        f"/api/v1/demands/{demand.pk}/answer/",
        {"will_publish": True, "due_date": due},
        format="json",
    ).json()
    assert (body["status"], body["due_date"], body["organization"]) == ("promised", due, None)
    body = staff_api.post(
        f"/api/v1/demands/{demand.pk}/match/", {"catalog": catalog.code}, format="json"
    ).json()
    assert (body["status"], body["catalogs"]) == ("matched", [catalog.code])
    steps = [e["kind"] for e in _client(lab).get(f"/api/v1/demands/{demand.pk}/").json()["events"]]
    assert steps == ["filed", "assigned", "promised", "matched"]


def test_block_and_merge_through_the_api(parties):
    staff, lab, _provider, _bureau = parties
    kept, duplicate = filed_demand(lab), filed_demand(lab)
    api = _client(staff)
    body = api.post(f"/api/v1/demands/{kept.pk}/block/", {"reason": "未归集"}, format="json")
    assert body.json()["status"] == "blocked"
    body = api.post(f"/api/v1/demands/{duplicate.pk}/merge/", {"into": kept.pk}, format="json")
    assert (body.json()["status"], body.json()["merged_into"]) == ("merged", kept.pk)


def test_the_pipeline_through_the_api(parties):
    staff, lab, _provider, _bureau = parties
    svc.demand_block(by=staff, demand=filed_demand(lab), reason="缺数据")
    body = _client(staff).get("/api/v1/demands/pipeline/").json()
    assert {row["status"]: row["count"] for row in body["by_status"]}["blocked"] == 1
    assert body["age"]["active"] == 1
    assert _client(lab).get("/api/v1/demands/pipeline/").status_code == 404


def test_the_schema_documents_the_demand_list(parties):
    _staff, lab, _provider, _bureau = parties
    schema = _client(lab).get("/api/schema/?format=json").json()
    assert "/api/v1/demands/" in schema["paths"]
    assert "/api/v1/demands/{id}/answer/" in schema["paths"]


def test_the_public_list_takes_the_same_queries_whatever_its_length(
    parties, django_assert_max_num_queries
):
    staff, lab, provider, _bureau = parties
    svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    with django_assert_max_num_queries(3):
        assert len(_client().get("/api/v1/demands/").json()["results"]) == 1
    for _ in range(4):
        svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    with django_assert_max_num_queries(3):
        assert len(_client().get("/api/v1/demands/").json()["results"]) == 5
