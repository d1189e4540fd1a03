import datetime

import duckdb
import pytest

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from core.storage import data_path
from scenarios.agreement import AGREEMENT_SHA256
from scenarios.models import ScenarioStatus, WorkspaceStatus
from scenarios.services import scenarios as svc
from scenarios.services.types import scenario_type_revoke
from scenarios.workspace import pseudonym_of
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, approved_type, staff_user, submitted_developer

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def apply(by, scenario_type, scope=None, **overrides):
    fields = {
        "name": "厦门港拥堵分析",
        "purpose": "泊位利用率",
        "responsible_person": "王五",
        "period_start": TODAY,
        "period_end": TODAY + datetime.timedelta(days=30),
        "scope": scope or {"HY-0001": ["mmsi", "berth"]},
        "agreement_sha256": AGREEMENT_SHA256,
    }
    fields.update(overrides)
    return svc.scenario_apply(by=by, scenario_type=scenario_type, **fields)


@pytest.fixture
def approved(tmp_path):
    return approved_type(tmp_path)


def rows(workspace, code):
    path = data_path(workspace.path) / f"{code}.parquet"
    return duckdb.sql("SELECT * FROM read_parquet($p)", params={"p": str(path)})


def test_inside_the_scope_a_second_organization_is_authorized_on_filing(
    approved, django_capture_on_commit_callbacks
):
    scenario_type, _proposer = approved
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(insurer, scenario_type)
    assert scenario.status == ScenarioStatus.AUTHORIZED
    assert scenario.scope_version == 1
    event = AuditEvent.objects.get(action="scenario.file")
    assert event.details["scenario_type"] == scenario_type.pk and event.details["on_filing"]
    workspace = scenario.workspaces.get()
    assert workspace.status == WorkspaceStatus.READY, workspace.reason
    table = rows(workspace, "HY-0001")
    assert table.columns == ["mmsi", "berth"]  # only the authorized fields
    assert workspace.manifest["tables"]["HY-0001"]["rows"] == 200


def test_workspace_masks_pseudonyms_generalizes_and_never_copies_other_fields(
    tmp_path, django_capture_on_commit_callbacks
):
    scope = {"HY-0001": ["mmsi", "vessel_type", "arrival_time", "tonnage"]}
    scenario_type, proposer = approved_type(tmp_path, scope=scope)
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(proposer, scenario_type, scope=scope)
    workspace = scenario.workspaces.get()
    table = rows(workspace, "HY-0001")
    assert set(table.columns) == set(scope["HY-0001"])
    values = table.fetchall()
    mmsis = {row[table.columns.index("mmsi")] for row in values}
    assert pseudonym_of(412000007, scenario.pseudonym_key) in mmsis
    assert not any(str(v).startswith("412") for v in mmsis)
    times = {row[table.columns.index("arrival_time")] for row in values}
    assert all(t.minute == 0 for t in times)  # generalized to the hour (data has :15)
    tonnages = {row[table.columns.index("tonnage")] for row in values}
    assert all(t % 1000 == 0 for t in tonnages)  # banded by 1000
    folder = data_path(workspace.path)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["HY-0001.parquet", "manifest.json"]
    assert scenario.pseudonym_key not in (folder / "manifest.json").read_text()


def test_a_workspace_with_generalized_fields_does_not_keep_its_sources_row_order(
    tmp_path, django_capture_on_commit_callbacks
):
    """Rows in the source's order would give away what the generalization hides (which
    port call came first within an hour, a band): the workspace's rows are shuffled."""
    scope = {"HY-0001": ["mmsi", "arrival_time"]}
    scenario_type, proposer = approved_type(tmp_path, scope=scope)
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(proposer, scenario_type, scope=scope)
    table = rows(scenario.workspaces.get(), "HY-0001")
    found = [row[table.columns.index("mmsi")] for row in table.fetchall()]
    in_source_order = [pseudonym_of(412000000 + n, scenario.pseudonym_key) for n in range(200)]
    assert sorted(found) == sorted(in_source_order) and found != in_source_order


