"""Demo data: the operator, providers, developers and the accounts the README lists.

Idempotent: running it again creates only what is missing and changes nothing else.
"""

import contextlib
import io
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from pypdf import PdfWriter

from core.errors import ApplicationError
from core.localredis import LocalRedis, LocalRedisError, answers
from core.storage import data_path
from demo import assets as demo_assets
from demo.data import DATASETS, generate
from demo.data.marine import BERTHS, VESSEL_TYPES
from demo.demands import seed_demands
from demo.transparency import seed_transparency
from operation.models import Catalog, DataZone
from operation.services.catalogs import (
    catalog_create,
    catalog_fields_update,
    catalog_publish,
    resource_register,
    zones_ensure_standard,
)
from scenarios.agreement import AGREEMENT_SHA256
from scenarios.dataservices.calllog import calls_log_drain
from scenarios.dataservices.calls import service_call
from scenarios.dataservices.definitions import service_propose, service_review
from scenarios.dataservices.keys import api_key_create
from scenarios.models import (
    ApiKey,
    DefinitionStatus,
    Job,
    JobStatus,
    Scenario,
    ScenarioStatus,
    ScenarioType,
    ServiceCall,
    ServiceDefinition,
)
from scenarios.services.compute import voucher_grant
from scenarios.services.jobs import job_submit
from scenarios.services.outputs import outputs_check
from scenarios.services.releases import release_request_create, release_review
from scenarios.services.scenarios import scenario_apply
from scenarios.services.types import (
    scenario_type_propose,
    scenario_type_review,
    scenario_type_submit,
)
from scenarios.tasks import workspace_build
from scenarios.worker.jobs import job_execute
from tenants.commitment import COMMITMENT_SHA256
from tenants.models import AdmissionStatus, MemberRole, Organization, OrganizationKind
from tenants.permissions import holds_role
from tenants.roles import PlatformRole
from tenants.services.admission import admission_admit, admission_submit
from tenants.services.organizations import member_create, organization_create, role_grant
from tenants.uscc import check_character

User = get_user_model()


def credit_code(prefix: str, serial: int) -> str:
    first17 = f"{prefix}{serial:09d}"
    return first17 + check_character(first17)


OPERATOR = {
    "name": "市大数据有限公司",
    "name_en": "Municipal Big Data Co., Ltd.",
    "credit_code": credit_code("91350200", 100000001),
    "contact_person": "陈运营",
    "phone": "0592-0000001",
    "email": "operation@bigdata.example.cn",
    "address": "软件园二期观日路1号",
}
PROVIDERS = [
    ("ocean", "市海洋发展局", "Municipal Ocean Bureau", 1),
    ("ecology", "市生态环境局", "Municipal Ecology and Environment Bureau", 2),
    ("transport", "市交通运输局", "Municipal Transport Bureau", 3),
    ("weather", "市气象局", "Municipal Meteorological Bureau", 4),
    ("water", "市水利局", "Municipal Water Bureau", 5),
]
DEVELOPERS = [
    # username, name, English name, serial, admitted
    ("xmu_lab", "海洋大学近海海洋实验室", "University Coastal Ocean Laboratory", 11, True),
    ("insurer", "海峡财产保险股份有限公司", "Strait Property Insurance Co., Ltd.", 12, True),
    ("applicant", "蓝湾数据科技有限公司", "Blue Bay Data Technology Co., Ltd.", 13, False),
]
DEMO_LOGINS = [
    ("operator", "operator staff (admission, catalogs)"),
    ("reviewer1", "reviewer"),
    ("reviewer2", "reviewer"),
    ("auditor", "auditor (audit trail)"),
    ("ocean_bureau", "provider: ocean bureau"),
    ("xmu_lab", "developer admin: university marine laboratory (admitted)"),
    ("insurer", "developer admin: insurance company (admitted)"),
    ("applicant", "developer admin: data company (application under review)"),
    ("registrar", "registration authority (re-review of data asset registrations)"),
]
STAFF = [
    ("operator", MemberRole.ADMIN, PlatformRole.OPERATOR_STAFF),
    ("reviewer1", MemberRole.MEMBER, PlatformRole.REVIEWER),
    ("reviewer2", MemberRole.MEMBER, PlatformRole.REVIEWER),
    ("auditor", MemberRole.MEMBER, PlatformRole.AUDITOR),
]


