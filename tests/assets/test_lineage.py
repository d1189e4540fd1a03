"""The lineage the platform fills: only released outputs, with their SHA-256; only an
approved data service of the scenario's type."""

import pytest

from assets.models import AssetStatus
from assets.services import registrations as svc
from core.errors import Conflict, InvalidInput
from core.models import Notification
from scenarios.models import JobStatus
from scenarios.services import releases
from scenarios.services.jobs import job_submit
from scenarios.services.scenarios import scenario_transition
from tenants.roles import PlatformRole
from tenants.services.admission import admission_reinstate, admission_suspend
from tests.factories import admitted_developer, pdf_upload, serviced_scenario, staff_user

pytestmark = pytest.mark.django_db

BY_TYPE = "-- output: by_type\nSELECT vessel_type, count(*) AS n FROM hy_0001 GROUP BY vessel_type"


@pytest.fixture
def serviced(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return serviced_scenario(tmp_path)


def product(developer, scenario, **subject):
    return svc.application_create(
        by=developer,
        kind="product",
        name="船舶类型统计",
        description="出域的统计表",
        scenario=scenario,
        files=[pdf_upload()],
        **subject,
    )


def test_only_released_outputs_make_a_product_and_their_sha256_is_recorded(
    serviced, django_capture_on_commit_callbacks
):
    scenario, developer, _definition, _secret = serviced
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(
            by=developer, scenario=scenario, language="sql", code=BY_TYPE, dry_run=False
        )
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.reason
    output = job.outputs.get(name="by_type.csv")
    with pytest.raises(InvalidInput):  # still in quarantine
        product(developer, scenario, outputs=[output])
    request = releases.release_request_create(
        by=developer,
        scenario=scenario,
        items=[{"output": output.pk, "context": "各类船舶数量", "controls": "每格至少10艘"}],
    )
    for name in ("reviewer1", "reviewer2"):
        reviewer = staff_user(name, PlatformRole.REVIEWER)
        releases.release_review(by=reviewer, request=request, decision="approve")
    output.refresh_from_db()
    application = product(developer, scenario, outputs=[output])
    svc.application_submit(by=developer, application=application)
    application.refresh_from_db()
    assert application.lineage["outputs"] == [
        {
            "id": output.pk,
            "name": "by_type.csv",
            "sha256": output.sha256,
            "released_at": output.released_at.isoformat(),
        }
    ]


def test_a_data_service_product_names_its_approved_definition(serviced):
    scenario, developer, definition, _secret = serviced
    application = product(developer, scenario, service=definition.service)
    svc.application_submit(by=developer, application=application)
    application.refresh_from_db()
    assert application.lineage["service"]["code"] == definition.service.code
    assert application.lineage["service"]["version"] == definition.version
    assert "outputs" not in application.lineage


def test_a_products_operation_right_is_transferred_to_an_admitted_developer(serviced):
    scenario, developer, definition, _secret = serviced
    staff = staff_user("op")
    registrar = staff_user("registrar", PlatformRole.REGISTRATION_AUTHORITY)
    application = product(developer, scenario, service=definition.service)
    svc.application_submit(by=developer, application=application)
    svc.application_preliminary(by=staff, application=application, decision="pass")
    asset = svc.application_final(by=registrar, application=application, decision="approve").asset
    buyer, buyer_admin = admitted_developer("数据交易公司", "buyer", by=staff)
    transfer = svc.application_for_asset(
        by=developer,
        asset=asset,
        action="transfer",
        description="经营权转让",
        transferee=buyer,
        files=[pdf_upload("转让协议.pdf")],
    )
    svc.application_submit(by=developer, application=transfer)
    svc.application_preliminary(by=staff, application=transfer, decision="pass")
    admission_suspend(by=staff, application=buyer.admission, reason="资质核查")
    with pytest.raises(Conflict, match="no longer eligible"):  # suspended meanwhile
        svc.application_final(by=registrar, application=transfer, decision="approve")
    admission_reinstate(by=staff, application=buyer.admission)
    svc.application_final(by=registrar, application=transfer, decision="approve")
    asset.refresh_from_db()
    assert asset.holder == buyer and asset.edition == 2
    assert asset.lineage["service"]["code"] == definition.service.code  # the history stays

    # The seller's scenario suspended: the buyer's right is flagged, naming the scenario
    # but not the seller's suspension reason (nor in what the buyer is told).
    Notification.objects.all().delete()
    scenario_transition(by=staff, scenario=scenario, action="suspend", reason="涉嫌违规使用")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.FLAGGED and asset.status_reason == scenario.name
    (told,) = Notification.objects.filter(recipient=buyer_admin)
    assert scenario.name in told.body and "涉嫌违规使用" not in told.body + told.subject
