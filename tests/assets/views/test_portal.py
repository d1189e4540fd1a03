import io

import pytest
from pypdf import PdfReader

from assets.models import ApplicationStatus, AssetApplication
from tests.assets.conftest import processing_draft, registered
from tests.factories import pdf_upload

pytestmark = pytest.mark.django_db


def test_apply_submit_and_both_stages_through_the_portal(client, scenario, people):
    scenario, developer = scenario
    client.force_login(developer)
    page = client.get("/assets/applications/new/")
    assert page.status_code == 200 and scenario.name in page.content.decode()
    response = client.post(
        "/assets/applications/new/",
        {
            "kind": "processing",
            "name": "港口拥堵加工使用权",
            "description": "在授权场景内加工",
            "scenario": scenario.pk,
            "files": [pdf_upload("协议.pdf")],
        },
    )
    application = AssetApplication.objects.get()
    assert response.url == f"/assets/applications/{application.pk}/"
    client.post(f"/assets/applications/{application.pk}/submit/")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert "decision-form" not in client.get(response.url).content.decode()  # not theirs

    client.force_login(people["staff"])
    assert "港口拥堵加工使用权" in client.get("/assets/applications/").content.decode()
    client.post(f"/assets/applications/{application.pk}/decide/", {"decision": "pass"})
    page = client.get(response.url).content.decode()
    assert "decision-form" not in page  # the second stage is not the operator's

    client.force_login(people["registrar"])
    page = client.get(response.url).content.decode()
    assert 'id="decision-form"' in page and "HY-0001" in page
    client.post(f"/assets/applications/{application.pk}/decide/", {"decision": "approve"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_a_return_needs_reasons_and_shows_them_to_the_applicant(client, scenario, people):
    scenario, developer = scenario
    from assets.services import registrations as svc

    application = processing_draft(scenario, developer)
    svc.application_submit(by=developer, application=application)
    client.force_login(people["staff"])
    url = f"/assets/applications/{application.pk}/"
    client.post(url + "decide/", {"decision": "return"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    client.post(url + "decide/", {"decision": "return", "comment": "请补充授权协议"})
    client.force_login(developer)
    page = client.get(url).content.decode()
    assert "请补充授权协议" in page and 'id="application-submit"' in page


def test_the_public_registry_lists_and_verifies_without_login(client, scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    page = client.get("/assets/registry/").content.decode()
    assert asset.certificate_number in page and scenario.organization.name in page
    good = client.get(
        "/assets/registry/",
        {"number": asset.certificate_number.lower(), "code": asset.verification_code},
    ).content.decode()
    assert 'data-verified="yes"' in good
    bad = client.get(
        "/assets/registry/", {"number": asset.certificate_number, "code": "AAAAAAAAAA"}
    ).content.decode()
    assert 'data-verified="no"' in bad
    detail = client.get(f"/assets/registry/{asset.certificate_number}/").content.decode()
    assert "HY-0001" in detail and "certificate-download" not in detail
    assert client.get(f"/assets/{asset.pk}/certificate/").status_code == 302  # login first


def test_the_certificate_is_a_pdf_with_number_code_and_lineage(client, scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    client.force_login(developer)
    response = client.get(f"/assets/{asset.pk}/certificate/")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert asset.certificate_number in text and asset.verification_code in text
    assert "HY-0001" in text and "数据加工使用权" in text


def test_pages_read_in_chinese(client, scenario, people, settings):
    scenario, developer = scenario
    registered(scenario, developer, people)
    settings.LANGUAGE_CODE = "zh-hans"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get("/assets/registry/").content.decode()
    assert "数据资产登记簿" in page and "数据加工使用权" in page and "核验证书" in page