def test_pseudonyms_are_equal_within_and_different_across_scenarios(
    approved, django_capture_on_commit_callbacks
):
    scenario_type, proposer = approved
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    with django_capture_on_commit_callbacks(execute=True):
        first = apply(proposer, scenario_type)
        second = apply(insurer, scenario_type)
    a = {r[0] for r in rows(first.workspaces.get(), "HY-0001").fetchall()}
    b = {r[0] for r in rows(second.workspaces.get(), "HY-0001").fetchall()}
    assert len(a) == len(b) == 200
    assert not a & b
    assert pseudonym_of("412000001", first.pseudonym_key) == pseudonym_of(
        412000001, first.pseudonym_key
    )


def test_beyond_the_scope_goes_to_review_and_approval_extends_the_type(
    approved, django_capture_on_commit_callbacks
):
    scenario_type, proposer = approved
    scope = {"HY-0001": ["mmsi", "tonnage"]}  # tonnage is beyond the approved scope
    scenario = apply(proposer, scenario_type, scope=scope)
    assert scenario.status == ScenarioStatus.PENDING_REVIEW
    assert not scenario.workspaces.exists()
    first, second = (staff_user(n, PlatformRole.REVIEWER) for n in ("r3", "r4"))
    svc.scenario_amendment_review(by=first, scenario=scenario, decision="approve")
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.PENDING_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        svc.scenario_amendment_review(by=second, scenario=scenario, decision="approve")
    scenario.refresh_from_db()
    scenario_type.refresh_from_db()
    assert scenario.status == ScenarioStatus.AUTHORIZED and scenario.scope_version == 2
    assert "tonnage" in scenario_type.scope.get().columns


def test_a_rejected_amendment_authorizes_nothing(approved):
    scenario_type, proposer = approved
    scenario = apply(proposer, scenario_type, scope={"HY-0001": ["tonnage"]})
    reviewer = staff_user("r3", PlatformRole.REVIEWER)
    with pytest.raises(InvalidInput, match="reason"):
        svc.scenario_amendment_review(by=reviewer, scenario=scenario, decision="reject")
    svc.scenario_amendment_review(
        by=reviewer, scenario=scenario, decision="reject", comment="超范围"
    )
    scenario.refresh_from_db()
    scenario_type.refresh_from_db()
    assert scenario.status == ScenarioStatus.REJECTED
    assert "tonnage" not in scenario_type.scope.get().columns


def test_application_refusals(approved):
    scenario_type, proposer = approved
    _org, applying = submitted_developer("申请中公司", "applying")
    with pytest.raises(PermissionRefused):
        apply(applying, scenario_type)
    with pytest.raises(InvalidInput, match="agreement"):
        apply(proposer, scenario_type, agreement_sha256="0" * 64)
    with pytest.raises(InvalidInput, match="validity"):
        apply(proposer, scenario_type, period_end=scenario_type.valid_until + datetime.timedelta(1))
    with pytest.raises(InvalidInput, match="L4 or dropped"):
        apply(proposer, scenario_type, scope={"HY-0001": ["owner_phone"]})


def test_an_expired_type_files_nothing(tmp_path):
    scenario_type, proposer = approved_type(tmp_path)
    scenario_type.valid_until = TODAY - datetime.timedelta(days=1)
    scenario_type.save()
    with pytest.raises(Conflict, match="not valid today"):
        apply(proposer, scenario_type, period_end=TODAY)


