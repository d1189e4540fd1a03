"""GET /api/v1/scenarios/<id>/workspace/synthetic/: the synthetic workspace as a zip, for
the scenario's organization only."""

import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.storage import data_path
from scenarios.services.scenarios import scenario_transition
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, authorized_scenario, staff_user

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def scenario(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return authorized_scenario(tmp_path, username="xmu_lab")


def url(scenario) -> str:
    return f"/api/v1/scenarios/{scenario.pk}/workspace/synthetic/"


def test_a_member_gets_the_tables_schema_and_manifest_of_made_up_rows(scenario, settings):
    scenario, developer = scenario
    response = api(developer).get(url(scenario))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"scenario-{scenario.pk}-v1-synthetic.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["HY-0001.parquet", "manifest.json", "schema.json"]
    schema = json.loads(archive.read("schema.json"))
    table = schema["tables"]["HY-0001"]
    assert [c["name"] for c in table["columns"]] == ["mmsi", "vessel_type", "berth", "arrival_time"]
    assert table["rows"] == settings.SANDBOX_DRY_RUN_ROWS
    assert schema["synthetic"] is True
    # The same columns and types as the real table, none of its values.
    made_up = pq.read_table(io.BytesIO(archive.read("HY-0001.parquet")))
    real = pq.read_table(data_path(scenario.workspaces.get().path) / "HY-0001.parquet")
    assert made_up.schema.equals(real.schema, check_metadata=False)
    assert not set(made_up.column("mmsi").to_pylist()) & set(real.column("mmsi").to_pylist())


@pytest.mark.security
def test_another_organization_is_answered_404_and_a_reviewer_403(scenario, tmp_path):
    scenario, _developer = scenario
    _org, stranger = admitted_developer("别家公司", "stranger", by=staff_user("op2"))
    assert api(stranger).get(url(scenario)).status_code == 404
    reviewer = staff_user("reviewer1", PlatformRole.REVIEWER)  # sees the scenario, not a member
    assert api(reviewer).get(url(scenario)).status_code == 403


def test_a_suspended_scenario_has_no_workspace_to_pull(scenario):
    scenario, developer = scenario
    scenario_transition(by=staff_user("op2"), scenario=scenario, action="suspend", reason="审计")
    response = api(developer).get(url(scenario))
    assert response.status_code == 409
    assert "no workspace to pull" in response.json()["detail"]


def test_the_endpoint_is_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/scenarios/{id}/workspace/synthetic/"]["get"]
    assert "application/zip" in operation["responses"]["200"]["content"]
    assert {"403", "404", "409"} <= set(operation["responses"])
