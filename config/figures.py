"""The home page's live figures, read across every layer (only the project may)."""

from operation.models import Catalog, CatalogStatus
from scenarios.models import Job, JobStatus, Scenario, ScenarioStatus, ServiceCall
from tenants.models import AdmissionStatus, Organization


def platform_figures() -> dict[str, int]:
    """Live figures for the home page: real jobs (not dry runs) run to success, and
    data-service calls answered."""
    return {
        "published_catalogs": Catalog.objects.filter(status=CatalogStatus.PUBLISHED).count(),
        "admitted_developers": Organization.objects.filter(
            admission__status=AdmissionStatus.ADMITTED
        ).count(),
        "authorized_scenarios": Scenario.objects.filter(status=ScenarioStatus.AUTHORIZED).count(),
        "jobs_run": Job.objects.filter(dry_run=False, status=JobStatus.SUCCEEDED).count(),
        "service_calls": ServiceCall.objects.filter(status=200).count(),
    }