def test_lifecycle_and_cascade_from_a_revoked_type(approved, django_capture_on_commit_callbacks):
    scenario_type, proposer = approved
    operator = staff_user("op")
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(proposer, scenario_type)
    with pytest.raises(PermissionRefused):
        svc.scenario_transition(by=proposer, scenario=scenario, action="suspend", reason="x")
    svc.scenario_transition(by=operator, scenario=scenario, action="suspend", reason="违规")
    with pytest.raises(Conflict):
        svc.scenario_transition(by=operator, scenario=scenario, action="suspend", reason="x")
    svc.scenario_transition(by=operator, scenario=scenario, action="reinstate")
    folder = data_path(scenario.workspaces.get().path)
    assert folder.is_dir()
    with django_capture_on_commit_callbacks(execute=True):
        scenario_type_revoke(by=operator, scenario_type=scenario_type, reason="政策调整")
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.REVOKED
    assert scenario.workspaces.get().status == WorkspaceStatus.DESTROYED
    assert not folder.exists()


def test_scenarios_expire_after_their_period(approved):
    scenario_type, proposer = approved
    scenario = apply(proposer, scenario_type)
    assert svc.scenarios_expire(today=scenario.period_end + datetime.timedelta(days=1)) == 1
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.EXPIRED
    assert AuditEvent.objects.filter(action="scenario.expire", actor_username="system").exists()


def test_suspending_or_revoking_an_organization_cascades(approved, mailoutbox):
    from tenants.services.admission import admission_revoke, admission_suspend

    scenario_type, proposer = approved
    operator = staff_user("op")
    scenario = apply(proposer, scenario_type)
    application = proposer.membership.organization.admission
    admission_suspend(by=operator, application=application, reason="违规")
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SUSPENDED and scenario.reason == "违规"
    admission_revoke(by=operator, application=application, reason="严重违规")
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.REVOKED
    assert AuditEvent.objects.filter(action="scenario.revoke", target_id=str(scenario.pk)).exists()


def test_an_organization_reinstated_brings_back_the_scenarios_its_suspension_suspended(approved):
    from core.models import Notification
    from tenants.services.admission import admission_reinstate, admission_suspend

    scenario_type, proposer = approved
    operator = staff_user("op")
    returning = apply(proposer, scenario_type)
    held_by_staff = apply(proposer, scenario_type, name="港区夜间作业")
    ended = apply(proposer, scenario_type, name="短期")
    svc.scenario_transition(by=operator, scenario=held_by_staff, action="suspend", reason="核查")
    application = proposer.membership.organization.admission
    admission_suspend(by=operator, application=application, reason="违规")
    # Its period ended while the organization was suspended (not yet expired by the task).
    svc.Scenario.objects.filter(pk=ended.pk).update(period_end=TODAY - datetime.timedelta(days=1))
    Notification.objects.all().delete()

    admission_reinstate(by=operator, application=application)

    found = {s.pk: (s.status, s.reason) for s in svc.Scenario.objects.all()}
    assert found[returning.pk] == (ScenarioStatus.AUTHORIZED, "Its organization was reinstated.")
    assert found[held_by_staff.pk] == (ScenarioStatus.SUSPENDED, "核查")  # staff decide
    assert found[ended.pk] == (ScenarioStatus.SUSPENDED, "违规")  # left to expire
    event = AuditEvent.objects.get(action="scenario.reinstate", target_id=str(returning.pk))
    assert event.actor == operator and event.details["to"] == ScenarioStatus.AUTHORIZED
    told = Notification.objects.filter(recipient=proposer)
    assert told.filter(target_url=f"/scenarios/{returning.pk}/").exists()
    assert not told.filter(target_url=f"/scenarios/{held_by_staff.pk}/").exists()
    assert svc.scenarios_expire() == 1  # the ended one
    ended.refresh_from_db()
    assert ended.status == ScenarioStatus.EXPIRED

    # Suspended again by staff alone, it no longer returns with the organization.
    svc.scenario_transition(by=operator, scenario=returning, action="suspend", reason="抽查")
    admission_suspend(by=operator, application=application, reason="违规")
    admission_reinstate(by=operator, application=application)
    returning.refresh_from_db()
    assert returning.status == ScenarioStatus.SUSPENDED and returning.reason == "抽查"


