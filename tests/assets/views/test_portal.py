import io

import pytest
from pypdf import PdfReader

from assets.models import ApplicationStatus, AssetApplication
from assets.services import registrations as svc
from scenarios.services.scenarios import scenario_transition
from tests.assets.conftest import processing_draft, registered, registered_holding
from tests.factories import admitted_developer, pdf_upload, provider_org

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


def test_a_flagged_registration_shows_its_reason_to_insiders_only(client, scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    scenario_transition(
        by=people["staff"], scenario=scenario, action="suspend", reason="欠费待核查"
    )
    url = f"/assets/registry/{asset.certificate_number}/"
    public = client.get(url).content.decode()
    assert 'data-status="flagged"' in public and "欠费待核查" not in public
    for insider in (developer, people["staff"], people["registrar"]):
        client.force_login(insider)
        assert "欠费待核查" in client.get(url).content.decode()
    client.force_login(admitted_developer("另一家公司", "other", by=people["staff"])[1])
    assert "欠费待核查" not in client.get(url).content.decode()


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


def test_the_holder_applies_for_a_change_from_the_registry_page(client, scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    client.force_login(developer)
    detail = client.get(f"/assets/registry/{asset.certificate_number}/").content.decode()
    assert f"/assets/{asset.pk}/apply/" in detail and "certificate-download" in detail
    response = client.post(
        f"/assets/{asset.pk}/apply/",
        {
            "action": "change",
            "name": "港口拥堵（更名）",
            "description": "更名",
            "files": [pdf_upload()],
        },
    )
    change = AssetApplication.objects.get(action="change")
    assert response.url == f"/assets/applications/{change.pk}/"
    assert change.asset == asset and change.status == ApplicationStatus.DRAFT
    _org, other = admitted_developer("另一家公司", "rival", by=people["staff"])
    client.force_login(other)
    assert client.get(f"/assets/{asset.pk}/apply/").status_code == 404


def test_the_apply_page_offers_a_transfer_only_for_a_right_that_changes_hands(
    client, scenario, provider_user, people
):
    scenario, developer = scenario
    processing = registered(scenario, developer, people).asset
    holding = registered_holding(provider_user, people)
    bureau = provider_org("市自然资源局")

    client.force_login(developer)
    for language, rule in (("en", "it is not transferred"), ("zh-hans", "不能转让")):
        page = client.get(
            f"/assets/{processing.pk}/apply/", HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        assert rule in page, language
        assert 'value="transfer"' not in page and 'name="transferee"' not in page
    posted = client.post(
        f"/assets/{processing.pk}/apply/",
        {"action": "transfer", "description": "转让", "files": [pdf_upload()]},
    )
    assert (
        posted.status_code == 200
        and not AssetApplication.objects.filter(action="transfer").exists()
    )

    client.force_login(provider_user)
    for language, rule in (("en", "another data provider"), ("zh-hans", "其他数源部门")):
        page = client.get(
            f"/assets/{holding.pk}/apply/", HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        assert rule in page, language
        assert 'value="transfer"' in page and f'<option value="{bureau.pk}">' in page
    client.post(
        f"/assets/{holding.pk}/apply/",
        {
            "action": "transfer",
            "description": "机构改革，数据资源划转",
            "transferee": bureau.pk,
            "files": [pdf_upload()],
        },
    )
    transfer = AssetApplication.objects.get(action="transfer")
    assert transfer.asset == holding and transfer.transferee == bureau
