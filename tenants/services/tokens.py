"""API tokens and passwords: issuing or revoking a token and changing a password are
changes of state like any other, and audited; so is a wrong current password on changing it."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.models import AuditEvent
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


def _password_change_failures(user) -> int:
    """Wrong current passwords given on changing ``user``'s password within the lock-out's
    cool-off time (AXES_COOLOFF_TIME) and since the password was last changed."""
    recent = AuditEvent.objects.filter(
        actor=user, time__gt=timezone.now() - settings.AXES_COOLOFF_TIME
    )
    changed = recent.filter(action="account.password_change").aggregate(seq=Max("seq"))["seq"]
    return recent.filter(action="account.password_change_refused", seq__gt=changed or 0).count()


def password_change_locked(user) -> bool:
    """Whether changing ``user``'s password is refused for now: as many wrong current
    passwords as the login lock-out allows failed logins (LOGIN_FAILURE_LIMIT)."""
    return _password_change_failures(user) >= settings.AXES_FAILURE_LIMIT


def password_change_refused(*, by) -> bool:
    """Record a wrong current password given on changing the password; True when this one
    locks the password change (the caller then logs the session out)."""
    with transaction.atomic():
        # One at a time per person, so that simultaneous guesses are all counted.
        get_user_model().objects.select_for_update().filter(pk=by.pk).exists()
        failures = _password_change_failures(by) + 1
        locked = failures >= settings.AXES_FAILURE_LIMIT
        membership = membership_of(by)
        audit_record(
            by=by,
            action="account.password_change_refused",
            target=by,
            organization=membership.organization if membership else None,
            details={"failures": failures, "locked": locked},
        )
    return locked