def test_a_scenario_awaiting_review_is_not_authorized_while_its_organization_is_suspended(
    approved, django_capture_on_commit_callbacks
):
    from tenants.services.admission import admission_reinstate, admission_suspend

    scenario_type, proposer = approved
    operator = staff_user("op")
    scenario = apply(proposer, scenario_type, scope={"HY-0001": ["mmsi", "tonnage"]})
    application = proposer.membership.organization.admission
    admission_suspend(by=operator, application=application, reason="违规")
    first, second = (staff_user(n, PlatformRole.REVIEWER) for n in ("r3", "r4"))
    svc.scenario_amendment_review(by=first, scenario=scenario, decision="approve")
    with pytest.raises(Conflict, match="admission is Suspended: its scenario cannot be author"):
        svc.scenario_amendment_review(by=second, scenario=scenario, decision="approve")
    scenario.refresh_from_db()
    scenario_type.refresh_from_db()
    assert scenario.status == ScenarioStatus.PENDING_REVIEW
    assert not scenario.workspaces.exists()
    assert "tonnage" not in scenario_type.scope.get().columns
    assert not scenario.reviews.filter(reviewer=second).exists()  # refused, not recorded

    admission_reinstate(by=operator, application=application)
    with django_capture_on_commit_callbacks(execute=True):
        svc.scenario_amendment_review(by=second, scenario=scenario, decision="approve")
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.AUTHORIZED
    assert scenario.workspaces.get().status == WorkspaceStatus.READY


def test_an_organization_suspended_after_applying_began_is_not_authorized_on_filing(
    approved, monkeypatch
):
    """Suspended between the applicant's check and the filing's transaction (simulated by
    a check that ran before the suspension): the filing finds the admission suspended."""
    from tenants.services.admission import admission_suspend

    scenario_type, proposer = approved
    organization = proposer.membership.organization
    monkeypatch.setattr(svc, "_applicant_organization", lambda by: organization)
    admission_suspend(by=staff_user("op"), application=organization.admission, reason="违规")
    with pytest.raises(Conflict, match="admission is Suspended: its scenario cannot be author"):
        apply(proposer, scenario_type)
    assert not svc.Scenario.objects.exists()


@pytest.mark.parametrize("meanwhile", ["close", "expire"])
def test_a_scenario_ended_while_its_organization_is_suspended_does_not_undo_the_suspension(
    approved, monkeypatch, meanwhile
):
    """The cascade read its list; one of the scenarios is closed or expires before the
    cascade reaches it (simulated as the first one is suspended): it is passed over."""
    from tenants.models import AdmissionStatus
    from tenants.services.admission import admission_suspend

    scenario_type, proposer = approved
    first = apply(proposer, scenario_type)
    ended = apply(proposer, scenario_type, name="短期")
    last = apply(proposer, scenario_type, name="港区夜间作业")
    notify = svc._notify

    def end_one_meanwhile(scenario):
        if scenario.pk == first.pk:
            if meanwhile == "close":
                svc.scenario_close(by=proposer, scenario=ended, reason="结束")
            else:
                svc.Scenario.objects.filter(pk=ended.pk).update(
                    period_end=TODAY - datetime.timedelta(days=1)
                )
                svc.scenarios_expire()
        notify(scenario)

    monkeypatch.setattr(svc, "_notify", end_one_meanwhile)
    application = proposer.membership.organization.admission
    admission_suspend(by=staff_user("op"), application=application, reason="违规")

    application.refresh_from_db()
    assert application.status == AdmissionStatus.SUSPENDED
    found = dict(svc.Scenario.objects.values_list("pk", "status"))
    assert found[first.pk] == found[last.pk] == ScenarioStatus.SUSPENDED
    assert found[ended.pk] == (
        ScenarioStatus.CLOSED if meanwhile == "close" else ScenarioStatus.EXPIRED
    )
    assert not AuditEvent.objects.filter(
        action="scenario.suspend", target_id=str(ended.pk)
    ).exists()


