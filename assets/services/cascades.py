"""Registrations whose basis goes away: listened to from core.hooks (assets/apps.py), inside
the transaction of the change below. A basis gone for good lapses the registration; one
in question (a suspension) flags it, and a reinstated scenario or holder returns its
registrations to registered unless another basis is still in question. The reason kept is
the data's own words (what went away and, for the organization whose basis it is, why),
shown as written in every language; the status says what it means."""

from django.urls import reverse
from django.utils import timezone

from assets.models import AssetStatus, DataAsset, RightKind
from core.services.audit import audit_record
from core.services.notifications import notification_send
from operation.models import Catalog, CatalogStatus
from scenarios.models import ScenarioStatus
from tenants.models import AdmissionStatus

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
        notification_send(
            recipients=asset.holder.admins_group.user_set.filter(is_active=True),
            subject_template="assets/email/asset_subject.txt",
            body_template="assets/email/asset_flagged_body.txt",
            context={"asset": asset},
            target_url=reverse("asset-registry-detail", args=[asset.certificate_number]),
        )


def _about(what: str, reason: str) -> str:
    """The reason kept: what went away (a catalog's code, a scenario's name) and why."""
    return ": ".join(part for part in (what, reason.strip()) if part)


def _split(by, assets, status: str, owner_id: int, what: str, reason: str) -> None:
    """``_set`` with the reason why for the assets held by ``owner_id`` (whose basis it is)
    and only what went away for the others (an asset transferred, or built on another's
    catalog): one organization's suspension or withdrawal reason is not another's to read."""
    _set(by, assets.filter(holder_id=owner_id), status, _about(what, reason))
    _set(by, assets.exclude(holder_id=owner_id), status, what)


def assets_for_organization(*, by, organization, action: str, reason: str) -> None:
    """The holder suspended (flagged) or revoked (lapsed)."""
    status = AssetStatus.LAPSED if action == "revoke" else AssetStatus.FLAGGED
    _set(by, DataAsset.objects.filter(holder=organization), status, reason.strip())


def assets_for_catalog(*, by, catalog, reason: str) -> None:
    """A withdrawn catalog: the holding of its resource lapses; rights built on it are
    flagged."""
    holding = DataAsset.objects.filter(kind=RightKind.HOLDING, catalog=catalog)
    _split(by, holding, AssetStatus.LAPSED, catalog.provider_id, catalog.code, reason)
    built_on = [
        asset.pk
        for asset in DataAsset.objects.exclude(kind=RightKind.HOLDING).filter(status__in=LIVE)
        if catalog.code in asset.catalog_codes
    ]
    built = DataAsset.objects.filter(pk__in=built_on)
    _split(by, built, AssetStatus.FLAGGED, catalog.provider_id, catalog.code, reason)


def assets_for_scenario(*, by, scenario, status: str, reason: str) -> None:
    """A scenario suspended (flagged) or ended: revoked, closed or expired (lapsed)."""
    to = AssetStatus.FLAGGED if status == ScenarioStatus.SUSPENDED else AssetStatus.LAPSED
    assets = DataAsset.objects.filter(scenario=scenario)
    _split(by, assets, to, scenario.organization_id, scenario.name, reason)


def _still_in_question(asset: DataAsset) -> str:
    """Why ``asset`` stays flagged once a basis is back, or "": its holder is still
    suspended, its scenario is still suspended, or a catalog of its lineage is still
    withdrawn (what came back is no longer in question, so the same test serves both)."""
    admission = getattr(asset.holder, "admission", None)
    if admission is not None and admission.status == AdmissionStatus.SUSPENDED:
        return _about(asset.holder.name, admission.reason)
    scenario = asset.scenario
    if scenario is not None and scenario.status == ScenarioStatus.SUSPENDED:
        own = scenario.organization_id == asset.holder_id
        return _about(scenario.name, scenario.reason if own else "")
    withdrawn = (
        Catalog.objects.filter(code__in=asset.catalog_codes, status=CatalogStatus.WITHDRAWN)
        .order_by("code")
        .first()
    )
    if withdrawn is None:
        return ""
    own = withdrawn.provider_id == asset.holder_id
    return _about(withdrawn.code, withdrawn.withdrawn_reason if own else "")


def _return_flagged(by, flagged, *, context: dict, details: dict) -> None:
    """Register ``flagged`` assets again (audited, their holder's administrators told, the
    body naming what came back through ``context``), unless another basis is still in
    question; those keep their flag, with that reason."""
    now = timezone.now()
    # Only the assets' rows: a registration on no scenario joins none (an outer join).
    flagged = flagged.select_for_update(of=("self",)).filter(status=AssetStatus.FLAGGED)
    for asset in flagged.select_related("holder", "scenario").order_by("pk"):
        remaining = _still_in_question(asset)
        if remaining:
            if remaining != asset.status_reason:
                asset.status_reason, asset.updated_at = remaining, now
                asset.save(update_fields=["status_reason", "updated_at"])
                audit_record(
                    by=by,
                    action="data_asset.flag",
                    target=asset,
                    organization=asset.holder,
                    details={"from": asset.status, "to": asset.status, "reason": remaining},
                )
            continue
        asset.status, asset.status_reason, asset.updated_at = AssetStatus.REGISTERED, "", now
        asset.save(update_fields=["status", "status_reason", "updated_at"])
        audit_record(
            by=by,
            action="data_asset.reinstate",
            target=asset,
            organization=asset.holder,
            details={"from": AssetStatus.FLAGGED, "to": asset.status, **details},
        )
        notification_send(
            recipients=asset.holder.admins_group.user_set.filter(is_active=True),
            subject_template="assets/email/asset_subject.txt",
            body_template="assets/email/asset_body.txt",
            context={"asset": asset, **context},
            target_url=reverse("asset-registry-detail", args=[asset.certificate_number]),
        )


def assets_for_scenario_reinstated(*, by, scenario) -> None:
    """A suspended scenario authorized again: its flagged registrations are registered
    again, unless another basis is still in question (its holder, a catalog)."""
    _return_flagged(
        by,
        DataAsset.objects.filter(scenario=scenario),
        context={"scenario": scenario},
        details={"scenario": scenario.pk},
    )


def assets_for_organization_reinstated(*, by, organization) -> None:
    """A suspended holder admitted again: the registrations it holds that are flagged are
    registered again, unless another basis is still in question. The scenarios its
    suspension suspended came back with it (scenarios' own listener); a scenario staff
    suspended stays so until they reinstate it, and the rights registered on it stay
    flagged (with the scenario's reason) until then."""
    _return_flagged(
        by,
        DataAsset.objects.filter(holder=organization),
        context={"organization": organization},
        details={"organization": organization.pk},
    )
