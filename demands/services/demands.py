"""The demand list: filing, triage by operator staff, providers' answers, duplicates merged,
demands linked when the catalog they wait for is published and sent back to the list when
the catalog that met them is withdrawn. Every change is checked
(tenants.permissions), atomic, audited, and a step on the demand's timeline."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.services.audit import audit_record
from core.services.notifications import notification_send
from core.text import LONG_TEXT_MAX, NAME_MAX, REASON_MAX, clean_text
from demands.models import Demand, DemandEvent, DemandStatus, EventKind, Urgency
from demands.models.demand import ANSWERABLE, ASSIGNABLE, BLOCKABLE, MATCHABLE
from operation.models import Catalog, CatalogStatus, DataZone, UpdateFrequency
from scenarios.models import Scenario
from tenants.models import Organization, OrganizationKind
from tenants.permissions import (
    check_demand_filer,
    check_member,
    check_operator_staff,
)

User = get_user_model()


def _staff(by) -> None:
    check_operator_staff(by, _("Only operator staff triage data demands."))


def _locked(demand: Demand) -> Demand:
    return Demand.objects.select_for_update().get(pk=demand.pk)


def _refuse_unless(demand: Demand, allowed, message: str) -> None:
    """Refuse a transition from a status outside ``allowed``; ``message`` names the
    status as %(status)s."""
    if demand.status not in allowed:
        raise Conflict(message % {"status": demand.get_status_display()})


def demanders(demand: Demand):
    """The people told of a demand's steps: whoever filed it and whoever filed a duplicate
    merged into it."""
    filers = Q(pk=demand.filed_by_id) | Q(
        pk__in=Demand.objects.filter(merged_into=demand).values("filed_by")
    )
    return User.objects.filter(filers, is_active=True)


def _notify(demand: Demand, event: DemandEvent, recipients) -> None:
    notification_send(
        recipients=recipients,
        subject_template="demands/email/demand_subject.txt",
        body_template="demands/email/demand_body.txt",
        context={"demand": demand, "event": event},
        target_url=reverse("demand-detail", args=[demand.pk]),
    )


def _step(by, demand: Demand, kind: str, *, notify=None, **details) -> DemandEvent:
    """Record a step on the timeline and in the audit trail; tell the demanders (or
    ``notify``, when given)."""
    event = DemandEvent.objects.create(demand=demand, kind=kind, by=by, **details)
    audit_record(
        by=by,
        action=f"demand.{kind}",
        target=demand,
        organization=demand.organization,
        details={
            "status": demand.status,
            "provider": event.provider_id,
            "catalog": event.catalog.code if event.catalog else None,
            "other": event.other_id,
            "due_date": event.due_date,
            "note": event.note,
        },
    )
    if kind != EventKind.FILED:
        _notify(demand, event, demanders(demand) if notify is None else notify)
    return event


def _choice(value: str, choices, field: str) -> str:
    if value not in choices.values:
        raise InvalidInput(_("Choose one of the offered values."), field=field)
    return value


def demand_file(
    *,
    by,
    title: str,
    fields_wanted: str,
    purpose: str,
    legal_basis: str,
    area: str = "",
    period: str = "",
    update_frequency: str = UpdateFrequency.IRREGULAR,
    urgency: str = Urgency.ROUTINE,
    zone: DataZone | None = None,
    scenario: Scenario | None = None,
) -> Demand:
    """File a data demand for the caller's organization (and, optionally, one of its
    scenarios)."""
    check_demand_filer(by, _("Only members of an organization file data demands."))
    if scenario is not None:
        check_member(
            by, scenario.organization_id, _("A demand serves a scenario of your organization.")
        )
    values = {
        "title": clean_text(title, field="title", max_length=NAME_MAX, required=True),
        "fields_wanted": clean_text(
            fields_wanted, field="fields_wanted", max_length=LONG_TEXT_MAX, required=True
        ),
        "purpose": clean_text(purpose, field="purpose", max_length=LONG_TEXT_MAX, required=True),
        "legal_basis": clean_text(
            legal_basis, field="legal_basis", max_length=LONG_TEXT_MAX, required=True
        ),
        "area": clean_text(area, field="area", max_length=NAME_MAX),
        "period": clean_text(period, field="period", max_length=NAME_MAX),
        "update_frequency": _choice(update_frequency, UpdateFrequency, "update_frequency"),
        "urgency": _choice(urgency, Urgency, "urgency"),
    }
    with transaction.atomic():
        demand = Demand.objects.create(
            organization=by.membership.organization,
            filed_by=by,
            scenario=scenario,
            zone=zone,
            **values,
        )
        _step(by, demand, EventKind.FILED)
    return demand


def demand_assign(*, by, demand: Demand, provider: Organization, note: str = "") -> Demand:
    """Operator staff: ask a provider (a source department) to supply the data."""
    _staff(by)
    if provider.kind != OrganizationKind.PROVIDER:
        raise InvalidInput(_("Assign the demand to a data provider."), field="provider")
    note = clean_text(note, field="note", max_length=REASON_MAX)
    with transaction.atomic():
        demand = _locked(demand)
        _refuse_unless(
            demand, ASSIGNABLE, _("This demand is %(status)s: it cannot be assigned now.")
        )
        demand.status = DemandStatus.ASSIGNED
        demand.provider = provider
        demand.due_date = None
        demand.reason = ""
        demand.save(update_fields=["status", "provider", "due_date", "reason", "updated_at"])
        event = _step(by, demand, EventKind.ASSIGNED, provider=provider, note=note)
        _notify(demand, event, provider.members_group.user_set.filter(is_active=True))
    return demand


def demand_answer(
    *,
    by,
    demand: Demand,
    will_publish: bool,
    due_date: date | None = None,
    reason: str = "",
    catalog: Catalog | None = None,
) -> Demand:
    """The assigned provider answers: it will publish the data by ``due_date`` (naming the
    catalog being prepared, if any), or it cannot, and why. A named catalog already
    published matches the demand at once, as its publication would have."""
    refusal = _("Only the provider the demand is assigned to answers it.")
    if demand.provider_id is None:
        raise PermissionRefused(refusal)
    check_member(by, demand.provider_id, refusal)
    reason = clean_text(reason, field="reason", max_length=REASON_MAX, required=not will_publish)
    if will_publish:
        if due_date is None:
            raise InvalidInput(_("Say by when the data will be published."), field="due_date")
        if due_date < timezone.localdate():
            raise InvalidInput(_("The date is in the past."), field="due_date")
        if catalog is not None and catalog.provider_id != demand.provider_id:
            raise InvalidInput(_("Name one of your own catalogs."), field="catalog")
    with transaction.atomic():
        published = False
        if will_publish and catalog is not None:
            # Locked before the demand, as catalog_publish locks it before the demands
            # awaiting it: a publication either sees this answer or is seen by it.
            catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
            if catalog.status == CatalogStatus.WITHDRAWN:
                raise InvalidInput(_("This catalog is withdrawn."), field="catalog")
            published = catalog.status == CatalogStatus.PUBLISHED
        demand = _locked(demand)
        _refuse_unless(
            demand,
            ANSWERABLE,
            _("This demand is %(status)s: it awaits no answer from the provider."),
        )
        demand.status = DemandStatus.PROMISED if will_publish else DemandStatus.DECLINED
        demand.due_date = due_date if will_publish else None
        demand.reason = reason
        if will_publish and catalog is not None:
            demand.awaited_catalog = catalog
        demand.save(update_fields=["status", "due_date", "reason", "awaited_catalog", "updated_at"])
        _step(
            by,
            demand,
            EventKind.PROMISED if will_publish else EventKind.DECLINED,
            provider=demand.provider,
            due_date=demand.due_date,
            catalog=catalog if will_publish else None,
            note=reason,
            notify=[] if published else None,
        )
        if published:
            # Its first publication is past: matched now, the demanders told of it once.
            _matched(by, demand, catalog, EventKind.MATCHED)
    return demand


def _matched(by, demand: Demand, catalog: Catalog, kind: str, note: str = "") -> None:
    demand.status = DemandStatus.MATCHED
    if demand.awaited_catalog_id == catalog.pk:
        demand.awaited_catalog = None
    demand.save(update_fields=["status", "awaited_catalog", "updated_at"])
    demand.catalogs.add(catalog)
    _step(by, demand, kind, catalog=catalog, note=note)


def demand_match(*, by, demand: Demand, catalog: Catalog, note: str = "") -> Demand:
    """Operator staff: a published catalog answers the demand (matched now); a catalog not
    yet published is awaited, and the demand is matched when it is published."""
    _staff(by)
    note = clean_text(note, field="note", max_length=REASON_MAX)
    with transaction.atomic():
        # The catalog locked before the demand, as in demand_answer: a publication either
        # sees this match awaiting it or is seen by it.
        catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
        demand = _locked(demand)
        _refuse_unless(
            demand, MATCHABLE, _("This demand is %(status)s: no catalog is matched to it now.")
        )
        if demand.catalogs.filter(pk=catalog.pk).exists():
            raise Conflict(_("This catalog is matched to the demand already."))
        if catalog.status == CatalogStatus.PUBLISHED:
            _matched(by, demand, catalog, EventKind.MATCHED, note)
        elif catalog.status == CatalogStatus.DRAFT:
            demand.awaited_catalog = catalog
            demand.save(update_fields=["awaited_catalog", "updated_at"])
            _step(by, demand, EventKind.AWAITING, catalog=catalog, note=note)
        else:
            raise InvalidInput(_("This catalog is withdrawn."), field="catalog")
    return demand


def demand_block(*, by, demand: Demand, reason: str) -> Demand:
    """Operator staff: the demand cannot be met for now, a data blockage (数据堵点)."""
    _staff(by)
    reason = clean_text(
        reason,
        field="reason",
        max_length=REASON_MAX,
        required=True,
        required_message=_("Say what blocks the demand."),
    )
    with transaction.atomic():
        demand = _locked(demand)
        _refuse_unless(
            demand,
            BLOCKABLE,
            _("This demand is %(status)s: it cannot be marked as a blockage."),
        )
        demand.status = DemandStatus.BLOCKED
        demand.reason = reason
        demand.save(update_fields=["status", "reason", "updated_at"])
        _step(by, demand, EventKind.BLOCKED, note=reason)
    return demand


def demand_merge(*, by, demand: Demand, into: Demand) -> Demand:
    """Operator staff: ``demand`` duplicates ``into``; it points to the kept demand, and
    its demander (and theirs before them) follows the kept one from now on."""
    _staff(by)
    if demand.pk == into.pk:
        raise InvalidInput(_("A demand cannot be merged into itself."), field="into")
    with transaction.atomic():
        pks = [demand.pk, into.pk]
        rows = Demand.objects.select_for_update().filter(pk__in=pks).order_by("pk")
        locked = {d.pk: d for d in rows}
        demand, into = locked[demand.pk], locked[into.pk]
        if demand.status == DemandStatus.MERGED:
            raise Conflict(_("This demand is merged into another already."))
        if into.status == DemandStatus.MERGED:
            raise Conflict(_("Keep a demand that is not itself merged into another."))
        demand.status = DemandStatus.MERGED
        demand.merged_into = into
        demand.save(update_fields=["status", "merged_into", "updated_at"])
        Demand.objects.filter(merged_into=demand).update(merged_into=into)
        _step(by, demand, EventKind.MERGED, other=into)
        _step(by, into, EventKind.DUPLICATE, other=demand, notify=[])
    return demand


def demands_link_published(*, by, catalog: Catalog) -> None:
    """A catalog published for the first time: the demands awaiting it are matched and
    their demanders told (listens to core.hooks.CATALOG_PUBLISHED)."""
    waiting = Demand.objects.select_for_update().filter(awaited_catalog=catalog).order_by("pk")
    for demand in waiting:
        if demand.status == DemandStatus.MERGED:
            continue
        _matched(by, demand, catalog, EventKind.PUBLISHED)


def demands_unlink_withdrawn(*, by, catalog: Catalog, reason: str) -> None:
    """A catalog withdrawn: it no longer meets the demands matched to it. A demand met by
    no other published catalog goes back to the list, awaiting triage; each demander is
    told which catalog went (listens to core.hooks.CATALOG_WITHDRAWN). The withdrawal's
    ``reason`` is its provider's and the operator's, not copied into the demand: a
    demand's reason and timeline are read by every user, its summary by the public."""
    matched = (
        Demand.objects.select_for_update()
        .filter(catalogs=catalog, status=DemandStatus.MATCHED)
        .order_by("pk")
    )
    for demand in matched:
        demand.catalogs.remove(catalog)
        if not demand.catalogs.filter(status=CatalogStatus.PUBLISHED).exists():
            demand.status, demand.reason = DemandStatus.OPEN, ""
            demand.save(update_fields=["status", "reason", "updated_at"])
        _step(by, demand, EventKind.WITHDRAWN, catalog=catalog)
