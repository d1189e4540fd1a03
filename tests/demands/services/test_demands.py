"""The demand list's services: filing, triage, answers, merging, and the link made when an
awaited catalog is published."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent, Notification
from demands.models import DemandStatus, EventKind
from demands.selectors import catalog_suggestions, demand_shown, pipeline
from demands.services import demands as svc
from operation.services.catalogs import catalog_publish, catalog_withdraw
from tests.demands.factories import draft_vessel_catalog, filed_demand, provider_member
from tests.factories import admitted_developer, published_vessel_catalog

pytestmark = pytest.mark.django_db


def _steps(demand) -> list[str]:
    return list(demand.events.values_list("kind", flat=True))


def _told(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("subject", flat=True))


def test_a_member_files_a_demand_for_their_organization(parties):
    _staff, lab, _provider, _bureau = parties
    demand = filed_demand(lab)
    assert demand.organization == lab.membership.organization
    assert demand.status == DemandStatus.OPEN
    assert _steps(demand) == [EventKind.FILED]
    assert AuditEvent.objects.filter(action="demand.filed", target_id=str(demand.pk)).exists()


def test_someone_of_no_organization_cannot_file():
    loner = get_user_model().objects.create_user("loner", password="x-123456789")
    with pytest.raises(PermissionRefused):
        filed_demand(loner)


def test_a_demand_needs_its_purpose_and_legal_basis(parties):
    _staff, lab, _provider, _bureau = parties
    with pytest.raises(InvalidInput) as refused:
        filed_demand(lab, legal_basis="  ")
    assert refused.value.field == "legal_basis"


def test_only_operator_staff_assign(parties):
    _staff, lab, provider, bureau = parties
    demand = filed_demand(lab)
    for someone in (lab, bureau):
        with pytest.raises(PermissionRefused):
            svc.demand_assign(by=someone, demand=demand, provider=provider)


def test_assigning_tells_the_provider_and_the_demander(parties):
    staff, lab, provider, bureau = parties
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider, note="请评估")
    assert demand.status == DemandStatus.ASSIGNED
    assert demand.provider == provider
    assert _told(bureau) and _told(lab)
    assert "XQ-" in _told(bureau)[0]


def test_a_demand_is_assigned_to_a_provider_only(parties):
    staff, lab, _provider, _bureau = parties
    with pytest.raises(InvalidInput):
        svc.demand_assign(by=staff, demand=filed_demand(lab), provider=lab.membership.organization)


def test_only_the_assigned_provider_answers(parties):
    staff, lab, provider, _bureau = parties
    _other, weather = provider_member("weather", "市气象局")
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    tomorrow = timezone.localdate() + timedelta(days=1)
    for someone in (weather, lab, staff):
        with pytest.raises(PermissionRefused):
            svc.demand_answer(by=someone, demand=demand, will_publish=True, due_date=tomorrow)


def test_the_provider_promises_a_date(parties):
    staff, lab, provider, bureau = parties
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    with pytest.raises(InvalidInput) as refused:
        svc.demand_answer(by=bureau, demand=demand, will_publish=True)
    assert refused.value.field == "due_date"
    due = timezone.localdate() + timedelta(days=30)
    demand = svc.demand_answer(by=bureau, demand=demand, will_publish=True, due_date=due)
    assert (demand.status, demand.due_date) == (DemandStatus.PROMISED, due)
    assert _steps(demand)[-1] == EventKind.PROMISED


def test_the_provider_cannot_supply_and_says_why(parties):
    staff, lab, provider, bureau = parties
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    with pytest.raises(InvalidInput):
        svc.demand_answer(by=bureau, demand=demand, will_publish=False)
    demand = svc.demand_answer(by=bureau, demand=demand, will_publish=False, reason="未采集")
    assert (demand.status, demand.reason) == (DemandStatus.DECLINED, "未采集")
    with pytest.raises(Conflict):
        svc.demand_answer(by=bureau, demand=demand, will_publish=False, reason="again")


def test_matching_a_published_catalog_matches_at_once(parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    catalog = published_vessel_catalog(staff, tmp_path)
    demand = svc.demand_match(by=staff, demand=filed_demand(lab), catalog=catalog)
    assert demand.status == DemandStatus.MATCHED
    assert list(demand.catalogs.all()) == [catalog]
    with pytest.raises(Conflict):
        svc.demand_match(by=staff, demand=demand, catalog=catalog)


def test_an_awaited_catalog_matches_the_demand_when_published(parties, tmp_path):
    staff, lab, provider, bureau = parties
    catalog = draft_vessel_catalog(staff, tmp_path, provider)
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    due = timezone.localdate() + timedelta(days=7)
    demand = svc.demand_answer(
        by=bureau, demand=demand, will_publish=True, due_date=due, catalog=catalog
    )
    assert demand.awaited_catalog == catalog
    told_before = len(_told(lab))

    catalog_publish(by=staff, catalog=catalog)

    demand.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED
    assert list(demand.catalogs.all()) == [catalog]
    assert demand.awaited_catalog is None
    assert _steps(demand)[-1] == EventKind.PUBLISHED
    assert len(_told(lab)) == told_before + 1
    assert AuditEvent.objects.filter(action="demand.published").exists()


def test_naming_an_already_published_catalog_matches_at_once(parties, tmp_path):
    staff, lab, provider, bureau = parties
    catalog = catalog_publish(by=staff, catalog=draft_vessel_catalog(staff, tmp_path, provider))
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    told_before = len(_told(lab))
    due = timezone.localdate() + timedelta(days=7)

    demand = svc.demand_answer(
        by=bureau, demand=demand, will_publish=True, due_date=due, catalog=catalog
    )

    demand.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED
    assert list(demand.catalogs.all()) == [catalog]
    assert demand.awaited_catalog is None
    assert _steps(demand)[-2:] == [EventKind.PROMISED, EventKind.MATCHED]
    assert len(_told(lab)) == told_before + 1
    assert AuditEvent.objects.filter(action="demand.matched", target_id=str(demand.pk)).exists()


def test_a_withdrawn_catalog_cannot_be_promised(parties, tmp_path):
    staff, lab, provider, bureau = parties
    catalog = catalog_publish(by=staff, catalog=draft_vessel_catalog(staff, tmp_path, provider))
    catalog_withdraw(by=staff, catalog=catalog, reason="数据源停用")
    demand = svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    due = timezone.localdate() + timedelta(days=7)
    with pytest.raises(InvalidInput) as refused:
        svc.demand_answer(
            by=bureau, demand=demand, will_publish=True, due_date=due, catalog=catalog
        )
    assert refused.value.field == "catalog"
    demand.refresh_from_db()
    assert (demand.status, demand.awaited_catalog) == (DemandStatus.ASSIGNED, None)


def test_staff_may_await_a_draft_catalog(parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    catalog = draft_vessel_catalog(staff, tmp_path)
    demand = svc.demand_match(by=staff, demand=filed_demand(lab), catalog=catalog)
    assert (demand.status, demand.awaited_catalog) == (DemandStatus.OPEN, catalog)
    catalog_publish(by=staff, catalog=catalog)
    demand.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED


def test_a_blockage_needs_a_reason_and_an_unmet_demand(parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    demand = filed_demand(lab)
    with pytest.raises(InvalidInput):
        svc.demand_block(by=staff, demand=demand, reason="")
    demand = svc.demand_block(by=staff, demand=demand, reason="数据未归集到共享平台")
    assert demand.status == DemandStatus.BLOCKED
    matched = svc.demand_match(
        by=staff, demand=filed_demand(lab), catalog=published_vessel_catalog(staff, tmp_path)
    )
    with pytest.raises(Conflict):
        svc.demand_block(by=staff, demand=matched, reason="x")


def test_a_merged_duplicate_follows_the_kept_demand(parties):
    staff, lab, provider, _bureau = parties
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff)
    kept = filed_demand(lab)
    duplicate = filed_demand(insurer, title="浮标观测数据")
    duplicate = svc.demand_merge(by=staff, demand=duplicate, into=kept)
    assert (duplicate.status, duplicate.merged_into) == (DemandStatus.MERGED, kept)
    shown = demand_shown(insurer, kept.pk)
    assert shown.timeline and shown.demander
    assert not shown.details and not shown.requester

    svc.demand_assign(by=staff, demand=kept, provider=provider)
    assert any("XQ-" in subject for subject in _told(insurer))
    with pytest.raises(InvalidInput):
        svc.demand_merge(by=staff, demand=kept, into=kept)
    with pytest.raises(Conflict):
        svc.demand_merge(by=staff, demand=filed_demand(lab), into=duplicate)


def test_suggestions_come_from_catalog_titles_fields_and_keywords(parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    catalog = published_vessel_catalog(staff, tmp_path)
    demand = filed_demand(lab, title="港口船舶到港数据", fields_wanted="泊位, 到港时间")
    assert catalog_suggestions(staff, demand) == [catalog]
    assert catalog_suggestions(staff, filed_demand(lab, title="降水", fields_wanted="雨量")) == []


def test_the_pipeline_counts_by_status_zone_and_provider(parties):
    staff, lab, provider, _bureau = parties
    filed_demand(lab)
    svc.demand_assign(by=staff, demand=filed_demand(lab), provider=provider)
    svc.demand_block(by=staff, demand=filed_demand(lab), reason="缺少数据")
    figures = pipeline(staff)
    counts = {row["status"]: row["count"] for row in figures["by_status"]}
    assert (counts["open"], counts["assigned"], counts["blocked"]) == (1, 1, 1)
    assert figures["age"]["active"] == 3
    providers = {row["name"]: row["total"] for row in figures["by_provider"]}
    assert providers == {None: 2, provider.name: 1}


def test_a_withdrawn_catalog_sends_the_demands_it_met_back_to_the_list(parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    catalog = published_vessel_catalog(staff, tmp_path)
    demand = svc.demand_match(by=staff, demand=filed_demand(lab), catalog=catalog)
    blocked = svc.demand_block(by=staff, demand=filed_demand(lab, title="船舶轨迹"), reason="无源")
    told_before = len(_told(lab))

    catalog_withdraw(by=staff, catalog=catalog, reason="数据质量问题")

    demand.refresh_from_db()
    assert demand.status == DemandStatus.OPEN and demand.reason == ""  # not the public's
    assert list(demand.catalogs.all()) == []
    assert _steps(demand)[-1] == EventKind.WITHDRAWN
    assert demand.events.last().catalog == catalog
    told = _told(lab)
    assert len(told) == told_before + 1 and demand.number in told[0]  # newest first
    assert "数据质量问题" not in demand.events.last().note
    assert not Notification.objects.filter(recipient=lab, body__contains="数据质量问题").exists()
    event = AuditEvent.objects.get(action="demand.withdrawn", target_id=str(demand.pk))
    assert event.actor == staff and event.details["catalog"] == catalog.code
    assert demand in svc.Demand.objects.filter(status=DemandStatus.OPEN)  # triaged again
    svc.demand_assign(by=staff, demand=demand, provider=parties[2])
    blocked.refresh_from_db()
    assert blocked.status == DemandStatus.BLOCKED  # not matched to it: untouched


def test_a_demand_met_by_another_published_catalog_stays_matched(parties, tmp_path):
    staff, lab, _provider, _bureau = parties
    first = published_vessel_catalog(staff, tmp_path)
    second = published_vessel_catalog(staff, tmp_path, code="HY-0002")
    demand = svc.demand_match(by=staff, demand=filed_demand(lab), catalog=first)
    demand = svc.demand_match(by=staff, demand=demand, catalog=second)

    catalog_withdraw(by=staff, catalog=first, reason="合并入HY-0002")

    demand.refresh_from_db()
    assert demand.status == DemandStatus.MATCHED
    assert list(demand.catalogs.all()) == [second]
    assert _steps(demand)[-1] == EventKind.WITHDRAWN  # the demander still hears of it


@pytest.mark.django_db(transaction=True)
def test_staff_matching_a_draft_while_it_is_published_matches_it(parties, tmp_path, monkeypatch):
    """A match made while the awaited catalog's publication commits waits for it and
    matches at once, instead of awaiting a publication that has already looked for it."""
    import threading
    import time

    from django.db import connection

    from operation.services import catalogs as catalog_svc

    staff, lab, _provider, _bureau = parties
    catalog = draft_vessel_catalog(staff, tmp_path)
    demand = filed_demand(lab)
    announce = catalog_svc.hooks.announce

    def announce_then_linger(name, **kwargs):
        announce(name, **kwargs)
        if name == catalog_svc.hooks.CATALOG_PUBLISHED:
            time.sleep(0.5)  # committed after the match has looked, unless the match waits

    monkeypatch.setattr(catalog_svc.hooks, "announce", announce_then_linger)

    def publish():
        try:
            catalog_publish(by=staff, catalog=catalog)
        finally:
            connection.close()

    publishing = threading.Thread(target=publish)
    publishing.start()
    time.sleep(0.2)
    svc.demand_match(by=staff, demand=demand, catalog=catalog)
    publishing.join()
    demand.refresh_from_db()
    assert (demand.status, demand.awaited_catalog) == (DemandStatus.MATCHED, None)
