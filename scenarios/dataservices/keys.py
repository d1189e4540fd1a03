"""API keys: one scenario's, made by an administrator of its organization (the secret is
shown once, only its SHA-256 is kept), revoked at once by such an administrator or by
operator staff (or when the member who made it is deactivated), and read back from a
call's secret while live (not revoked, not expired)."""

import hashlib
import re
import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput, PermissionRefused, Unauthenticated
from core.services.audit import audit_record
from scenarios.models import ApiKey, Scenario, ScenarioStatus
from tenants.permissions import check_org_admin, is_operator_staff, is_org_admin

KEY = re.compile(r"^sbx_([a-z0-9]{8})_([A-Za-z0-9_-]{32,64})$")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_state(key: ApiKey, now=None) -> str:
    """ "revoked", "expired" (its expiry passed) or "active"."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def may_revoke(user, organization) -> bool:
    """An administrator of the keys' organization, or operator staff, revoke them."""
    return is_org_admin(user, organization) or is_operator_staff(user)


def api_key_create(
    *, by, scenario: Scenario, name: str, expires_at: datetime | None = None, secret: str = ""
) -> tuple[ApiKey, str]:
    """A key for one scenario, by an admin of its organization: (the key, its secret, to
    show once). ``secret`` (a well-formed key) is for demo data only."""
    check_org_admin(
        by,
        scenario.organization_id,
        _("Only an administrator of the scenario's organization does."),
    )
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Name the key (at most 100 characters)."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(_("The expiry must be in the future."), field="expires_at")
    if secret:
        if KEY.match(secret) is None:
            raise InvalidInput(_("Not a well-formed key."), field="secret")
    else:
        secret = f"sbx_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if scenario.status != ScenarioStatus.AUTHORIZED:
            raise Conflict(_("Keys are made for authorized scenarios only."))
        now, most = timezone.now(), settings.SERVICES_KEYS_PER_SCENARIO
        live = scenario.api_keys.filter(revoked_at=None).exclude(expires_at__lte=now)
        if live.count() >= most:
            raise Conflict(
                _(
                    "This scenario has %(most)s live keys, the most it may have: revoke one "
                    "it no longer uses first."
                )
                % {"most": most}
            )
        key = ApiKey.objects.create(
            organization=scenario.organization,
            scenario=scenario,
            name=name,
            prefix=KEY.match(secret).group(1),
            key_sha256=_hash(secret),
            created_by=by,
            expires_at=expires_at,
        )
        audit_record(
            by=by,
            action="api_key.create",
            target=key,
            organization=scenario.organization,
            details={"prefix": key.prefix, "scenario": scenario.pk, "expires_at": expires_at},
        )
    return key, secret


def api_key_revoke(*, by, key: ApiKey) -> ApiKey:
    """An admin of the key's organization, or operator staff, revoke it: at once."""
    if not may_revoke(by, key.organization_id):
        raise PermissionRefused(_("Only an administrator of the key's organization does."))
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            raise Conflict(_("This key is already revoked."))
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            by=by,
            action="api_key.revoke",
            target=key,
            organization=key.organization,
            details={"prefix": key.prefix},
        )
    return key


def cascade_member_deactivated(*, by, user, organization, reason: str) -> None:
    """A member deactivated (tenants, core/hooks.py): the organization's keys they made and
    that are not revoked yet are revoked, each audited as a revocation by whoever
    deactivated them (the reason is on the deactivation's own event)."""
    for key in ApiKey.objects.filter(organization=organization, created_by=user, revoked_at=None):
        api_key_revoke(by=by, key=key)


def api_key_find(secret: str) -> ApiKey | None:
    """The key ``secret`` is (live or not), with its scenario, type and organization."""
    match = KEY.match(secret or "")
    if match is None:
        return None
    found = ApiKey.objects.select_related(
        "scenario__scenario_type", "scenario__organization__admission", "organization"
    ).filter(key_sha256=_hash(secret))[:1]  # unique; [:1] spares .first()'s ordering
    return next(iter(found), None)


def api_key_check(key: ApiKey, now=None) -> None:
    """Unauthenticated unless ``key`` is live (not revoked, not expired at ``now``)."""
    state = key_state(key, now)
    if state == "revoked":
        raise Unauthenticated(_("This API key is revoked."), code="key_revoked")
    if state == "expired":
        raise Unauthenticated(_("This API key has expired."), code="key_expired")
