"""Test data built through the services, as the product builds it."""

import io
import itertools

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


def staff_user(username: str, role: PlatformRole = PlatformRole.OPERATOR_STAFF):
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
