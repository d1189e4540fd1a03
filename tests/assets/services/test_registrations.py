import pytest

from assets.models import ApplicationStatus, AssetApplication, AssetStatus, DataAsset
from assets.selectors import certificate_verify
from assets.services import registrations as svc
from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent, Notification
from operation.models import Catalog
from tenants.models import MemberRole
from tenants.roles import PlatformRole
from tenants.services.organizations import member_create, role_grant
from tests.assets.conftest import processing_draft, registered, registered_holding
from tests.factories import PASSWORD, admitted_developer, pdf_upload, provider_org

pytestmark = pytest.mark.django_db


def test_two_stages_register_a_processing_right_with_its_lineage(scenario, people):
    scenario, developer = scenario
    application = processing_draft(scenario, developer)
    assert application.status == ApplicationStatus.DRAFT and application.lineage == {}
    svc.application_submit(by=developer, application=application)
    application.refresh_from_db()
    lineage = application.lineage
    assert lineage["scenario"]["name"] == scenario.name
    assert lineage["scenario_type"]["approved_at"]
    assert [c["code"] for c in lineage["catalogs"]] == ["HY-0001"]
    assert lineage["catalogs"][0]["version"] == 1
    svc.application_preliminary(by=people["staff"], application=application, decision="pass")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PRELIMINARY_PASSED
    svc.application_final(by=people["registrar"], application=application, decision="approve")
    application.refresh_from_db()
    asset = application.asset
    assert application.status == ApplicationStatus.APPROVED
    assert asset.certificate_number.startswith("DA") and "JG" in asset.certificate_number
    assert asset.holder == scenario.organization and asset.status == AssetStatus.REGISTERED
    assert certificate_verify(asset.certificate_number, asset.verification_code) == asset
    assert certificate_verify(asset.certificate_number, "WRONGCODE1") is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "asset_application.submit",
        "asset_application.preliminary.pass",
        "asset_application.final.approve",
        "data_asset.initial",
    } <= actions


def test_the_same_person_never_decides_both_stages(scenario, people):
    scenario, developer = scenario
    role_grant(by=None, user=people["staff"], role=PlatformRole.REGISTRATION_AUTHORITY)
    application = processing_draft(scenario, developer)
    svc.application_submit(by=developer, application=application)
    svc.application_preliminary(by=people["staff"], application=application, decision="pass")
    with pytest.raises(PermissionRefused):
        svc.application_final(by=people["staff"], application=application, decision="approve")
    with pytest.raises(PermissionRefused):  # staff cannot re-review, authority cannot pre-review
        svc.application_final(by=people["staff2"], application=application, decision="approve")
    svc.application_final(by=people["registrar"], application=application, decision="approve")


def test_the_applicant_and_its_organization_never_review(scenario, people):
    scenario, developer = scenario
    application = processing_draft(scenario, developer)
    svc.application_submit(by=developer, application=application)
    for stage in (svc.application_preliminary, svc.application_final):
        with pytest.raises(PermissionRefused):
            stage(by=developer, application=application, decision="reject", comment="x")


