import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.services.audit import audit_verify
from operation.models import Catalog, CatalogStatus
from tenants.models import AdmissionStatus, Organization
from tenants.roles import PlatformRole, has_role

pytestmark = pytest.mark.django_db

ACCOUNTS = [
    "operator",
    "reviewer1",
    "reviewer2",
    "auditor",
    "xmu_lab",
    "insurer",
    "ocean_bureau",
    "registrar",
]


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
    assert has_role(users["registrar"], PlatformRole.REGISTRATION_AUTHORITY)
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

    balances = {s.organization.name_en: compute_balance_seconds(s.organization) for s in scenarios}
    assert balances["Strait Property Insurance Co., Ltd."] == 360_000.0
    assert 359_000 < balances["University Coastal Ocean Laboratory"] < 360_000  # the model's job
    assert audit_verify() is None


def test_seed_demo_explores_the_red_tide_scenario(settings):
    """xmu_lab's bloom-risk model ran for real in the sandbox, both reviewers released its
    metrics and chart, and the demo key called redtide-risk: what the README's walkthrough
    shows each demo user."""
    import csv
    import io

    from scenarios.models import Job, JobStatus, ServiceCall

    settings.DEMO_PASSWORD = "demo-pass-test-1"
    call_command("seed_demo")
    job = Job.objects.get(scenario__name="厦门湾赤潮预警模型", dry_run=False)
    assert job.status == JobStatus.SUCCEEDED, job.reason
    assert job.language == "python" and "LogisticRegression" in job.code
    released = {o.name: o for o in job.outputs.filter(released_at__isnull=False)}
    assert sorted(released) == ["redtide_metrics.csv", "redtide_risk.png"]
    assert all(o.check_status in ("pass", "review") for o in released.values())
    assert sorted(
        r.reviewer.username
        for r in released["redtide_risk.png"].release_items.get().request.reviews.all()
    ) == [
        "reviewer1",
        "reviewer2",
    ]
    api = APIClient()
    token = api.post(
        "/api/v1/auth/token/", {"username": "xmu_lab", "password": "demo-pass-test-1"}
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get(f"/api/v1/outputs/{released['redtide_metrics.csv'].pk}/download")
    assert response.status_code == 200
    metrics = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["part"] for row in metrics] == ["training", "validation"]
    assert float(metrics[1]["auc"]) > 0.8
    response = api.get(f"/api/v1/outputs/{released['redtide_risk.png'].pk}/download")
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    calls = ServiceCall.objects.filter(service_code="redtide-risk")
    assert calls.count() == 4
    assert {c.organization.name_en for c in calls} == {"University Coastal Ocean Laboratory"}
    assert calls.filter(status=200).count() == calls.count()
    usage = api.get("/api/v1/services/usage/", {"service": "redtide-risk"})
    assert usage.status_code == 200, usage.content
    assert (usage.json()["total"], usage.json()["refused"]) == (calls.count(), 0)
    from assets.models import AssetApplication, DataAsset

    statuses = {a.status for a in AssetApplication.objects.all()}
    assert statuses >= {"draft", "submitted", "returned", "rejected", "approved"}
    product = DataAsset.objects.get(kind="product")
    assert {o["sha256"] for o in product.lineage["outputs"]} == {
        o.sha256 for o in released.values()
    }
    assert set(DataAsset.objects.values_list("status", flat=True)) == {"registered", "lapsed"}
    # The year's disclosure is published with the services' and the release's fee basis.
    disclosure = APIClient().get(f"/api/v1/disclosure/{timezone.localdate().year}/").json()
    assert disclosure["status"] == "published"
    content = disclosure["content"]
    fees = {s["code"]: s["fee_basis"] for s in content["services"]}
    assert fees == {"redtide-risk": "free", "vessel-traffic": "guided"}
    assert [p["fee_basis"] for p in content["products"]] == ["free"]
    assert content["usage"]["service_calls"] == calls.count()
    counts = (Job.objects.count(), ServiceCall.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo")
    assert (Job.objects.count(), ServiceCall.objects.count(), AuditEvent.objects.count()) == counts


def test_seed_demo_refuses_a_scale_below_one():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_demo", "--scale", "0")
