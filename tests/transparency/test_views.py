import csv
import datetime
import io

import pytest
from pypdf import PdfReader

from tests.factories import admitted_developer, staff_user
from transparency.models import DisclosureReport, ReportStatus
from transparency.services.reports import report_draft, report_publish

pytestmark = pytest.mark.django_db

THIS_YEAR = datetime.date.today().year


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def _pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_staff_draft_review_and_publish_then_anyone_reads_the_year(client):
    op = staff_user("op")
    admitted_developer("海洋实验室", "lab", by=op)
    client.force_login(op)
    page = client.get("/disclosure/")
    assert 'id="draft-form"' in page.content.decode()

    response = client.post("/disclosure/draft/", {"year": THIS_YEAR})
    assert response.status_code == 302 and response.url == f"/disclosure/{THIS_YEAR}/"
    draft = client.get(f"/disclosure/{THIS_YEAR}/").content.decode()
    assert 'data-status="draft"' in draft and 'id="publish"' in draft
    assert "海洋实验室" in draft

    client.post(f"/disclosure/{THIS_YEAR}/publish/")
    assert DisclosureReport.objects.get(year=THIS_YEAR).status == ReportStatus.PUBLISHED

    client.logout()
    listing = client.get("/disclosure/").content.decode()
    assert f'data-year="{THIS_YEAR}"' in listing and 'id="draft-form"' not in listing
    public = client.get(f"/disclosure/{THIS_YEAR}/").content.decode()
    assert 'data-status="published"' in public and 'id="publish"' not in public
    assert "1 secondary developer admitted at the end of the year." in public


def test_a_published_year_cannot_be_drafted_again_from_the_page(client):
    op = staff_user("op")
    report_publish(by=op, report=report_draft(by=op, year=THIS_YEAR))
    client.force_login(op)
    response = client.post("/disclosure/draft/", {"year": THIS_YEAR}, follow=True)
    assert "is published: it is final" in response.content.decode()


def test_the_exports_hold_the_reports_figures(client, seeded):
    op, year = seeded["op"], seeded["year"]
    report_publish(by=op, report=report_draft(by=op, year=year))

    rows = _csv(client.get(f"/disclosure/{year}.csv"))
    assert rows[0] == ["Section", "Item", "Detail", "Value"]
    services = [r for r in rows if r[0] == "Data services and their fee basis" and r[1]]
    assert services == [
        [
            "Data services and their fee basis",
            "berth-traffic",
            "Port calls by berth",
            "Government-guided price: 0.50 yuan 每次调用 (basis: 市发改委〔2026〕12号)",
        ]
    ]
    usage = {r[1]: r[3] for r in rows if r[0] == "Calls and compute used in the year" and r[1]}
    assert usage["Data-service calls"] == "2" and usage["Sandbox jobs run"] == "1"
    developers = [r[1] for r in rows if r[0] == "Admitted secondary developers" and r[1]]
    assert developers == ["海洋实验室 Ltd."]  # its English name, in English
    catalogs = [r for r in rows if r[0] == "Authorized resources (published catalogs)" and r[1]]
    assert [r[1:3] for r in catalogs] == [["Marine", "HY-0001 Vessels in port"]]
    (assets,) = [r for r in rows if r[0] == "Registered data assets" and not r[1]]
    assert assets[3].startswith("1 data asset registered in the year (")
    assert "Data processing and use right: 1" in assets[3]

    text = _pdf_text(client.get(f"/disclosure/{year}.pdf", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert f"{year}" in text and "运营情况公开" in text
    assert "berth-traffic" in text and "海洋实验室" in text and "政府指导价" in text
    assert "海洋数据专区" in text and "在港船舶动态" in text and "Marine" not in text


def test_a_year_never_drafted_is_not_found(client):
    assert client.get(f"/disclosure/{THIS_YEAR}/").status_code == 404
    assert client.get(f"/disclosure/{THIS_YEAR}.csv").status_code == 404
