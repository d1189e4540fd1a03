import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from tenants.roles import PlatformRole, has_role
from tests.factories import staff_user, uscc

pytestmark = pytest.mark.django_db


def test_create_operator_makes_the_organization_and_a_staff_account(monkeypatch):
    monkeypatch.setenv("OPERATOR_PASSWORD", "a-long-operator-pass-1")
    args = ["--name", "市大数据有限公司", "--credit-code", uscc(), "--contact", "陈"]
    args += ["--phone", "0592-1", "--email", "ops@example.cn", "--username", "ops"]
    call_command("create_operator", *args)
    ops = get_user_model().objects.get(username="ops")
    assert has_role(ops, PlatformRole.OPERATOR_STAFF)
    assert ops.check_password("a-long-operator-pass-1")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_operator", *args)


def test_create_operator_refuses_a_bad_credit_code(monkeypatch):
    monkeypatch.setenv("OPERATOR_PASSWORD", "a-long-operator-pass-1")
    with pytest.raises(CommandError, match="credit_code"):
        call_command(
            "create_operator",
            *["--name", "市大数据", "--credit-code", "91110108551385082R", "--contact", "陈"],
            *["--phone", "1", "--email", "o@x.cn", "--username", "ops"],
        )


def test_grant_role_is_audited():
    member = staff_user("colleague", PlatformRole.AUDITOR)  # an operator member
    call_command("grant_role", "colleague", "reviewer")
    assert has_role(get_user_model().objects.get(pk=member.pk), PlatformRole.REVIEWER)
    granted = AuditEvent.objects.filter(action="role.grant", actor_username="system")
    assert granted.filter(details__role="reviewer").exists()
    with pytest.raises(CommandError, match="no user"):
        call_command("grant_role", "ghost", "reviewer")