def _withdraw_its_catalog(scenario_type, operator):
    from operation.models import Catalog, CatalogStatus
    from operation.services.catalogs import catalog_withdraw

    catalog = Catalog.objects.get(code="HY-0001")
    catalog_withdraw(by=operator, catalog=catalog, reason="停更")
    catalog.refresh_from_db()
    assert catalog.status == CatalogStatus.WITHDRAWN
    return ScenarioStatus.SUSPENDED


def _revoke_its_type(scenario_type, operator):
    from scenarios.models import ScenarioTypeStatus

    scenario_type_revoke(by=operator, scenario_type=scenario_type, reason="政策调整")
    scenario_type.refresh_from_db()
    assert scenario_type.status == ScenarioTypeStatus.REVOKED
    return ScenarioStatus.REVOKED


@pytest.mark.parametrize("cascade", [_withdraw_its_catalog, _revoke_its_type])
def test_a_scenario_closed_while_a_cascade_runs_does_not_undo_it(approved, monkeypatch, cascade):
    """A catalog withdrawn or a type revoked: one of its scenarios closed by its
    organization meanwhile is passed over; the others change, and the cascade stands."""
    scenario_type, proposer = approved
    first = apply(proposer, scenario_type)
    closed = apply(proposer, scenario_type, name="短期")
    notify = svc._notify

    def close_one_meanwhile(scenario):
        if scenario.pk == first.pk:
            svc.scenario_close(by=proposer, scenario=closed, reason="结束")
        notify(scenario)

    monkeypatch.setattr(svc, "_notify", close_one_meanwhile)
    to = cascade(scenario_type, staff_user("op"))

    found = dict(svc.Scenario.objects.values_list("pk", "status"))
    assert found == {first.pk: to, closed.pk: ScenarioStatus.CLOSED}


def test_a_scenario_of_a_suspended_organization_cannot_be_reinstated_alone(approved):
    from tenants.services.admission import admission_reinstate, admission_suspend

    scenario_type, proposer = approved
    operator = staff_user("op")
    scenario = apply(proposer, scenario_type)
    admission_suspend(
        by=operator, application=proposer.membership.organization.admission, reason="违规"
    )
    with pytest.raises(Conflict, match="admission is Suspended: reinstate the organization"):
        svc.scenario_transition(by=operator, scenario=scenario, action="reinstate")
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SUSPENDED
    admission_reinstate(by=operator, application=proposer.membership.organization.admission)
    with pytest.raises(Conflict, match="Only a suspended scenario can be reinstated; this one"):
        svc.scenario_transition(by=operator, scenario=scenario, action="reinstate")


def test_the_migration_marks_the_scenarios_an_organization_suspended_before_it(approved):
    """Scenarios suspended with their organization before the mark existed get it, by
    their suspension's reason; one staff suspended for another reason does not."""
    import importlib

    from django.apps import apps

    from tenants.services.admission import admission_suspend

    migration = importlib.import_module(
        "scenarios.migrations.0013_scenario_suspended_with_organization"
    )
    scenario_type, proposer = approved
    operator = staff_user("op")
    with_organization = apply(proposer, scenario_type)
    by_staff = apply(proposer, scenario_type, name="港区夜间作业")
    svc.scenario_transition(by=operator, scenario=by_staff, action="suspend", reason="核查")
    admission_suspend(
        by=operator, application=proposer.membership.organization.admission, reason="违规"
    )
    svc.Scenario.objects.update(suspended_with_organization=False)  # as before the field

    migration.mark_suspended_with_organization(apps, None)

    marked = dict(svc.Scenario.objects.values_list("pk", "suspended_with_organization"))
    assert marked == {with_organization.pk: True, by_staff.pk: False}


