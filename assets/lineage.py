"""The lineage of a registration, filled by the platform from its own records (never by
the applicant): catalogs and their published versions, the scenario and its type's
approval, released outputs with their SHA-256, the data service's approved definition.
Each function raises Conflict when the basis of the right is not (or no longer) there."""

from django.utils.translation import gettext as _

from assets.models import RightKind
from core.errors import Conflict, InvalidInput
from operation.models import CatalogStatus
from scenarios.models import DefinitionStatus, ScenarioStatus, ScenarioTypeStatus


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _catalog(catalog) -> dict:
    resource = catalog.resource_version
    return {
        "code": catalog.code,
        "name": catalog.name,
        "version": catalog.version,
        "provider": catalog.provider.name,
        "resource_version": resource.number,
        "resource_sha256": resource.sha256,
    }


def _scenario(scenario) -> dict:
    scenario_type = scenario.scenario_type
    return {
        "scenario": {
            "id": scenario.pk,
            "name": scenario.name,
            "organization": scenario.organization.name,
            "period_start": _when(scenario.period_start),
            "period_end": _when(scenario.period_end),
            "authorized_at": _when(scenario.authorized_at),
            "scope_version": scenario.scope_version,
        },
        "scenario_type": {
            "id": scenario_type.pk,
            "name": scenario_type.name,
            "approved_at": _when(scenario_type.approved_at),
        },
        "catalogs": [
            {**_catalog(item.catalog), "fields": item.columns}
            for item in scenario.scope.select_related(
                "catalog__provider", "catalog__resource_version"
            )
        ],
    }


def check_catalog(catalog, organization) -> None:
    if catalog is None:
        raise InvalidInput(_("Choose the catalog."), field="catalog")
    if catalog.provider_id != organization.pk:
        raise InvalidInput(
            _("Only the catalog's provider registers the holding of its resource."),
            field="catalog",
        )
    if catalog.status != CatalogStatus.PUBLISHED:
        raise Conflict(_("Only a published catalog can be registered."))


def check_scenario(scenario, organization) -> None:
    if scenario is None:
        raise InvalidInput(_("Choose the scenario."), field="scenario")
    if scenario.organization_id != organization.pk:
        raise InvalidInput(_("Only the scenario's organization registers it."), field="scenario")
    if scenario.status != ScenarioStatus.AUTHORIZED:
        raise Conflict(_("Only an authorized scenario can be registered."))
    if scenario.scenario_type.status != ScenarioTypeStatus.APPROVED:
        raise Conflict(_("The scenario's type is no longer approved."))


def approved_definition(service):
    return service.definitions.filter(status=DefinitionStatus.APPROVED).first()


def build(*, kind, catalog=None, scenario=None, service=None, outputs=(), organization) -> dict:
    """The lineage of a right of ``kind`` held by ``organization``, checked."""
    if kind == RightKind.HOLDING:
        check_catalog(catalog, organization)
        return {"catalogs": [_catalog(catalog)]}
    check_scenario(scenario, organization)
    lineage = _scenario(scenario)
    if kind == RightKind.PROCESSING:
        return lineage
    outputs = list(outputs)
    if bool(outputs) == (service is not None):
        raise InvalidInput(
            _("A data product is either a set of released outputs or a data service."),
            field="outputs",
        )
    if service is not None:
        definition = approved_definition(service)
        if service.scenario_type_id != scenario.scenario_type_id or definition is None:
            raise InvalidInput(
                _("Choose an approved data service of the scenario's type."), field="service"
            )
        lineage["service"] = {
            "code": service.code,
            "version": definition.version,
            "name": definition.name,
            "approved_at": _when(definition.approved_at),
        }
        return lineage
    for output in outputs:
        if output.job.scenario_id != scenario.pk or output.released_at is None:
            raise InvalidInput(
                _("Only released outputs of the scenario make a data product."), field="outputs"
            )
    lineage["outputs"] = [
        {
            "id": output.pk,
            "name": output.name,
            "sha256": output.sha256,
            "released_at": _when(output.released_at),
        }
        for output in sorted(outputs, key=lambda o: o.pk)
    ]
    return lineage


def catalog_codes(lineage: dict) -> list[str]:
    return sorted({item["code"] for item in lineage.get("catalogs", [])})
