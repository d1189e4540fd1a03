"""API tokens: issuing one is a change of state like any other, and audited."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from core.services.audit import audit_record
from tenants.authentication import token_expired
from tenants.permissions import membership_of


def token_issue(*, by) -> Token:
    """The caller's API token: created on first use, the same one afterwards until it
    expires (API_TOKEN_DAYS), then a new one."""
    with transaction.atomic():
        token, created = Token.objects.select_for_update().get_or_create(user=by)
        if token_expired(token):
            token.delete()
            token, created = Token.objects.create(user=by), True
        membership = membership_of(by)
        audit_record(
            by=by,
            action="token.issue",
            target=by,
            organization=membership.organization if membership else None,
            details={"new": created},
        )
    return token


def token_revoke(*, by) -> bool:
    """Revoke the caller's API token (after a password change, or on request)."""
    with transaction.atomic():
        deleted, _rows = Token.objects.filter(user=by).delete()
        if deleted:
            membership = membership_of(by)
            audit_record(
                by=by,
                action="token.revoke",
                target=by,
                organization=membership.organization if membership else None,
            )
    return bool(deleted)


def password_changed(*, by) -> None:
    """Record a password change and revoke the API token issued with the old password."""
    with transaction.atomic():
        membership = membership_of(by)
        audit_record(
            by=by,
            action="account.password_change",
            target=by,
            organization=membership.organization if membership else None,
        )
        token_revoke(by=by)