def test_a_scenario_whose_catalog_was_withdrawn_meanwhile_stays_suspended_saying_why(approved):
    from core.models import Notification
    from operation.models import Catalog
    from operation.services.catalogs import catalog_withdraw
    from tenants.services.admission import admission_reinstate, admission_suspend

    scenario_type, proposer = approved
    operator = staff_user("op")
    scenario = apply(proposer, scenario_type)
    application = proposer.membership.organization.admission
    admission_suspend(by=operator, application=application, reason="违规")
    catalog_withdraw(by=operator, catalog=Catalog.objects.get(code="HY-0001"), reason="停更")
    Notification.objects.all().delete()

    admission_reinstate(by=operator, application=application)

    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SUSPENDED
    assert scenario.reason == "Catalog HY-0001 was withdrawn: 停更"
    assert not scenario.suspended_with_organization  # staff decide from here
    event = AuditEvent.objects.get(
        action="scenario.suspend", target_id=str(scenario.pk), details__reason=scenario.reason
    )
    assert event.actor == operator
    assert event.details["from"] == event.details["to"] == ScenarioStatus.SUSPENDED
    assert Notification.objects.filter(
        recipient=proposer, target_url=f"/scenarios/{scenario.pk}/"
    ).exists()
    assert not AuditEvent.objects.filter(action="scenario.reinstate").exists()


def test_withdrawing_a_catalog_flags_its_scenarios(approved):
    from operation.models import Catalog
    from operation.services.catalogs import catalog_withdraw

    scenario_type, proposer = approved
    scenario = apply(proposer, scenario_type)
    catalog_withdraw(
        by=staff_user("op"), catalog=Catalog.objects.get(code="HY-0001"), reason="停更"
    )
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SUSPENDED
    assert "HY-0001" in scenario.reason
    from core.models import Notification

    assert Notification.objects.filter(recipient=proposer, body__contains="HY-0001").exists()


def test_the_provider_sees_who_is_authorized_and_other_developers_do_not(approved, client):
    from operation.models import Catalog
    from tenants.services.organizations import member_create

    scenario_type, proposer = approved
    apply(proposer, scenario_type, name="拥堵研究甲")
    catalog = Catalog.objects.get(code="HY-0001")
    bureau = member_create(
        by=None,
        organization=catalog.provider,
        role="admin",
        user_fields={"username": "bureau", "email": "b@gov.cn", "password": "bureau-pass-123"},
    )
    client.force_login(bureau)
    page = client.get("/catalogs/HY-0001/").content.decode()
    assert 'id="catalog-users"' in page and "拥堵研究甲" in page
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    client.force_login(insurer)
    page = client.get("/catalogs/HY-0001/").content.decode()
    assert "拥堵研究甲" not in page


def test_a_new_catalog_version_makes_a_new_workspace_version(
    approved, tmp_path, django_capture_on_commit_callbacks
):
    from operation.models import Catalog
    from operation.services.catalogs import resource_version_add
    from tests.factories import vessel_csv

    scenario_type, proposer = approved
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(proposer, scenario_type)
    first = scenario.workspaces.get()
    catalog = Catalog.objects.get(code="HY-0001")
    source = vessel_csv(tmp_path / "more.csv", 300, offset=5000)
    with django_capture_on_commit_callbacks(execute=True):
        resource_version_add(
            by=staff_user("op"),
            resource=catalog.resource_version.resource,
            source=source,
            source_name="more.csv",
        )
    second = scenario.workspaces.get(version=2)
    assert second.status == WorkspaceStatus.READY
    assert second.manifest["tables"]["HY-0001"]["rows"] == 300
    assert second.manifest["tables"]["HY-0001"]["catalog_version"] == 2
    first.refresh_from_db()
    assert first.status == WorkspaceStatus.READY and data_path(first.path).is_dir()


