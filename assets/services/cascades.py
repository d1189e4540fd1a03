"""Registrations whose basis goes away: listened to from core.hooks (assets/apps.py), inside
the transaction of the change below. A basis gone for good lapses the registration; one
in question (a suspension) flags it. The reason kept is the data's own words (what went
away and why), shown as written in every language; the status says what it means."""

from django.utils import timezone

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


def _about(what: str, reason: str) -> str:
    """The reason kept: what went away (a catalog's code, a scenario's name) and why."""
    return ": ".join(part for part in (what, reason.strip()) if part)


def assets_for_organization(*, by, organization, action: str, reason: str) -> None:
    """The holder suspended (flagged) or revoked (lapsed)."""
    status = AssetStatus.LAPSED if action == "revoke" else AssetStatus.FLAGGED
    _set(by, DataAsset.objects.filter(holder=organization), status, reason.strip())


def assets_for_catalog(*, by, catalog, reason: str) -> None:
    """A withdrawn catalog: the holding of its resource lapses; rights built on it are
    flagged."""
    message = _about(catalog.code, reason)
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
    _set(
        by,
        DataAsset.objects.filter(scenario=scenario),
        AssetStatus.LAPSED if lapsed else AssetStatus.FLAGGED,
        _about(scenario.name, reason),
    )
