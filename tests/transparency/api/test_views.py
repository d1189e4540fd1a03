import datetime

import pytest
from rest_framework.test import APIClient

from tests.factories import admitted_developer, staff_user
from transparency.models import ReportStatus
from transparency.services.reports import report_draft, report_publish

pytestmark = pytest.mark.django_db

THIS_YEAR = datetime.date.today().year


def test_staff_draft_and_publish_through_the_api_and_anyone_reads_the_year():
    op = staff_user("op")
    admitted_developer("海洋实验室", "lab", by=op)
    api = APIClient()
    api.force_authenticate(op)
    drafted = api.post("/api/v1/disclosure/", {"year": THIS_YEAR}, format="json")
    assert drafted.status_code == 201 and drafted.data["status"] == ReportStatus.DRAFT
    assert drafted.data["content"]["developers"]["count"] == 1
    published = api.post(f"/api/v1/disclosure/{THIS_YEAR}/publish/")
    assert published.status_code == 200 and published.data["status"] == ReportStatus.PUBLISHED

    anonymous = APIClient()
    listing = anonymous.get("/api/v1/disclosure/")
    assert listing.status_code == 200
    assert [(r["year"], r["status"]) for r in listing.data] == [(THIS_YEAR, "published")]
    assert listing.data[0]["csv"].endswith(f"/disclosure/{THIS_YEAR}.csv")
    detail = anonymous.get(f"/api/v1/disclosure/{THIS_YEAR}/")
    assert detail.status_code == 200
    assert detail.data["content"]["developers"]["list"][0]["name"] == "海洋实验室"


def test_a_developer_may_not_draft_or_publish_and_a_bad_year_is_a_400():
    op = staff_user("op")
    _org, developer = admitted_developer("海洋实验室", "lab", by=op)
    report_draft(by=op, year=THIS_YEAR)
    api = APIClient()
    api.force_authenticate(developer)
    assert api.post("/api/v1/disclosure/", {"year": THIS_YEAR}, format="json").status_code == 403
    assert api.post(f"/api/v1/disclosure/{THIS_YEAR}/publish/").status_code == 404  # unseen
    api.force_authenticate(op)
    refused = api.post("/api/v1/disclosure/", {"year": 1990}, format="json")
    assert refused.status_code == 400 and refused.data["field"] == "year"


def test_publishing_a_published_year_again_is_a_conflict():
    op = staff_user("op")
    report_publish(by=op, report=report_draft(by=op, year=THIS_YEAR))
    api = APIClient()
    api.force_authenticate(op)
    assert api.post(f"/api/v1/disclosure/{THIS_YEAR}/publish/").status_code == 409
    assert api.post("/api/v1/disclosure/", {"year": THIS_YEAR}, format="json").status_code == 409


def test_the_schema_documents_the_disclosure():
    schema = APIClient().get("/api/schema/?format=json").json()
    assert {"/api/v1/disclosure/", "/api/v1/disclosure/{year}/"} <= set(schema["paths"])
    content = schema["components"]["schemas"]["DisclosureContentOutput"]["properties"]
    assert {"catalogs", "developers", "scenarios", "services", "products", "usage"} <= set(content)
