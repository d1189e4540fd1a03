"""Workspaces, the worker's side: a workspace version is built (materialized from the
scenario's scope: masked, pseudonymized copies of the published catalogs) by the general
worker; beat's reaper sends again the builds whose message was lost."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.queueing import dispatch_each
from core.services.audit import audit_record
from core.storage import data_path
from operation.models import CatalogStatus, CatalogVersion, FieldType, MaskingRule
from scenarios.dataservices.engine import fields_read
from scenarios.models import (
    DefinitionStatus,
    ScenarioStatus,
    ServiceDefinition,
    Workspace,
    WorkspaceStatus,
)
from scenarios.queue import workspace_dispatch
from scenarios.workspace import materialize

logger = logging.getLogger(__name__)


def _sort_by(workspace: Workspace, fields) -> str | None:
    """The column a workspace table is sorted by, so that the data services' filters on
    it read only the row groups they need: the first date or time field (kept or
    generalized) that an approved service of the scenario's type reads, else the first."""
    times = [
        f.column
        for f in fields
        if f.data_type in (FieldType.TIMESTAMP, FieldType.DATE)
        and f.masking in (MaskingRule.KEEP, MaskingRule.GENERALIZE)
    ]
    read = set()
    for sql in ServiceDefinition.objects.filter(
        service__scenario_type=workspace.scenario.scenario_type_id, status=DefinitionStatus.APPROVED
    ).values_list("sql", flat=True):
        read |= {name.lower() for name in fields_read(sql)}
    return next((column for column in times if column.lower() in read), None) or next(
        iter(times), None
    )


def _tables(workspace: Workspace) -> list[dict]:
    tables = []
    for item in workspace.scenario.scope.select_related("catalog"):
        catalog = item.catalog
        if catalog.status != CatalogStatus.PUBLISHED:
            raise ValueError(f"catalog {catalog.code} is not published")
        version = (
            CatalogVersion.objects.select_related("resource_version")
            .filter(catalog=catalog)
            .order_by("-number")
            .first()
        )
        by_column = {f.column: f for f in catalog.fields.all()}
        fields = [by_column[column] for column in item.columns]
        tables.append(
            {
                "code": catalog.code,
                "source": data_path(version.resource_version.path),
                "fields": fields,
                "sort_by": _sort_by(workspace, fields),
                "catalog_version": version.number,
                "resource_version": version.resource_version.number,
                "source_sha256": version.resource_version.sha256,
            }
        )
    return tables


def workspace_materialize(workspace_id: int) -> None:
    """Materialize a workspace; idempotent (only a workspace still building is built)."""
    workspace = (
        Workspace.objects.select_related("scenario", "scenario__organization")
        .filter(pk=workspace_id, status=WorkspaceStatus.BUILDING)
        .first()
    )
    # A suspended scenario's workspace is built too: it works on it once reinstated.
    live = (ScenarioStatus.AUTHORIZED, ScenarioStatus.SUSPENDED)
    if workspace is None or workspace.scenario.status not in live:
        return
    try:
        tmp_root = data_path("tmp")
        tmp_root.mkdir(parents=True, exist_ok=True)
        manifest = materialize(
            _tables(workspace),
            key_hex=workspace.scenario.pseudonym_key,
            final_dir=data_path(workspace.path),
            tmp_root=tmp_root,
            memory_limit=settings.INGEST_MEMORY_LIMIT,
        )
    except Exception as exc:  # recorded with its reason, never left "building"
        # The full error (it may name server paths) goes to the log; the record keeps a
        # reason fit for the developer.
        logger.exception("workspace %s of scenario %s failed", workspace.pk, workspace.scenario_id)
        reason = (
            f"The workspace could not be built ({type(exc).__name__}); operator staff see the log."
        )
        _finish(workspace, WorkspaceStatus.FAILED, reason=reason)
        return
    _finish(workspace, WorkspaceStatus.READY, manifest=manifest)


def _finish(workspace: Workspace, status: str, *, reason: str = "", manifest=None) -> None:
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if locked.status != WorkspaceStatus.BUILDING:
            return
        locked.status, locked.reason = status, reason
        locked.manifest = manifest or {}
        locked.ready_at = timezone.now() if status == WorkspaceStatus.READY else None
        locked.save(update_fields=["status", "reason", "manifest", "ready_at"])
        audit_record(
            by=None,
            action=f"workspace.{status}",
            target=locked,
            organization=workspace.scenario.organization,
            details={"reason": reason, "tables": sorted((manifest or {}).get("tables", {}))},
        )


# A build's message sent this long ago while the workspace is still building was lost (a
# build ends within workspace_build's time limit, an hour): it is sent again. A second
# build of one version is harmless: the first to finish makes it ready, the other's
# result is discarded.
WORKSPACE_REDISPATCH_AFTER_SECONDS = 2 * 3600
# A build not marked sent this long after its request is taken for never sent (the broker
# was away); younger, its request's own dispatch may be on its way (marked sent once the
# broker took it), and a second build at once could fail the first.
WORKSPACE_UNSENT_GRACE_SECONDS = 60


def workspaces_redispatch(*, now=None) -> int:
    """Periodic: builds never sent (the broker was away when the scenario was authorized)
    or sent so long ago that their message was lost are sent again."""
    now = now or timezone.now()
    lost = now - timedelta(seconds=WORKSPACE_REDISPATCH_AFTER_SECONDS)
    unsent = now - timedelta(seconds=WORKSPACE_UNSENT_GRACE_SECONDS)
    building = Workspace.objects.filter(
        Q(dispatched_at__isnull=True, created_at__lt=unsent) | Q(dispatched_at__lt=lost),
        status=WorkspaceStatus.BUILDING,
    )
    return dispatch_each(building.values_list("pk", flat=True), workspace_dispatch)
