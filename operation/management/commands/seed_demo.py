"""Demo data: the operator, providers, developers and the accounts the README lists.

Idempotent: running it again creates only what is missing and changes nothing else.
"""

import io
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from pypdf import PdfWriter

from operation.demo_data import DATASETS, generate
from operation.models import Catalog, DataZone
from operation.services.catalogs import (
    catalog_create,
    catalog_fields_update,
    catalog_publish,
    resource_register,
    zones_ensure_standard,
)
from operation.storage import data_path
from tenants.commitment import COMMITMENT_SHA256
from tenants.models import AdmissionStatus, MemberRole, Organization, OrganizationKind
from tenants.roles import PlatformRole, has_role
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
                if not has_role(user, platform_role):
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
