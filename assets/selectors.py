"""Reads of registrations, scoped to the user: a missing and a forbidden object are the same
NotFound. Drafts and evidence are the applicant's until submitted; then operator staff,
the registration authority and auditors see them too. The registry is public."""

import hmac

from django.db.models import Q, QuerySet

from assets.models import ApplicationStatus, AssetApplication, AssetStatus, DataAsset, RightKind
from core.errors import NotFound
from operation.models import Catalog, CatalogStatus
from scenarios.models import (
    DataService,
    DefinitionStatus,
    JobOutput,
    Scenario,
    ScenarioStatus,
)
from tenants import permissions
from tenants.models import AdmissionStatus, Organization, OrganizationKind

# What the public registry lists: every asset once registered, in its current status.
PUBLIC_STATUSES = AssetStatus.values


def applications_visible_to(user) -> QuerySet[AssetApplication]:
    base = AssetApplication.objects.select_related(
        "organization", "asset", "transferee", "created_by"
    )
    own = permissions.visible_objects(user, "assets.view_assetapplication", base)
    if permissions.sees_registrations(user):
        return base.filter(Q(pk__in=own.values("pk")) | ~Q(status=ApplicationStatus.DRAFT))
    return own


def own_applications(user) -> QuerySet[AssetApplication]:
    """The applications of ``user``'s own organization, drafts included."""
    own = permissions.organization_of(user)
    return (
        applications_visible_to(user).filter(organization_id=own)
        if own
        else AssetApplication.objects.none()
    )


def application_get(user, pk) -> AssetApplication:
    application = applications_visible_to(user).filter(pk=pk).first()
    if application is None:
        raise NotFound()
    return application


def evidence_get(user, application_pk, file_pk):
    record = application_get(user, application_pk).evidence.filter(pk=file_pk).first()
    if record is None:
        raise NotFound()
    return record


def awaiting_review(user) -> QuerySet[AssetApplication]:
    """The applications waiting for ``user``'s stage of review (none of their own)."""
    if permissions.is_registration_authority(user):
        stage = Q(status=ApplicationStatus.PRELIMINARY_PASSED) & ~Q(preliminary_by=user)
    elif permissions.is_operator_staff(user):
        stage = Q(status=ApplicationStatus.SUBMITTED)
    else:
        return AssetApplication.objects.none()
    own = permissions.organization_of(user)
    return (
        applications_visible_to(user)
        .filter(stage)
        .exclude(organization_id=own)
        .order_by("submitted_at", "pk")
    )


def registry(*, kind: str = "", status: str = "", q: str = "") -> QuerySet[DataAsset]:
    assets = DataAsset.objects.select_related("holder").filter(status__in=PUBLIC_STATUSES)
    if kind in RightKind.values:
        assets = assets.filter(kind=kind)
    if status in AssetStatus.values:
        assets = assets.filter(status=status)
    if q:
        assets = assets.filter(
            Q(name__icontains=q) | Q(holder__name__icontains=q) | Q(certificate_number=q.upper())
        )
    return assets


def registry_get(number: str) -> DataAsset:
    asset = registry().filter(certificate_number=number).first()
    if asset is None:
        raise NotFound()
    return asset


def certificate_verify(number: str, code: str) -> DataAsset | None:
    """The asset whose certificate carries ``number`` and ``code`` (of its current
    edition), or None."""
    asset = (
        DataAsset.objects.select_related("holder")
        .filter(certificate_number=(number or "").strip().upper())
        .first()
    )
    if asset is None:
        return None
    given = (code or "").strip().upper().encode()
    return asset if hmac.compare_digest(given, asset.verification_code.encode()) else None


def assets_held_by(user) -> QuerySet[DataAsset]:
    own = permissions.organization_of(user)
    return DataAsset.objects.select_related("holder").filter(holder_id=own)


def sees_inside(user, asset: DataAsset) -> bool:
    """Whether ``user`` sees what the public registry leaves out (the certificate, the
    reason of a flagged, lapsed or cancelled registration: a suspension's reason is the
    operator's word to the holder, not the public's): its holder's members, operator
    staff, the registration authority and auditors."""
    return permissions.is_member(user, asset.holder_id) or permissions.sees_registrations(user)


def certificate_get(user, pk) -> DataAsset:
    """An asset whose certificate ``user`` may download (``sees_inside``)."""
    asset = DataAsset.objects.select_related("holder").filter(pk=pk).first()
    if asset is None or not sees_inside(user, asset):
        raise NotFound()
    return asset


def subjects_for(user) -> dict:
    """What ``user``'s organization may name as the subject of an initial registration:
    its published catalogs (a provider), its authorized scenarios, their released outputs
    and the approved data services of their types (a developer)."""
    own = permissions.organization_of(user)
    scenarios = Scenario.objects.filter(organization_id=own, status=ScenarioStatus.AUTHORIZED)
    return {
        "catalogs": Catalog.objects.filter(provider_id=own, status=CatalogStatus.PUBLISHED),
        "scenarios": scenarios,
        "outputs": JobOutput.objects.filter(
            job__scenario__in=scenarios, released_at__isnull=False
        ).select_related("job__scenario"),
        "services": DataService.objects.filter(
            scenario_type__scenarios__in=scenarios,
            definitions__status=DefinitionStatus.APPROVED,
        ).distinct(),
    }


def transferees_for(asset: DataAsset) -> QuerySet[Organization]:
    """Who a right may be transferred to: the holding of a resource to another data
    provider, a data product's operation right to an admitted developer; a processing and
    use right to nobody (it is the holder's own scenario authorization)."""
    if asset.kind == RightKind.HOLDING:
        found = Organization.objects.filter(kind=OrganizationKind.PROVIDER)
    elif asset.kind == RightKind.PRODUCT:
        found = Organization.objects.filter(
            kind=OrganizationKind.DEVELOPER, admission__status=AdmissionStatus.ADMITTED
        )
    else:
        found = Organization.objects.none()
    return found.exclude(pk=asset.holder_id)
