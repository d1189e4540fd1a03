"""What a call looks up in the database, remembered per process: the key (with its
scenario, type and organization) and, per service code, the approved definition, its
checked template, the scenario's ready workspace table and the organization's daily
quota. Remembered SERVICES_LOOKUP_MS (under a second: a key revoked or expired, a
scenario suspended, a definition replaced, a new workspace or quota is seen by every
worker within it) and forgotten at once by the process that saves or deletes any model.
The database stays the record; this is only its copy for the next calls."""

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound, PermissionRefused, Unauthenticated
from core.storage import data_path
from scenarios.dataservices import engine
from scenarios.dataservices.definitions import type_scope
from scenarios.dataservices.keys import api_key_find
from scenarios.disclosure.params import Parameters
from scenarios.disclosure.sqlshape import Shape
from scenarios.models import (
    ApiKey,
    DefinitionStatus,
    Scenario,
    ScenarioType,
    ServiceDefinition,
    ServiceQuota,
    Workspace,
    WorkspaceStatus,
)

MAX_KEYS = 10_000  # keys remembered at most (then all are forgotten at once)


@dataclass
class Served:
    """One service as a key's scenario calls it."""

    definition: ServiceDefinition
    shape: Shape
    read: frozenset[str]
    workspace: Workspace
    table: Path
    quota: int  # the organization's calls per day to the service


@dataclass
class Known:
    """A key found by its secret, and what its calls looked up."""

    key: ApiKey
    params: Parameters
    loaded: float  # time.monotonic()
    services: dict[str, Served] = field(default_factory=dict)
    full: set[str] = field(default_factory=set)  # counters found full (their names)


_known: dict[str, Known] = {}  # by the SHA-256 of the key's secret


def forget(**_kwargs) -> None:
    """Forget everything remembered (a model was saved or deleted in this process)."""
    _known.clear()


def key_known(secret: str) -> Known:
    """The key ``secret`` is (revoked or expired included: the caller checks), remembered
    for SERVICES_LOOKUP_MS; Unauthenticated when there is none."""
    now = time.monotonic()
    digest = hashlib.sha256((secret or "").encode()).hexdigest()
    known = _known.get(digest)
    if known is not None and (now - known.loaded) * 1000 < settings.SERVICES_LOOKUP_MS:
        return known
    key = api_key_find(secret)
    if key is None:
        raise Unauthenticated(_("Give a valid API key (header Authorization: ApiKey <key>)."))
    if len(_known) >= MAX_KEYS:
        _known.clear()
    known = _known[digest] = Known(
        key=key, params=Parameters.of_type(key.scenario.scenario_type), loaded=now
    )
    return known


def served(known: Known, code: str) -> Served:
    """The approved service ``code`` of the key's scenario type on its ready workspace."""
    found = known.services.get(code)
    if found is None:
        found = known.services[code] = _served(known.key.scenario, code)
    return found


def _served(scenario: Scenario, code: str) -> Served:
    definition = next(
        iter(
            ServiceDefinition.objects.select_related("service").filter(
                service__code=code, status=DefinitionStatus.APPROVED
            )[:1]  # one approved version at most (a constraint)
        ),
        None,
    )
    if definition is None:
        raise NotFound(_("Unknown service %(code)s.") % {"code": code[:60]}, code="unknown_service")
    if definition.service.scenario_type_id != scenario.scenario_type_id:
        raise PermissionRefused(
            _("Service %(code)s is not one of this scenario's type.") % {"code": code},
            code="service_not_in_type",
        )
    shape, read = _checked(
        definition.pk,
        definition.created_at,
        scenario.scenario_type_id,
        scenario.scenario_type.scope_version,
    )
    workspace = (
        scenario.workspaces.filter(status=WorkspaceStatus.READY).order_by("-version").first()
    )
    if workspace is None:
        raise Conflict(_("The scenario's workspace is not ready yet."))
    info = workspace.manifest.get("tables", {}).get(shape.table)
    # The unit counted too: without it every row would count as one (an entity's many
    # rows passing the threshold as many units).
    needed = {name.lower() for name in read} | ({definition.unit.lower()} - {""})
    if info is None or not needed <= {name.lower() for name in info["columns"]}:
        raise PermissionRefused(
            _("This scenario's scope does not include what the service reads (%(table)s).")
            % {"table": shape.table},
            code="outside_scenario_scope",
        )
    quota = ServiceQuota.objects.filter(
        organization_id=scenario.organization_id, service=definition.service
    ).values_list("calls_per_day", flat=True)[:1]
    return Served(
        definition=definition,
        shape=shape,
        read=read,
        workspace=workspace,
        table=data_path(workspace.path) / info["file"],
        quota=next(iter(quota), None) or settings.SERVICES_DAILY_QUOTA,
    )


@lru_cache(maxsize=256)
def _checked(
    definition_pk: int, created_at: datetime, type_pk: int, scope_version: int
) -> tuple[Shape, frozenset[str]]:
    """An approved template's shape and the fields it reads, parsed once per process for
    each version of the definition and of its type's scope."""
    definition = ServiceDefinition.objects.get(pk=definition_pk)
    shape = engine.template_check(
        definition.sql,
        parameters=definition.parameters,
        columns=definition.columns,
        unit=definition.unit,
        scope=type_scope(ScenarioType.objects.get(pk=type_pk)),
    )
    return shape, frozenset(engine.fields_read(definition.sql))
