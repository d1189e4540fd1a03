import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.services.audit import audit_verify
from operation.models import Catalog, CatalogStatus
from tenants.models import AdmissionStatus, Organization
from tenants.roles import PlatformRole, has_role

pytestmark = pytest.mark.django_db

ACCOUNTS = ["operator", "reviewer1", "reviewer2", "auditor", "xmu_lab", "insurer", "ocean_bureau"]


def test_seed_demo_creates_the_readme_accounts_and_is_idempotent(settings):
    settings.DEMO_PASSWORD = "demo-pass-test-1"
    call_command("seed_demo")
    counts = (Organization.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo")
    assert (Organization.objects.count(), AuditEvent.objects.count()) == counts
    client = APIClient()
    for username in ACCOUNTS:
        response = client.post(
            "/api/v1/auth/token/", {"username": username, "password": "demo-pass-test-1"}
        )
        assert response.status_code == 200, username
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    assert has_role(users["operator"], PlatformRole.OPERATOR_STAFF)
    assert has_role(users["reviewer2"], PlatformRole.REVIEWER)
    assert has_role(users["auditor"], PlatformRole.AUDITOR)
    statuses = {
        o.name_en: o.admission.status for o in Organization.objects.filter(kind="developer")
    }
    assert sorted(statuses.values()) == sorted(
        [AdmissionStatus.ADMITTED, AdmissionStatus.ADMITTED, AdmissionStatus.SUBMITTED]
    )
    assert Organization.objects.filter(kind="provider").count() == 5
    published = Catalog.objects.filter(status=CatalogStatus.PUBLISHED)
    assert published.count() >= 12
    assert published.values("zone").distinct().count() >= 4
    buoys = published.get(code="HY-0001")
    assert buoys.resource_version.row_count == 87_600
    assert buoys.fields.get(column="buoy_id").masking == "pseudonym"
    assert published.filter(resource_version__source_encoding="gb18030").exists()
    assert published.filter(fields__level=4, fields__masking="drop").exists()
    from scenarios.models import Scenario, ScenarioStatus, WorkspaceStatus

    scenarios = Scenario.objects.filter(status=ScenarioStatus.AUTHORIZED)
    assert sorted(s.organization.memberships.get().user.username for s in scenarios) == [
        "insurer",
        "xmu_lab",
    ]
    assert all(s.workspaces.get().status == WorkspaceStatus.READY for s in scenarios)
    from scenarios.services.compute import compute_balance_seconds

    assert [compute_balance_seconds(s.organization) for s in scenarios] == [360_000.0] * 2
    assert audit_verify() is None


def test_seed_demo_refuses_a_scale_below_one():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_demo", "--scale", "0")
