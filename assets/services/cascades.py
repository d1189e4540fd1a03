"""Registrations whose basis goes away: listened to from core.hooks (assets/apps.py), inside
the transaction of the change below. A basis gone for good lapses the registration; one
in question (a suspension) flags it."""

from django.utils import timezone
from django.utils.translation import gettext as _

from assets.models import AssetStatus, DataAsset, RightKind
from core.services.audit import audit_record
from scenarios.models import ScenarioStatus

LIVE = (AssetStatus.REGISTERED, AssetStatus.FLAGGED)


def _set(by, assets, status: str, reason: str) -> None:
    now = timezone.now()
    for asset in assets.select_for_update().filter(status__in=LIVE).order_by("pk"):
        if asset.status == status:
            continue
        previous = asset.status
        asset.status, asset.status_reason, asset.updated_at = status, reason, now
        asset.save(update_fields=["status", "status_reason", "updated_at"])
        audit_record(
            by=by,
            action=f"data_asset.{'lapse' if status == AssetStatus.LAPSED else 'flag'}",
            target=asset,
            organization=asset.holder,
            details={"from": previous, "to": status, "reason": reason},
        )


def assets_for_organization(*, by, organization, action: str, reason: str) -> None:
    """The holder suspended (flagged) or revoked (lapsed)."""
    status = AssetStatus.LAPSED if action == "revoke" else AssetStatus.FLAGGED
    message = _("The holder was suspended or revoked: %(reason)s") % {"reason": reason}
    _set(by, DataAsset.objects.filter(holder=organization), status, message)


def assets_for_catalog(*, by, catalog, reason: str) -> None:
    """A withdrawn catalog: the holding of its resource lapses; rights built on it are
    flagged."""
    message = _("Catalog %(code)s was withdrawn: %(reason)s") % {
        "code": catalog.code,
        "reason": reason,
    }
    _set(
        by,
        DataAsset.objects.filter(kind=RightKind.HOLDING, catalog=catalog),
        AssetStatus.LAPSED,
        message,
    )
    built_on = [
        asset.pk
        for asset in DataAsset.objects.exclude(kind=RightKind.HOLDING).filter(status__in=LIVE)
        if catalog.code in asset.catalog_codes
    ]
    _set(by, DataAsset.objects.filter(pk__in=built_on), AssetStatus.FLAGGED, message)


def assets_for_scenario(*, by, scenario, status: str, reason: str) -> None:
    """A scenario suspended (flagged) or ended: revoked, closed or expired (lapsed)."""
    lapsed = status != ScenarioStatus.SUSPENDED
    message = _("Scenario %(name)s is %(status)s. %(reason)s") % {
        "name": scenario.name,
        "status": ScenarioStatus(status).label,
        "reason": reason,
    }
    _set(
        by,
        DataAsset.objects.filter(scenario=scenario),
        AssetStatus.LAPSED if lapsed else AssetStatus.FLAGGED,
        message.strip(),
    )