def demo_pdf(title: str) -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(f"{title}.pdf", buffer.getvalue(), content_type="application/pdf")


SCENARIO_USERS = ["xmu_lab", "insurer", "reviewer1", "reviewer2"]
DEMO_TYPES = [
    {
        "name": "赤潮预警",
        "name_en": "Red-tide early warning",
        "purpose": "基于浮标、赤潮事件与海水水质数据研究赤潮发生规律，服务海洋防灾减灾。",
        "public_interest": True,
        "output_kinds": ["aggregate", "model", "figure", "service"],
        "proposer": "xmu_lab",
        "applicant": "xmu_lab",
        "scenario": "厦门湾赤潮预警模型",
        "scope": {
            "HY-0001": [
                "buoy_id",
                "longitude",
                "latitude",
                "ts",
                "water_temp",
                "salinity",
                "ph",
                "dissolved_oxygen",
                "chlorophyll_a",
            ],
            "HY-0002": ["sea_area", "start_date", "end_date", "dominant_species", "area_km2"],
            "HY-0004": [
                "station_id",
                "sea_area",
                "sample_date",
                "inorganic_nitrogen",
                "active_phosphate",
            ],
        },
    },
    {
        "name": "船舶交通与港口拥堵",
        "name_en": "Vessel traffic and port congestion",
        "purpose": "分析在港船舶到离港与泊位占用，评估港口拥堵与航运风险。",
        "public_interest": False,
        "output_kinds": ["aggregate", "model", "service"],
        "proposer": "insurer",
        "applicant": "insurer",
        "scenario": "港口拥堵与船舶风险评分",
        "scope": {
            "HY-0003": [
                "mmsi",
                "vessel_type",
                "gross_tonnage",
                "berth",
                "arrival_time",
                "departure_time",
            ],
        },
    },
]


# The demo's data services, and the demo API key of xmu_lab (documented in the README,
# like the demo passwords: demo data only).
DEMO_API_KEY = "sbx_demo0001_xmu-lab-red-tide-demo-key-not-secret"
DEMO_SERVICES = [
    {
        "type": "赤潮预警",
        "proposer": "xmu_lab",
        "code": "redtide-risk",
        "name": "海域赤潮风险（按网格和日）",
        "name_en": "Red-tide risk by sea area and day",
        "description": "浮标读数按0.1°网格和日汇总：读数条数、叶绿素a和溶解氧均值；"
        "可只统计叶绿素a不低于给定值的读数。",
        "sql": (
            "SELECT round(longitude, 1) AS cell_lon, round(latitude, 1) AS cell_lat,\n"
            "  CAST(date_trunc('day', ts) AS DATE) AS day,\n"
            "  count(*) AS readings,\n"
            "  round(avg(chlorophyll_a), 2) AS mean_chlorophyll_a,\n"
            "  round(avg(dissolved_oxygen), 2) AS mean_dissolved_oxygen\n"
            "FROM hy_0001\n"
            "WHERE CAST(ts AS DATE) BETWEEN $period_start AND $period_end\n"
            "  AND ($min_chlorophyll_a IS NULL OR chlorophyll_a >= $min_chlorophyll_a)\n"
            "GROUP BY round(longitude, 1), round(latitude, 1), CAST(date_trunc('day', ts) AS DATE)"
        ),
        "parameters": [
            {"name": "period", "type": "date_range", "label": "观测日期", "max_days": 92},
            {
                "name": "min_chlorophyll_a",
                "type": "number",
                "label": "叶绿素a下限 (µg/L)",
                "required": False,
                "min": 0,
                "max": 1000,
            },
        ],
        "columns": [
            "cell_lon",
            "cell_lat",
            "day",
            "readings",
            "mean_chlorophyll_a",
            "mean_dissolved_oxygen",
        ],
        "unit": "",
        "cached": True,
    },
    {
        "type": "船舶交通与港口拥堵",
        "proposer": "insurer",
        "code": "vessel-traffic",
        "name": "船舶到港流量（按泊位和小时）",
        "name_en": "Vessel traffic by berth and hour",
        "description": "到港船舶按到港小时统计：到港艘次和平均总吨；可限定泊位和船舶类型。"
        "按船舶计数：少于阈值艘船舶的单元格被抑制。",
        "sql": (
            "SELECT hour(arrival_time) AS arrival_hour,\n"
            "  count(*) AS port_calls,\n"
            "  round(avg(gross_tonnage), 0) AS mean_gross_tonnage\n"
            "FROM hy_0003\n"
            "WHERE CAST(arrival_time AS DATE) BETWEEN $period_start AND $period_end\n"
            "  AND ($berth IS NULL OR berth = $berth)\n"
            "  AND ($vessel_type IS NULL OR vessel_type = $vessel_type)\n"
            "GROUP BY hour(arrival_time)"
        ),
        "parameters": [
            {"name": "period", "type": "date_range", "label": "到港日期", "max_days": 366},
            {
                "name": "berth",
                "type": "choice",
                "label": "泊位",
                "required": False,
                "choices": [
                    f"{terminal}{number}号泊位"
                    for group in BERTHS
                    for terminal in group
                    for number in range(1, 13)
                ],
            },
            {
                "name": "vessel_type",
                "type": "choice",
                "label": "船舶类型",
                "required": False,
                "choices": [vessel[0] for vessel in VESSEL_TYPES],
            },
        ],
        "columns": ["arrival_hour", "port_calls", "mean_gross_tonnage"],
        "unit": "mmsi",
        "cached": False,
    },
]

