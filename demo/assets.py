"""Demo data asset registrations (数据资产登记), one or more in each state: the ocean
bureau's holding of the red-tide buoy catalog and xmu_lab's red-tide outputs as a data
product (registered), xmu_lab's processing right (awaiting preliminary review), its
redtide-risk service (awaiting the registration authority's re-review), the insurer's
vessel-traffic service (returned for correction) and processing right (a draft), a
rejected holding, and a pilot scenario's processing right lapsed when the scenario was
closed. The registration authority's account is ``registrar``.

Idempotent: nothing is added once any registration application exists."""

import io
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from assets.models import AssetApplication
from assets.services import registrations as svc
from operation.models import Catalog
from scenarios.agreement import AGREEMENT_SHA256
from scenarios.models import DataService, JobOutput, Scenario, ScenarioStatus
from scenarios.services.scenarios import scenario_apply, scenario_close
from tenants.permissions import holds_role
from tenants.roles import PlatformRole
from tenants.services.organizations import role_grant

User = get_user_model()
REGISTRAR = "registrar"


def evidence(title: str) -> SimpleUploadedFile:
    """A one-page PDF standing for a piece of evidence (an agreement, a letter)."""
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.setFont("STSong-Light", 16)
    canvas.drawString(72, 760, title)
    canvas.setFont("STSong-Light", 10)
    canvas.drawString(72, 730, "演示材料 (demo evidence)")
    canvas.save()
    return SimpleUploadedFile(f"{title}.pdf", buffer.getvalue(), content_type="application/pdf")


def registrar(operator_staff):
    """The registration authority's person: of no organization on the platform."""
    user = User.objects.filter(username=REGISTRAR).first()
    if user is None:
        user = User.objects.create_user(
            username=REGISTRAR,
            email="registrar@data-bureau.example.cn",
            password=settings.DEMO_PASSWORD,
        )
    if not holds_role(user, PlatformRole.REGISTRATION_AUTHORITY):
        role_grant(by=operator_staff, user=user, role=PlatformRole.REGISTRATION_AUTHORITY)
    return user


def _reviewed(application, staff, authority, *, final: str | None = "approve", comment=""):
    svc.application_submit(by=application.created_by, application=application)
    if final is None:
        return application
    if final == "return-preliminary":
        return svc.application_preliminary(
            by=staff, application=application, decision="return", comment=comment
        )
    svc.application_preliminary(by=staff, application=application, decision="pass")
    if final == "pending":
        return application
    return svc.application_final(
        by=authority, application=application, decision=final, comment=comment
    )


def _authorized(username: str):
    return Scenario.objects.filter(
        organization__memberships__user__username=username, status=ScenarioStatus.AUTHORIZED
    ).first()


def seed(stdout) -> None:
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["operator", "ocean_bureau", "xmu_lab", "insurer"]
        )
    }
    staff, authority = users["operator"], registrar(users["operator"])
    if AssetApplication.objects.exists():
        return
    redtide, vessels = _authorized("xmu_lab"), _authorized("insurer")
    buoys = Catalog.objects.get(code="HY-0001")
    holding = svc.application_create(
        by=users["ocean_bureau"],
        kind="holding",
        name="厦门湾赤潮监测浮标数据资源",
        description="市海洋发展局依法采集并持有的赤潮监测浮标逐时观测数据。",
        catalog=buoys,
        files=[evidence("数据资源采集职责说明")],
    )
    _reviewed(holding, staff, authority)
    released = JobOutput.objects.filter(job__scenario=redtide, released_at__isnull=False)
    if released.exists():
        product = svc.application_create(
            by=users["xmu_lab"],
            kind="product",
            name="厦门湾赤潮风险评估结果集",
            description="赤潮预警模型在沙箱内计算并经两名审核专家放行的指标与风险图。",
            scenario=redtide,
            outputs=released,
            files=[evidence("数据产品说明书")],
        )
        _reviewed(product, staff, authority)
    else:
        stdout.write("  no released red-tide outputs: their product is not registered")
    processing = svc.application_create(
        by=users["xmu_lab"],
        kind="processing",
        name="赤潮预警场景数据加工使用权",
        description="在授权场景内加工使用浮标、赤潮事件与海水水质数据。",
        scenario=redtide,
        files=[evidence("场景授权运营协议")],
    )
    _reviewed(processing, staff, authority, final=None)
    service = svc.application_create(
        by=users["xmu_lab"],
        kind="product",
        name="海域赤潮风险数据服务",
        description="按海域和日提供赤潮风险的数据服务接口。",
        scenario=redtide,
        service=DataService.objects.get(code="redtide-risk"),
        files=[evidence("数据服务说明")],
    )
    _reviewed(service, staff, authority, final="pending")
    traffic = svc.application_create(
        by=users["insurer"],
        kind="product",
        name="泊位船舶交通数据服务",
        description="按泊位和小时提供船舶交通流量的数据服务接口。",
        scenario=vessels,
        service=DataService.objects.get(code="vessel-traffic"),
        files=[evidence("数据服务说明")],
    )
    _reviewed(
        traffic, staff, authority, final="return-preliminary", comment="请补充数据服务的定价依据。"
    )
    svc.application_create(
        by=users["insurer"],
        kind="processing",
        name="港口拥堵场景数据加工使用权",
        description="在授权场景内加工使用在港船舶数据（草稿）。",
        scenario=vessels,
    )
    events = svc.application_create(
        by=users["ocean_bureau"],
        kind="holding",
        name="赤潮事件数据资源",
        description="历年赤潮事件记录。",
        catalog=Catalog.objects.get(code="HY-0002"),
        files=[evidence("情况说明")],
    )
    _reviewed(
        events, staff, authority, final="reject", comment="证明材料未载明数据来源和采集依据。"
    )
    _lapsed(users["xmu_lab"], redtide, staff, authority)
    stdout.write(
        f"  asset registrations: {AssetApplication.objects.count()} applications; "
        f"registration authority: {REGISTRAR}"
    )


def _lapsed(developer, redtide, staff, authority) -> None:
    """A pilot scenario of the red-tide type, registered, then closed: its processing
    right lapses through the cascade."""
    today = timezone.localdate()
    pilot = scenario_apply(
        by=developer,
        scenario_type=redtide.scenario_type,
        name="赤潮预警试点（已结束）",
        purpose="2025年夏季赤潮预警试点。",
        responsible_person="项目负责人",
        period_start=today,
        period_end=today + timedelta(days=30),
        scope={"HY-0001": ["buoy_id", "ts", "chlorophyll_a"]},
        agreement_sha256=AGREEMENT_SHA256,
    )
    application = svc.application_create(
        by=developer,
        kind="processing",
        name="赤潮预警试点数据加工使用权",
        description="试点期内加工使用浮标数据。",
        scenario=pilot,
        files=[evidence("试点授权协议")],
    )
    _reviewed(application, staff, authority)
    scenario_close(by=developer, scenario=pilot, reason="试点结束")