def test_return_for_correction_then_resubmission_goes_through_both_stages_again(scenario, people):
    scenario, developer = scenario
    application = processing_draft(scenario, developer)
    svc.application_submit(by=developer, application=application)
    with pytest.raises(InvalidInput):  # a return needs its reasons
        svc.application_preliminary(by=people["staff"], application=application, decision="return")
    svc.application_preliminary(
        by=people["staff"], application=application, decision="return", comment="补充授权协议"
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED and application.reason == "补充授权协议"
    notice = Notification.objects.get(recipient=developer, subject__contains=application.name)
    assert "补充授权协议" in notice.body and "Returned for correction" in notice.subject
    svc.application_update(
        by=developer,
        application=application,
        name="港口拥堵分析加工使用权（更正）",
        description="补充了授权协议",
        files=[pdf_upload("协议补充.pdf")],
    )
    svc.application_submit(by=developer, application=application)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.preliminary_by is None and application.evidence.count() == 2
    svc.application_preliminary(by=people["staff"], application=application, decision="pass")
    svc.application_final(
        by=people["registrar"], application=application, decision="reject", comment="权属不清"
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED and application.reason == "权属不清"
    with pytest.raises(Conflict):
        svc.application_submit(by=developer, application=application)
    assert not DataAsset.objects.exists()


def test_a_submission_needs_evidence_and_only_content_checked_files(scenario):
    scenario, developer = scenario
    with pytest.raises(InvalidInput):
        processing_draft(scenario, developer, files=None) if False else svc.application_create(
            by=developer,
            kind="processing",
            name="x",
            description="y",
            scenario=scenario,
            files=[pdf_upload("fake.pdf").__class__("fake.pdf", b"%PDF-not really")],
        )
    application = svc.application_create(
        by=developer, kind="processing", name="x", description="y", scenario=scenario
    )
    with pytest.raises(InvalidInput):
        svc.application_submit(by=developer, application=application)


def test_who_may_register_which_right(scenario, provider_user, people):
    scenario, developer = scenario
    catalog = Catalog.objects.get(code="HY-0001")
    with pytest.raises(PermissionRefused):  # a developer does not hold a provider's resource
        svc.application_create(
            by=developer, kind="holding", name="x", description="y", catalog=catalog
        )
    with pytest.raises(PermissionRefused):
        svc.application_create(
            by=provider_user, kind="processing", name="x", description="y", scenario=scenario
        )
    _org, other = admitted_developer("另一家公司", "other", by=people["staff"])
    with pytest.raises(InvalidInput):  # another organization's scenario
        svc.application_create(
            by=other, kind="processing", name="x", description="y", scenario=scenario
        )
    holding = svc.application_create(
        by=provider_user,
        kind="holding",
        name="在港船舶数据资源",
        description="海洋局持有的在港船舶数据",
        catalog=catalog,
        files=[pdf_upload()],
    )
    svc.application_submit(by=provider_user, application=holding)
    holding.refresh_from_db()
    assert holding.lineage["catalogs"][0]["resource_sha256"] == catalog.resource_version.sha256


def test_a_product_is_released_outputs_or_an_approved_service_only(scenario):
    scenario, developer = scenario
    with pytest.raises(InvalidInput):
        svc.application_create(
            by=developer, kind="product", name="x", description="y", scenario=scenario
        )


def test_change_transfer_and_cancellation_are_registered_through_review(scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    old_code = asset.verification_code
    change = svc.application_for_asset(
        by=developer,
        asset=asset,
        action="change",
        name="港口拥堵分析（变更）",
        description="名称变更",
        files=[pdf_upload()],
    )
    svc.application_submit(by=developer, application=change)
    svc.application_preliminary(by=people["staff"], application=change, decision="pass")
    svc.application_final(by=people["registrar2"], application=change, decision="approve")
    asset.refresh_from_db()
    assert asset.name == "港口拥堵分析（变更）" and asset.edition == 2
    assert asset.verification_code != old_code
    assert certificate_verify(asset.certificate_number, old_code) is None
    cancel = svc.application_for_asset(
        by=developer,
        asset=asset,
        action="cancellation",
        description="场景结束",
        files=[pdf_upload()],
    )
    svc.application_submit(by=developer, application=cancel)
    svc.application_preliminary(by=people["staff"], application=cancel, decision="pass")
    svc.application_final(by=people["registrar"], application=cancel, decision="approve")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.CANCELLED
    with pytest.raises(Conflict):
        svc.application_for_asset(by=developer, asset=asset, action="change", description="再变更")


def test_a_resources_holding_is_transferred_to_another_provider_through_review(
    client, scenario, provider_user, people
):
    scenario, developer = scenario
    asset = registered_holding(provider_user, people)
    developer_org = developer.membership.organization
    with pytest.raises(InvalidInput) as refused:  # a developer holds no resource
        svc.application_for_asset(
            by=provider_user,
            asset=asset,
            action="transfer",
            description="转让",
            transferee=developer_org,
        )
    assert refused.value.field == "transferee"
    assert "data provider" in str(refused.value)
    bureau = provider_org("市自然资源局")
    bureau_admin = member_create(
        by=None,
        organization=bureau,
        role=MemberRole.ADMIN,
        user_fields={"username": "land", "email": "land@gov.cn", "password": PASSWORD},
    )

    transfer = svc.application_for_asset(
        by=provider_user,
        asset=asset,
        action="transfer",
        description="机构改革，数据资源划转",
        transferee=bureau,
        files=[pdf_upload("划转文件.pdf")],
    )
    svc.application_submit(by=provider_user, application=transfer)
    assert DataAsset.objects.get(pk=asset.pk).holder != bureau  # not before the review
    svc.application_preliminary(by=people["staff"], application=transfer, decision="pass")
    Notification.objects.all().delete()
    svc.application_final(by=people["registrar2"], application=transfer, decision="approve")

    asset.refresh_from_db()
    assert asset.holder == bureau and asset.edition == 2
    event = AuditEvent.objects.get(action="data_asset.transfer", target_id=str(asset.pk))
    assert event.organization == bureau and event.details["edition"] == 2
    # The old holder is told of the decision on its application ...
    assert Notification.objects.filter(recipient=provider_user).exists()
    # ... and the new holder that the resource's holding is now its own.
    (told,) = Notification.objects.filter(recipient=bureau_admin)
    assert asset.certificate_number in told.subject
    # Each language names the organizations in it (the English names where given).
    assert "transferred to 市自然资源局 Ltd." in told.subject
    assert "已转移给市自然资源局" in told.subject
    assert "from 市海洋发展局 Ltd. to 市自然资源局 Ltd." in told.body and "edition 2" in told.body
    assert "由市海洋发展局转移给市自然资源局" in told.body
    assert told.target_url == f"/assets/registry/{asset.certificate_number}/"
    client.force_login(bureau_admin)
    page = client.get(told.target_url).content.decode()
    assert "市自然资源局" in page and 'id="certificate-download"' in page


def test_an_application_filed_before_a_transfer_cannot_act_on_the_asset_after_it(
    provider_user, people
):
    asset = registered_holding(provider_user, people)
    bureau = provider_org("市自然资源局")

    def filed(action: str, **extra):
        application = svc.application_for_asset(
            by=provider_user,
            asset=asset,
            action=action,
            description=f"{action} 申请",
            files=[pdf_upload("文件.pdf")],
            **extra,
        )
        svc.application_submit(by=provider_user, application=application)
        return application

    transfer = filed("transfer", transferee=bureau)
    cancellation = filed("cancellation")  # reviewed while the transfer is decided
    later = svc.application_for_asset(
        by=provider_user,
        asset=asset,
        action="cancellation",
        description="草稿",
        files=[pdf_upload("文件.pdf")],
    )
    for application in (transfer, cancellation):
        svc.application_preliminary(by=people["staff"], application=application, decision="pass")
    svc.application_final(by=people["registrar2"], application=transfer, decision="approve")

    with pytest.raises(Conflict, match="no longer holds this asset"):
        svc.application_final(by=people["registrar2"], application=cancellation, decision="approve")
    with pytest.raises(Conflict, match="no longer holds this asset"):
        svc.application_submit(by=provider_user, application=later)
    asset.refresh_from_db()
    assert asset.holder == bureau and asset.status == AssetStatus.REGISTERED
    cancellation.refresh_from_db()
    assert cancellation.status == ApplicationStatus.PRELIMINARY_PASSED  # rejected by hand


def test_a_processing_right_is_not_transferred(scenario, people):
    scenario, developer = scenario
    asset = registered(scenario, developer, people).asset
    _org, other = admitted_developer("另一家公司", "other", by=people["staff"])
    with pytest.raises(InvalidInput) as refused:
        svc.application_for_asset(
            by=developer,
            asset=asset,
            action="transfer",
            description="转让",
            transferee=other.membership.organization,
        )
    assert refused.value.field == "action" and "own authorized scenario" in str(refused.value)
    assert not AssetApplication.objects.filter(action="transfer").exists()
