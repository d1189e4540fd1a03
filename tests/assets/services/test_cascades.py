import pytest

from assets.models import AssetStatus
from assets.services import registrations as svc
from core.errors import Conflict
from core.models import AuditEvent, Notification
from operation.models import Catalog
from operation.services.catalogs import catalog_withdraw
from scenarios.services.scenarios import scenario_close, scenario_transition
from tenants.services.admission import admission_reinstate, admission_suspend
from tests.assets.conftest import registered
from tests.factories import pdf_upload

pytestmark = pytest.mark.django_db


def test_a_suspended_scenario_flags_and_a_closed_one_lapses_its_registrations(scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    scenario_transition(by=people["staff"], scenario=scenario, action="suspend", reason="核查")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.FLAGGED and "核查" in asset.status_reason
    scenario_transition(by=people["staff"], scenario=scenario, action="reinstate")
    scenario_close(by=people["staff"], scenario=scenario, reason="项目结束")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.LAPSED
    # Words as written (the scenario's name, the reason), the same in every language
    assert asset.status_reason == f"{scenario.name}: 项目结束"


def test_a_withdrawn_catalog_lapses_its_holding_and_flags_the_rights_built_on_it(
    scenario, people, provider_user
):
    scenario, developer = scenario
    catalog = Catalog.objects.get(code="HY-0001")
    asset = registered(scenario, developer, people).asset
    holding = svc.application_create(
        by=provider_user,
        kind="holding",
        name="在港船舶数据资源",
        description="持有",
        catalog=catalog,
        files=[pdf_upload()],
    )
    svc.application_submit(by=provider_user, application=holding)
    svc.application_preliminary(by=people["staff"], application=holding, decision="pass")
    holding = svc.application_final(by=people["registrar"], application=holding, decision="approve")
    catalog_withdraw(by=people["staff"], catalog=catalog, reason="停更")
    asset.refresh_from_db()
    holding.asset.refresh_from_db()
    assert asset.status == AssetStatus.FLAGGED  # with its scenario, suspended by the cascade
    assert "HY-0001" in asset.status_reason
    assert holding.asset.status == AssetStatus.LAPSED
    assert holding.asset.status_reason == "HY-0001: 停更"


def test_a_suspended_organization_flags_what_it_holds(scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    admission_suspend(
        by=people["staff"], application=scenario.organization.admission, reason="违规"
    )
    asset.refresh_from_db()
    assert asset.status == AssetStatus.FLAGGED
    (told,) = Notification.objects.filter(
        recipient=developer, subject__contains=asset.certificate_number
    )  # once, though two bases went (its scenario and its holder)
    assert "Flagged" in told.subject
    assert f"is flagged: its basis is in question ({scenario.name}: 违规)" in told.body
    assert told.target_url == f"/assets/registry/{asset.certificate_number}/"


def test_a_reinstated_scenario_returns_its_flagged_registration_and_tells_the_holder(
    client, scenario, people
):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    scenario_transition(by=people["staff"], scenario=scenario, action="suspend", reason="核查")
    Notification.objects.all().delete()

    scenario_transition(by=people["staff"], scenario=scenario, action="reinstate")

    asset.refresh_from_db()
    assert asset.status == AssetStatus.REGISTERED and asset.status_reason == ""
    event = AuditEvent.objects.get(action="data_asset.reinstate", target_id=str(asset.pk))
    assert event.actor == people["staff"] and event.details["from"] == AssetStatus.FLAGGED
    (told,) = Notification.objects.filter(
        recipient=developer, subject__contains=asset.certificate_number
    )
    assert "Registered" in told.subject and "已登记" in told.subject
    assert told.target_url == f"/assets/registry/{asset.certificate_number}/"
    assert scenario.name in told.body
    page = client.get(told.target_url).content.decode()
    assert 'data-status="registered"' in page
    assert "核查" not in page


def test_a_registration_flagged_for_its_holder_stays_flagged_its_scenario_cannot_return_alone(
    scenario, people
):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    admission_suspend(
        by=people["staff"], application=scenario.organization.admission, reason="违规"
    )
    scenario.refresh_from_db()
    assert scenario.status == "suspended"  # the organization's suspension suspends it too

    Notification.objects.all().delete()  # the flag's own

    with pytest.raises(Conflict, match="reinstate the organization first"):
        scenario_transition(by=people["staff"], scenario=scenario, action="reinstate")

    asset.refresh_from_db()
    assert asset.status == AssetStatus.FLAGGED
    assert asset.status_reason == f"{scenario.name}: 违规"
    assert not AuditEvent.objects.filter(action="data_asset.reinstate").exists()
    assert not Notification.objects.filter(subject__contains=asset.certificate_number).exists()


def test_a_registration_on_a_withdrawn_catalog_stays_flagged_when_the_scenario_returns(
    scenario, people
):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    catalog_withdraw(by=people["staff"], catalog=Catalog.objects.get(code="HY-0001"), reason="停更")
    scenario.refresh_from_db()
    assert scenario.status == "suspended"

    scenario_transition(by=people["staff"], scenario=scenario, action="reinstate")

    asset.refresh_from_db()
    # The developer's right is built on the provider's catalog: what went away, not why.
    assert asset.status == AssetStatus.FLAGGED and asset.status_reason == "HY-0001"


def test_a_reinstated_organization_returns_its_flagged_registration_and_tells_the_holder(
    client, scenario, people
):
    scenario, developer = scenario
    organization = scenario.organization
    asset = registered(scenario, developer, people).asset
    admission_suspend(by=people["staff"], application=organization.admission, reason="违规")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.FLAGGED
    Notification.objects.all().delete()

    admission_reinstate(by=people["staff"], application=organization.admission)

    scenario.refresh_from_db()
    assert scenario.status == "authorized"  # suspended with its organization, back with it
    asset.refresh_from_db()
    assert asset.status == AssetStatus.REGISTERED and asset.status_reason == ""
    event = AuditEvent.objects.get(action="data_asset.reinstate", target_id=str(asset.pk))
    assert event.actor == people["staff"] and event.organization == organization
    # It returns with its scenario, which returns with the organization.
    assert event.details == {
        "from": AssetStatus.FLAGGED,
        "to": AssetStatus.REGISTERED,
        "scenario": scenario.pk,
    }
    (told,) = Notification.objects.filter(
        recipient=developer, subject__contains=asset.certificate_number
    )
    assert "Registered" in told.subject and "已登记" in told.subject
    assert f"The scenario {scenario.name} is authorized again" in told.body
    assert f"场景 {scenario.name} 已恢复授权" in told.body
    assert told.target_url == f"/assets/registry/{asset.certificate_number}/"
    page = client.get(told.target_url).content.decode()
    assert 'data-status="registered"' in page
    assert "违规" not in page


def test_a_registration_whose_scenario_staff_suspended_stays_flagged_when_its_holder_returns(
    client, scenario, people
):
    scenario, developer = scenario
    organization = scenario.organization
    asset = registered(scenario, developer, people).asset
    scenario_transition(by=people["staff"], scenario=scenario, action="suspend", reason="核查")
    admission_suspend(by=people["staff"], application=organization.admission, reason="违规")
    Notification.objects.all().delete()

    admission_reinstate(by=people["staff"], application=organization.admission)

    scenario.refresh_from_db()
    assert scenario.status == "suspended"  # staff suspended it: staff reinstate it
    asset.refresh_from_db()
    assert asset.status == AssetStatus.FLAGGED
    assert asset.status_reason == f"{scenario.name}: 核查"
    assert not AuditEvent.objects.filter(action="data_asset.reinstate").exists()
    assert not Notification.objects.filter(subject__contains=asset.certificate_number).exists()
    page = client.get(f"/assets/registry/{asset.certificate_number}/").content.decode()
    assert 'data-status="flagged"' in page

    scenario_transition(by=people["staff"], scenario=scenario, action="reinstate")

    asset.refresh_from_db()
    assert asset.status == AssetStatus.REGISTERED and asset.status_reason == ""