# The red-tide scenario explored (README, "A worked example"): xmu_lab's job, the outputs
# it asks to release (what each shows, how disclosure was avoided) and its calls of the
# redtide-risk service.
REDTIDE_JOB = Path(__file__).resolve().parents[2] / "jobs" / "redtide_model.py"
REDTIDE_RELEASE = {
    "redtide_metrics.csv": {
        "context": "次日赤潮（叶绿素a日均值≥10 µg/L）逻辑回归模型在训练月和验证月的评估指标。",
        "controls": "仅含浮标-日数、赤潮日数和模型指标等汇总值，不含任何单条读数或浮标标识。",
    },
    "redtide_risk.png": {
        "context": "验证月的ROC曲线和模型的标准化系数。",
        "controls": "图中只有曲线和系数，没有单个浮标或单条读数。",
    },
}
# Whole populations only: a call filtered on chlorophyll-a would make later unfiltered
# answers of the same cells differ from it by a few readings, which the differencing
# ledger suppresses (the README's example calls, bench/services.py's check).
REDTIDE_CALLS = [
    {"period": "2025-03-01/2025-03-31"},
    {"period": "2025-05-01/2025-05-31"},
    {"period": "2025-06-08/2025-06-14"},
    {"period": "2025-07-01/2025-08-31"},
]


@contextlib.contextmanager
def demo_redis():
    """The demo's own Redis (which rundemo runs) for the block, when the settings use it
    and it is not running yet: the data services' counters and cache live in it."""
    server = LocalRedis(settings.EMBEDDED_REDIS_FOLDER)
    if server.broker_url != settings.CELERY_BROKER_URL or answers(server.socket):
        yield
        return
    try:
        server.start()
    except LocalRedisError as exc:
        raise CommandError(str(exc)) from None
    try:
        yield
    finally:
        server.stop()