def test_a_suspended_scenario_gets_the_new_catalog_version_before_it_returns(
    approved, tmp_path, django_capture_on_commit_callbacks
):
    from operation.models import Catalog
    from operation.services.catalogs import resource_version_add
    from tenants.services.admission import admission_reinstate, admission_suspend
    from tests.factories import vessel_csv

    scenario_type, proposer = approved
    operator = staff_user("op")
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(proposer, scenario_type)
    application = proposer.membership.organization.admission
    admission_suspend(by=operator, application=application, reason="违规")
    catalog = Catalog.objects.get(code="HY-0001")
    with django_capture_on_commit_callbacks(execute=True):
        resource_version_add(
            by=operator,
            resource=catalog.resource_version.resource,
            source=vessel_csv(tmp_path / "more.csv", 300, offset=5000),
            source_name="more.csv",
        )
    admission_reinstate(by=operator, application=application)

    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.AUTHORIZED
    latest = scenario.workspaces.order_by("-version").first()
    assert latest.version == 2 and latest.status == WorkspaceStatus.READY
    assert latest.manifest["tables"]["HY-0001"]["catalog_version"] == 2


def test_a_workspace_that_cannot_be_built_fails_with_its_reason(
    approved, django_capture_on_commit_callbacks
):
    from operation.models import Catalog

    scenario_type, proposer = approved
    catalog = Catalog.objects.get(code="HY-0001")
    data_path(catalog.resource_version.path).unlink()  # the managed file is gone
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(proposer, scenario_type)
    workspace = scenario.workspaces.get()
    assert workspace.status == WorkspaceStatus.FAILED
    assert "IOException" in workspace.reason
    assert str(data_path()) not in workspace.reason  # no server path reaches the developer
    assert not data_path(workspace.path).exists()
    assert AuditEvent.objects.filter(action="workspace.failed").exists()


def test_the_organization_closes_its_scenario_and_the_workspace_goes(
    approved, django_capture_on_commit_callbacks
):
    from tenants.services.organizations import member_create

    scenario_type, proposer = approved
    with django_capture_on_commit_callbacks(execute=True):
        scenario = apply(proposer, scenario_type)
    folder = data_path(scenario.workspaces.get().path)
    analyst = member_create(
        by=proposer,
        organization=proposer.membership.organization,
        role="member",
        user_fields={"username": "analyst", "email": "a@x.cn", "password": "long-pass-9876"},
    )
    with pytest.raises(PermissionRefused):
        svc.scenario_close(by=analyst, scenario=scenario)
    with django_capture_on_commit_callbacks(execute=True):
        svc.scenario_close(by=proposer, scenario=scenario, reason="项目结束")
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.CLOSED
    assert not folder.exists()
    with pytest.raises(Conflict):
        svc.scenario_close(by=proposer, scenario=scenario)


@pytest.mark.django_db(transaction=True)
def test_a_staff_reinstatement_during_the_organizations_suspension_waits_and_is_refused(
    approved, monkeypatch
):
    """The organization's suspension holds its admission while it cascades: a scenario
    reinstated by staff at that moment waits for it and is refused, instead of returning
    authorized under a suspended organization."""
    import threading
    import time

    from django.db import connection

    from tenants.services import admission as admission_svc

    scenario_type, proposer = approved
    operator = staff_user("op")
    scenario = apply(proposer, scenario_type)
    svc.scenario_transition(by=operator, scenario=scenario, action="suspend", reason="核查")
    record = admission_svc.audit_record

    def record_slowly(**kwargs):
        record(**kwargs)
        time.sleep(0.5)  # the reinstatement runs meanwhile, unless it waits for the lock

    monkeypatch.setattr(admission_svc, "audit_record", record_slowly)
    errors = []

    def run(work):
        try:
            work()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    suspend = threading.Thread(
        target=run,
        args=(
            lambda: admission_svc.admission_suspend(
                by=operator, application=proposer.membership.organization.admission, reason="违规"
            ),
        ),
    )
    suspend.start()
    time.sleep(0.2)
    run(lambda: svc.scenario_transition(by=operator, scenario=scenario, action="reinstate"))
    suspend.join()

    assert [str(error) for error in errors] == [
        "The organization's admission is Suspended: reinstate the organization first "
        "(the scenarios suspended with it return with it)."
    ]
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SUSPENDED
