import pytest

from assets.services import registrations as svc
from operation.models import Catalog
from tenants.models import MemberRole
from tenants.roles import PlatformRole
from tenants.services.organizations import member_create
from tests.factories import PASSWORD, authorized_scenario, pdf_upload, provider_org, staff_user


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 takes most of a second per account on a busy machine; these tests make many."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def registration_people() -> dict:
    """Operator staff (preliminary review) and two members of the registration authority."""
    return {
        "staff": staff_user("op"),
        "staff2": staff_user("op2"),
        "registrar": staff_user("registrar", PlatformRole.REGISTRATION_AUTHORITY),
        "registrar2": staff_user("registrar2", PlatformRole.REGISTRATION_AUTHORITY),
    }


@pytest.fixture
def people():
    return registration_people()


@pytest.fixture
def scenario(tmp_path):
    """An authorized scenario (workspace not built: nothing here reads it) and its
    developer."""
    return authorized_scenario(tmp_path)


@pytest.fixture
def provider_user(scenario):
    return member_create(
        by=None,
        organization=provider_org(),
        role=MemberRole.ADMIN,
        user_fields={"username": "bureau", "email": "b@gov.cn", "password": PASSWORD},
    )


def processing_draft(scenario, developer, **extra):
    return svc.application_create(
        by=developer,
        kind="processing",
        name="港口拥堵分析加工使用权",
        description="在授权场景内加工使用在港船舶数据",
        scenario=scenario,
        files=[pdf_upload("授权协议.pdf")],
        **extra,
    )


def registered(scenario, developer, people):
    """A processing right through both stages."""
    application = processing_draft(scenario, developer)
    svc.application_submit(by=developer, application=application)
    svc.application_preliminary(by=people["staff"], application=application, decision="pass")
    return svc.application_final(
        by=people["registrar"], application=application, decision="approve"
    )


def registered_holding(provider_user, people):
    """The holding of the HY-0001 resource, registered by its provider through both
    stages: the asset."""
    application = svc.application_create(
        by=provider_user,
        kind="holding",
        name="在港船舶数据资源",
        description="海洋局持有的在港船舶数据",
        catalog=Catalog.objects.get(code="HY-0001"),
        files=[pdf_upload()],
    )
    svc.application_submit(by=provider_user, application=application)
    svc.application_preliminary(by=people["staff"], application=application, decision="pass")
    return svc.application_final(
        by=people["registrar"], application=application, decision="approve"
    ).asset
