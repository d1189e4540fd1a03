"""Test data built through the services, as the product builds it."""

import io
import itertools
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from tenants.commitment import COMMITMENT_SHA256
from tenants.models import MemberRole, Organization, OrganizationKind
from tenants.roles import PlatformRole
from tenants.services.admission import admission_admit, admission_submit
from tenants.services.organizations import (
    developer_sign_up,
    member_create,
    organization_create,
    role_grant,
)
from tenants.uscc import check_character

PASSWORD = "correct-horse-battery-9"
_serial = itertools.count(1)


def uscc() -> str:
    first17 = f"91350200{next(_serial):09d}"
    return first17 + check_character(first17)


def org_fields(name: str) -> dict:
    return {
        "name": name,
        "name_en": f"{name} Ltd.",
        "credit_code": uscc(),
        "contact_person": "张三",
        "phone": "0592-1234567",
        "email": "contact@example.cn",
    }


def pdf_upload(name: str = "licence.pdf") -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def image_upload(name: str, fmt: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


def operator_org() -> Organization:
    existing = Organization.objects.filter(kind=OrganizationKind.OPERATOR).first()
    return existing or organization_create(by=None, kind="operator", fields=org_fields("运营机构"))


def org_member(admin, username: str, role: MemberRole = MemberRole.MEMBER):
    """Another member of ``admin``'s organization, added by ``admin``."""
    return member_create(
        by=admin,
        organization=admin.membership.organization,
        role=role,
        user_fields={"username": username, "email": f"{username}@dev.cn", "password": PASSWORD},
    )


def is_active(user) -> bool:
    """Whether ``user`` may log in, as the database has it now."""
    return get_user_model().objects.get(pk=user.pk).is_active


def staff_user(username: str, role: PlatformRole = PlatformRole.OPERATOR_STAFF):
    """A member of the operator with a platform role (the existing one if made already)."""
    existing = get_user_model().objects.filter(username=username).first()
    if existing is not None:
        return existing
    user = member_create(
        by=None,
        organization=operator_org(),
        role=MemberRole.MEMBER,
        user_fields={"username": username, "email": f"{username}@op.cn", "password": PASSWORD},
    )
    role_grant(by=None, user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


def developer(name: str, username: str):
    """A signed-up developer organization (admission still a draft) and its admin."""
    return developer_sign_up(
        organization_fields=org_fields(name),
        admin_fields={"username": username, "email": f"{username}@dev.cn", "password": PASSWORD},
    )


def submitted_developer(name: str, username: str):
    organization, admin = developer(name, username)
    admission_submit(
        by=admin,
        application=organization.admission,
        business_scope="海洋数据分析",
        security_measures="专人管理",
        files=[pdf_upload()],
        commitment_sha256=COMMITMENT_SHA256,
    )
    organization.admission.refresh_from_db()
    return organization, admin


def admitted_developer(name: str, username: str, *, by):
    organization, admin = submitted_developer(name, username)
    admission_admit(by=by, application=organization.admission)
    organization.admission.refresh_from_db()
    return organization, admin


def provider_org(name: str = "市海洋发展局") -> Organization:
    existing = Organization.objects.filter(name=name).first()
    return existing or organization_create(by=None, kind="provider", fields=org_fields(name))


def vessel_csv(path: Path, rows: int = 200, *, offset: int = 0) -> Path:
    """Vessels in port: MMSI identifier, a vessel type category, arrival, an L4 phone."""
    types = ["集装箱船", "散货船", "油轮", "客滚船"]
    lines = ["mmsi,vessel_name,vessel_type,berth,arrival_time,owner_phone,tonnage"]
    for i in range(rows):
        n = i + offset
        lines.append(
            f"{412000000 + n},远洋{n:04d}号,{types[n % 4]},海天{n % 7 + 1}号泊位,"
            f"2025-03-{n % 28 + 1:02d} {n % 24:02d}:15:00,1390000{n:04d},{1000 + n * 37}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


VESSEL_FIELDS = {
    "mmsi": {"name_zh": "MMSI", "level": 3, "is_identifier": True, "masking": "pseudonym"},
    "vessel_name": {"name_zh": "船名", "level": 2, "masking": "pseudonym"},
    "vessel_type": {"name_zh": "船舶类型"},
    "berth": {"name_zh": "泊位"},
    "arrival_time": {"name_zh": "到港时间", "masking": "generalize", "generalize": "hour"},
    "owner_phone": {"name_zh": "船东电话", "level": 4, "is_identifier": True, "masking": "drop"},
    "tonnage": {"name_zh": "吨位", "masking": "generalize", "generalize": "band:1000"},
}


def published_vessel_catalog(staff, tmp_path, *, rows: int = 200, code: str = ""):
    from operation.models import DataZone
    from operation.services import catalogs as svc

    svc.zones_ensure_standard()
    source = vessel_csv(tmp_path / f"vessels{code}.csv", rows)
    version = svc.resource_register(
        by=staff, provider=provider_org(), name="在港船舶", source=source, source_name=source.name
    )
    catalog = svc.catalog_create(
        by=staff,
        resource_version=version,
        zone=DataZone.objects.get(key="marine"),
        code=code,
        name="在港船舶动态",
        name_en="Vessels in port",
        summary="厦门港在港船舶到离港记录",
        keywords="船舶, vessel, 港口, port",
        update_frequency="daily",
    )
    svc.catalog_fields_update(by=staff, catalog=catalog, fields=VESSEL_FIELDS)
    return svc.catalog_publish(by=staff, catalog=catalog)


def published_demo_catalog(staff, tmp_path, key: str):
    """A demo data set (see demo.data) at the smallest scale, ingested, described and
    published under its own code, as the demo seeds it."""
    from demo.data import dataset, generate
    from operation.models import DataZone
    from operation.services import catalogs as svc

    demo = dataset(key)
    svc.zones_ensure_standard()
    source = generate(demo, tmp_path / f"demo-{key}")
    version = svc.resource_register(
        by=staff,
        provider=provider_org(),
        name=demo.name,
        source=source,
        source_name=source.name,
        fmt=demo.file_format,
    )
    catalog = svc.catalog_create(
        by=staff,
        resource_version=version,
        zone=DataZone.objects.get(key=demo.zone),
        code=demo.code,
        name=demo.name,
        name_en=demo.name_en,
        summary=demo.summary,
        keywords=demo.keywords,
        update_frequency=demo.update_frequency,
    )
    fields = {
        f.column: {
            "name_zh": f.name_zh,
            "description": f.description,
            "level": f.level,
            "is_identifier": f.is_identifier,
            "masking": f.masking,
            "generalize": f.generalize,
        }
        for f in demo.fields
    }
    svc.catalog_fields_update(by=staff, catalog=catalog, fields=fields)
    return svc.catalog_publish(by=staff, catalog=catalog)


def approved_type(
    tmp_path,
    *,
    proposer_username: str = "lab",
    organization: str = "海洋实验室",
    scope=None,
    **overrides,
):
    """An approved scenario type over the vessels catalog, proposed by an admitted
    developer and approved by two reviewers from the operator."""
    import datetime

    from operation.models import Catalog
    from scenarios.services.types import (
        scenario_type_propose,
        scenario_type_review,
        scenario_type_submit,
    )

    operator = staff_user("op")
    if not Catalog.objects.filter(code="HY-0001").exists():
        published_vessel_catalog(operator, tmp_path)
    _org, proposer = admitted_developer(organization, proposer_username, by=operator)
    fields = {
        "name": "船舶交通与港口拥堵",
        "name_en": "Vessel traffic and port congestion",
        "purpose": "港口拥堵研究",
        "output_kinds": ["aggregate"],
        "valid_from": datetime.date.today() - datetime.timedelta(days=1),
        "valid_until": datetime.date.today() + datetime.timedelta(days=365),
    }
    fields.update(overrides)
    scenario_type = scenario_type_propose(
        by=proposer,
        scope=scope or {"HY-0001": ["mmsi", "vessel_type", "berth", "arrival_time"]},
        **fields,
    )
    scenario_type_submit(by=proposer, scenario_type=scenario_type)
    for name in ("reviewer1", "reviewer2"):
        reviewer = staff_user(name, PlatformRole.REVIEWER)
        scenario_type = scenario_type_review(
            by=reviewer, scenario_type=scenario_type, decision="approve"
        )
    return scenario_type, proposer


def authorized_scenario(tmp_path, *, username: str = "lab", cpu_hours: str = "10", **type_fields):
    """An authorized scenario over the vessels catalog with a ready workspace, its
    organization granted a compute voucher. Returns (scenario, developer). Run inside
    ``django_capture_on_commit_callbacks(execute=True)`` or a transactional test, so the
    workspace is built."""
    import datetime

    from scenarios.agreement import AGREEMENT_SHA256
    from scenarios.services.compute import voucher_grant
    from scenarios.services.scenarios import scenario_apply

    scenario_type, developer = approved_type(tmp_path, proposer_username=username, **type_fields)
    scenario = scenario_apply(
        by=developer,
        scenario_type=scenario_type,
        name="厦门港拥堵分析",
        purpose="泊位利用率",
        responsible_person="王五",
        period_start=datetime.date.today(),
        period_end=datetime.date.today() + datetime.timedelta(days=30),
        scope={"HY-0001": ["mmsi", "vessel_type", "berth", "arrival_time"]},
        agreement_sha256=AGREEMENT_SHA256,
    )
    voucher_grant(
        by=staff_user("op"),
        organization=scenario.organization,
        cpu_hours=cpu_hours,
        valid_until=datetime.date.today() + datetime.timedelta(days=90),
        reason="研究算力券",
    )
    return scenario, developer


# A data service over the vessels catalog with a parameter of every type. 200 port calls
# over 7 berths (about 28 each) in March 2025: a whole month passes the threshold of 10,
# a few days do not.
BERTH_SERVICE = {
    "code": "berth-traffic",
    "name": "泊位到港艘次",
    "name_en": "Port calls by berth",
    "sql": (
        "SELECT berth, count(*) AS port_calls FROM hy_0001 "
        "WHERE CAST(arrival_time AS DATE) BETWEEN $period_start AND $period_end "
        "AND ($vessel_type IS NULL OR vessel_type = $vessel_type) "
        "AND ($min_hour IS NULL OR hour(arrival_time) >= $min_hour) "
        "AND ($max_hour IS NULL OR hour(arrival_time) <= $max_hour) "
        "AND ($since IS NULL OR CAST(arrival_time AS DATE) >= $since) "
        "GROUP BY berth"
    ),
    "parameters": [
        {"name": "period", "type": "date_range", "max_days": 62},
        {
            "name": "vessel_type",
            "type": "choice",
            "required": False,
            "choices": ["集装箱船", "散货船", "油轮", "客滚船"],
        },
        {"name": "min_hour", "type": "integer", "required": False, "min": 0, "max": 23},
        {"name": "max_hour", "type": "number", "required": False, "min": 0, "max": 23},
        {"name": "since", "type": "date", "required": False},
    ],
    "columns": ["berth", "port_calls"],
    "unit": "mmsi",
}


def serviced_scenario(tmp_path, *, username: str = "lab", **service_fields):
    """An authorized scenario (see ``authorized_scenario``) whose type carries the
    berth-traffic service, approved as an amendment by two reviewers, and an API key of
    the scenario. Returns (scenario, developer, definition, secret)."""
    from scenarios.dataservices.definitions import service_propose, service_review
    from scenarios.dataservices.keys import api_key_create

    scenario, developer = authorized_scenario(
        tmp_path, username=username, output_kinds=["aggregate", "service"]
    )
    fields = {**BERTH_SERVICE, **service_fields}
    definition = service_propose(by=developer, scenario_type=scenario.scenario_type, **fields)
    for name in ("reviewer1", "reviewer2"):
        definition = service_review(
            by=staff_user(name, PlatformRole.REVIEWER), definition=definition, decision="approve"
        )
    _key, secret = api_key_create(by=developer, scenario=scenario, name="test key")
    return scenario, developer, definition, secret


def warm_ahead(scenario, language: str = "sql"):
    """A warm sandbox waiting for the scenario's next job (the pool must be open), as a
    worker keeps one after a job: the run spec the worker will give that job, but its
    code. Returns the waiting sandbox."""
    from django.conf import settings

    from core.storage import data_path
    from scenarios.limits import effective_limits
    from scenarios.sandbox import engine
    from scenarios.worker.warm import warm_prepare, warm_waiting

    workspace = scenario.workspaces.order_by("-version").first()
    spec = engine.RunSpec(
        language=language,
        code="",
        workspace=data_path(workspace.path),
        tables={code: item["file"] for code, item in workspace.manifest["tables"].items()},
        folder=data_path("unused"),
        limits=effective_limits(scenario.scenario_type),
        python=settings.SANDBOX_PYTHON,
        sandbox_uid=settings.SANDBOX_UID,
        max_output_bytes=settings.SANDBOX_MAX_OUTPUT_BYTES,
        cgroups=settings.SANDBOX_CGROUPS,
        cgroup_root=settings.SANDBOX_CGROUP_ROOT,
    )
    warm_prepare(scenario_id=scenario.pk, workspace_id=workspace.pk, spec=spec)
    (waiting,) = warm_waiting()
    return waiting


def ran_warm(job) -> bool:
    """Whether the job ran in a warm sandbox (its finishing audit event says so)."""
    from core.models import AuditEvent

    finished = AuditEvent.objects.get(target_id=str(job.pk), action=f"job.{job.status}")
    return finished.details.get("warm") is True
