import pytest
from rest_framework.test import APIClient

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from scenarios.models import FeeBasis
from scenarios.services.jobs import job_submit
from scenarios.services.pricing import price_set
from scenarios.services.releases import release_request_create
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


def test_operator_staff_price_a_service_shown_on_its_page_and_api(serviced, client):
    _scenario, developer, definition, _secret = serviced
    service, op = definition.service, staff_user("op")
    client.force_login(op)
    response = client.post(
        f"/services/{service.code}/price/",
        {
            "fee_basis": "guided",
            "price_amount": "0.5",
            "price_unit": "per call",
            "price_basis": "City pricing notice 12",
        },
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.fee_basis == FeeBasis.GUIDED and str(service.price_amount) == "0.50"
    event = AuditEvent.objects.get(action="pricing.set", target_id=str(service.pk))
    assert event.details["price_amount"] == "0.50"
    # found by the organization filter of the audit trail: the service's proposing one
    assert event.organization == service.scenario_type.proposer

    client.force_login(developer)  # a developer sees the price, not the form
    page = client.get(f"/services/{service.code}/").content.decode()
    assert 'data-fee-basis="guided"' in page and "0.50 yuan per call" in page
    assert 'id="price-form"' not in page
    api = APIClient()
    api.force_authenticate(developer)
    (row,) = api.get("/api/v1/services/").data["results"]
    assert (row["fee_basis"], row["price_amount"], row["price_unit"]) == (
        "guided",
        "0.50",
        "per call",
    )


def test_a_price_is_refused_to_others_incomplete_or_on_an_unreleased_output(
    serviced, django_capture_on_commit_callbacks
):
    scenario, developer, definition, _secret = serviced
    service, op = definition.service, staff_user("op")
    with pytest.raises(PermissionRefused):
        price_set(by=developer, target=service, fee_basis="free")
    for missing in ("price_amount", "price_unit", "price_basis"):
        given = {"price_amount": "1", "price_unit": "per year", "price_basis": "notice"}
        given[missing] = ""
        with pytest.raises(InvalidInput) as refused:
            price_set(by=op, target=service, fee_basis="guided", **given)
        assert refused.value.field == missing
    with pytest.raises(InvalidInput):
        price_set(
            by=op,
            target=service,
            fee_basis="guided",
            price_amount="-1",
            price_unit="x",
            price_basis="y",
        )
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(
            by=developer,
            scenario=scenario,
            language="sql",
            code="-- output: n\nSELECT count(*) AS n FROM hy_0001",
            dry_run=False,
        )
    output = job.outputs.get(name="n.csv")
    request = release_request_create(
        by=developer,
        scenario=scenario,
        items=[{"output": output.pk, "context": "总数", "controls": "汇总"}],
    )
    with pytest.raises(Conflict):
        price_set(by=op, target=request, fee_basis="free")
    service.refresh_from_db()
    assert service.fee_basis == ""