class Command(BaseCommand):
    help = "Create the demo organizations, accounts and published catalogs (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="multiply the generated data's row counts (115 gives 10 million buoy rows)",
        )

    def handle(self, *args, scale: int, **options):
        if scale < 1:
            raise CommandError("--scale must be at least 1")
        password = settings.DEMO_PASSWORD
        with transaction.atomic():
            operator = self._organization(OrganizationKind.OPERATOR, OPERATOR)
            operator_staff = None
            for username, member_role, platform_role in STAFF:
                user = self._member(operator, username, member_role, password, by=operator_staff)
                if not holds_role(user, platform_role):
                    role_grant(by=operator_staff, user=user, role=platform_role)
                operator_staff = operator_staff or user
            for key, name, name_en, serial in PROVIDERS:
                provider = self._organization(
                    OrganizationKind.PROVIDER,
                    {
                        "name": name,
                        "name_en": name_en,
                        "credit_code": credit_code("11350200", 200000000 + serial),
                        "contact_person": "数据管理处",
                        "phone": f"0592-10000{serial:02d}",
                        "email": f"data@{key}.gov.example.cn",
                    },
                    by=operator_staff,
                )
                if key == "ocean":
                    self._member(
                        provider, "ocean_bureau", MemberRole.ADMIN, password, operator_staff
                    )
            for username, name, name_en, serial, admitted in DEVELOPERS:
                developer = self._organization(
                    OrganizationKind.DEVELOPER,
                    {
                        "name": name,
                        "name_en": name_en,
                        "credit_code": credit_code("91350200", 300000000 + serial),
                        "contact_person": "联系人",
                        "phone": f"0592-20000{serial:02d}",
                        "email": f"contact@{username.replace('_', '-')}.example.cn",
                    },
                    by=operator_staff,
                )
                admin = self._member(
                    developer, username, MemberRole.ADMIN, password, operator_staff
                )
                self._admission(developer, admin, operator_staff, admitted=admitted)
        self._catalogs(operator_staff, scale)
        self._scenarios()
        self._services()
        self._redtide()
        seed_demands(self.stdout)
        demo_assets.seed(self.stdout)
        seed_transparency(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _catalogs(self, staff, scale: int) -> None:
        """Generate each demo data set, ingest it, describe it and publish it."""
        zones_ensure_standard()
        providers = {
            key: Organization.objects.get(name=name) for key, name, _en, _serial in PROVIDERS
        }
        work = data_path("tmp", f"demo-scale-{scale}")
        for dataset in DATASETS:
            if Catalog.objects.filter(code=dataset.code).exists():
                continue
            source = generate(dataset, work, scale=scale)
            try:
                version = resource_register(
                    by=staff,
                    provider=providers[dataset.provider],
                    name=dataset.name,
                    source=source,
                    source_name=source.name,
                    fmt=dataset.file_format,
                )
            finally:
                source.unlink(missing_ok=True)
            days = [
                (stats["first_day"], stats["last_day"])
                for stats in version.statistics.values()
                if stats.get("first_day")
            ]
            catalog = catalog_create(
                by=staff,
                resource_version=version,
                zone=DataZone.objects.get(key=dataset.zone),
                code=dataset.code,
                name=dataset.name,
                name_en=dataset.name_en,
                summary=dataset.summary,
                keywords=dataset.keywords,
                update_frequency=dataset.update_frequency,
                sharing_type=dataset.sharing_type,
                open_type=dataset.open_type,
                time_coverage_start=date.fromisoformat(min(d[0] for d in days)) if days else None,
                time_coverage_end=date.fromisoformat(max(d[1] for d in days)) if days else None,
            )
            catalog_fields_update(
                by=staff,
                catalog=catalog,
                fields={
                    f.column: {
                        "name_zh": f.name_zh,
                        "description": f.description,
                        "level": f.level,
                        "is_identifier": f.is_identifier,
                        "masking": f.masking,
                        "generalize": f.generalize,
                    }
                    for f in dataset.fields
                },
            )
            catalog_publish(by=staff, catalog=catalog)
            self.stdout.write(f"  {dataset.code} {dataset.name}: {version.row_count} rows")

    def _scenarios(self) -> None:
        """Two approved types and an authorized scenario for each admitted developer,
        with its workspace built now."""
        users = {u.username: u for u in User.objects.filter(username__in=SCENARIO_USERS)}
        today = timezone.localdate()
        for spec in DEMO_TYPES:
            scenario_type = ScenarioType.objects.filter(name=spec["name"]).first()
            if scenario_type is None:
                scenario_type = scenario_type_propose(
                    by=users[spec["proposer"]],
                    scope=spec["scope"],
                    name=spec["name"],
                    name_en=spec["name_en"],
                    purpose=spec["purpose"],
                    public_interest=spec["public_interest"],
                    output_kinds=spec["output_kinds"],
                    valid_from=today,
                    valid_until=today + timedelta(days=730),
                )
                scenario_type_submit(by=users[spec["proposer"]], scenario_type=scenario_type)
                for reviewer in ("reviewer1", "reviewer2"):
                    scenario_type = scenario_type_review(
                        by=users[reviewer], scenario_type=scenario_type, decision="approve"
                    )
            applicant = users[spec["applicant"]]
            if scenario_type.scenarios.filter(organization__memberships__user=applicant).exists():
                continue
            scenario = scenario_apply(
                by=applicant,
                scenario_type=scenario_type,
                name=spec["scenario"],
                purpose=spec["purpose"],
                responsible_person="项目负责人",
                period_start=today,
                period_end=today + timedelta(days=365),
                scope=spec["scope"],
                agreement_sha256=AGREEMENT_SHA256,
            )
            workspace_build(scenario.workspaces.get().pk)  # ready before the demo starts
            self.stdout.write(f"  scenario {scenario.name} ({applicant.username}): authorized")
        for username in ("xmu_lab", "insurer"):
            organization = users[username].membership.organization
            if not organization.vouchers.exists():
                voucher_grant(
                    by=User.objects.get(username=STAFF[0][0]),
                    organization=organization,
                    cpu_hours="100",
                    valid_until=today + timedelta(days=365),
                    reason="演示算力券 (demo compute voucher)",
                )

    def _services(self) -> None:
        """The demo's data services (amendments of the approved types, approved by both
        reviewers) and xmu_lab's API key for its red-tide scenario."""
        users = {u.username: u for u in User.objects.filter(username__in=SCENARIO_USERS)}
        for spec in DEMO_SERVICES:
            scenario_type = ScenarioType.objects.filter(name=spec["type"]).first()
            if scenario_type is None or "service" not in scenario_type.output_kinds:
                continue
            if ServiceDefinition.objects.filter(service__code=spec["code"]).exists():
                continue
            fields = {k: v for k, v in spec.items() if k not in ("type", "proposer")}
            definition = service_propose(
                by=users[spec["proposer"]], scenario_type=scenario_type, **fields
            )
            for reviewer in ("reviewer1", "reviewer2"):
                if definition.status == DefinitionStatus.SUBMITTED:
                    definition = service_review(
                        by=users[reviewer], definition=definition, decision="approve"
                    )
            self.stdout.write(f"  data service {spec['code']}: {definition.status}")
        scenario = Scenario.objects.filter(
            organization__memberships__user=users["xmu_lab"], status=ScenarioStatus.AUTHORIZED
        ).first()
        if scenario is not None and not ApiKey.objects.filter(prefix="demo0001").exists():
            api_key_create(
                by=users["xmu_lab"],
                scenario=scenario,
                name="演示密钥 (demo key)",
                secret=DEMO_API_KEY,
            )
            self.stdout.write(f"  API key for xmu_lab: {DEMO_API_KEY}")

    def _redtide(self) -> None:
        """The red-tide scenario explored: xmu_lab's bloom-risk model (REDTIDE_JOB) run
        for real in the sandbox, its outputs checked and released by both reviewers, and
        the redtide-risk service called with the demo key."""
        users = {u.username: u for u in User.objects.filter(username__in=SCENARIO_USERS)}
        scenario = Scenario.objects.filter(
            organization__memberships__user=users["xmu_lab"], status=ScenarioStatus.AUTHORIZED
        ).first()
        if scenario is None:
            return
        with demo_redis():  # counters, and the messages the services send, as in life
            job = self._redtide_job(scenario, users["xmu_lab"])
            if job is not None:
                self._redtide_release(scenario, job, users)
            self._redtide_calls(scenario)

    def _redtide_job(self, scenario, developer) -> Job | None:
        code = REDTIDE_JOB.read_text()
        jobs = Job.objects.filter(scenario=scenario, code=code, dry_run=False)
        job = (
            jobs.filter(status=JobStatus.SUCCEEDED).first()
            or jobs.filter(status=JobStatus.QUEUED).first()
        )
        if job is None:  # never run, or failed (bubblewrap missing): run it now
            try:
                job = job_submit(
                    by=developer,
                    scenario=scenario,
                    language="python",
                    code=code,
                    dry_run=False,
                    name="赤潮风险模型（逻辑回归）",
                )
            except ApplicationError as error:  # e.g. the lab's compute balance is used up
                self.stderr.write(f"  the red-tide job was not submitted: {error}")
                return None
        while job.status == JobStatus.QUEUED:
            # In this process, as a sandbox worker would: the fairest queued job first (the
            # demo's own, unless others wait), until this one has run. The message the
            # submission sent later finds it done and does nothing.
            job_execute(job_id=job.pk, worker="seed_demo")
            job.refresh_from_db()
            self.stdout.write(f"  job {job.pk} {REDTIDE_JOB.name}: {job.status}")
        if job.status != JobStatus.SUCCEEDED:
            self.stderr.write(f"  the red-tide job did not succeed: {job.reason}")
            return None
        outputs_check(job)  # as the general worker would; only outputs still pending
        return job

    def _redtide_release(self, scenario, job, users) -> None:
        outputs = {o.name: o for o in job.outputs.filter(name__in=REDTIDE_RELEASE)}
        if len(outputs) < len(REDTIDE_RELEASE) or any(
            output.released_at or output.release_items.exists() for output in outputs.values()
        ):
            return
        request = release_request_create(
            by=users["xmu_lab"],
            scenario=scenario,
            items=[{"output": outputs[name].pk, **item} for name, item in REDTIDE_RELEASE.items()],
        )
        for reviewer in ("reviewer1", "reviewer2"):
            request = release_review(
                by=users[reviewer],
                request=request,
                decision="approve",
                comment_public="模型评估指标与图表为汇总结果，同意发布。",
            )
        self.stdout.write(f"  release of {', '.join(outputs)}: {request.status}")

    def _redtide_calls(self, scenario) -> None:
        if ServiceCall.objects.filter(scenario=scenario, service_code="redtide-risk").exists():
            return
        for given in REDTIDE_CALLS:
            try:
                service_call(secret=DEMO_API_KEY, code="redtide-risk", given=dict(given))
            except ApplicationError as error:  # recorded in the call log all the same
                self.stderr.write(f"  redtide-risk {given}: {error}")
        calls_log_drain()  # the log shows them before beat's next drain
        self.stdout.write(f"  redtide-risk called {len(REDTIDE_CALLS)} times with the demo key")

    def _organization(self, kind, fields, by=None) -> Organization:
        existing = Organization.objects.filter(credit_code=fields["credit_code"]).first()
        return existing or organization_create(by=by, kind=kind, fields=fields)

    def _member(self, organization, username, role, password, by):
        existing = User.objects.filter(username=username).first()
        if existing:
            return existing
        return member_create(
            by=by,
            organization=organization,
            role=role,
            user_fields={
                "username": username,
                "email": f"{username}@demo.example.cn",
                "password": password,
            },
        )

    def _admission(self, organization, admin, operator_staff, *, admitted: bool) -> None:
        application = organization.admission
        if application.status != AdmissionStatus.DRAFT:
            return
        admission_submit(
            by=admin,
            application=application,
            business_scope="基于公共数据的海洋环境与风险分析产品研发。",
            security_measures="专人负责数据安全，访问审批与日志留存，仅在平台沙箱内计算。",
            files=[demo_pdf("business-licence")],
            commitment_sha256=COMMITMENT_SHA256,
        )
        if admitted:
            admission_admit(by=operator_staff, application=application)
