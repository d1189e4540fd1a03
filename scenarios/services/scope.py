"""Checking a requested data scope against catalogs and against an approved scope."""

from django.utils.translation import gettext as _

from core.errors import InvalidInput
from operation.models import Catalog, CatalogStatus, MaskingRule, SensitivityLevel


def scope_clean(requested: dict[str, list[str]]) -> dict[Catalog, list[str]]:
    """``{catalog code: [columns]}`` -> ``{Catalog: columns}``: published catalogs, known
    columns, and never an L4 or dropped field (they never enter a workspace)."""
    if not isinstance(requested, dict) or not requested:
        raise InvalidInput(_("Name at least one catalog and its fields."), field="scope")
    catalogs = {
        c.code: c
        for c in Catalog.objects.filter(
            code__in=list(requested), status=CatalogStatus.PUBLISHED
        ).prefetch_related("fields")
    }
    cleaned = {}
    for code, columns in requested.items():
        catalog = catalogs.get(code)
        if catalog is None:
            raise InvalidInput(
                _("%(code)s is not a published catalog.") % {"code": code}, field="scope"
            )
        if not isinstance(columns, list) or not columns:
            raise InvalidInput(
                _("Name the fields of %(code)s you need.") % {"code": code}, field="scope"
            )
        fields = {f.column: f for f in catalog.fields.all()}
        for column in columns:
            field = fields.get(column)
            if field is None:
                raise InvalidInput(
                    _("%(code)s has no field %(column)s.") % {"code": code, "column": column},
                    field="scope",
                )
            if field.level == SensitivityLevel.L4 or field.masking == MaskingRule.DROP:
                raise InvalidInput(
                    _("%(code)s.%(column)s is L4 or dropped: it can never enter a workspace.")
                    % {"code": code, "column": column},
                    field="scope",
                )
        wanted = set(columns)
        cleaned[catalog] = [f.column for f in fields.values() if f.column in wanted]
    return cleaned


def scope_within(requested: dict[Catalog, list[str]], approved: dict[int, list[str]]) -> bool:
    """Is every requested (catalog, field) inside the approved scope?"""
    return all(
        catalog.pk in approved and set(columns) <= set(approved[catalog.pk])
        for catalog, columns in requested.items()
    )


def scope_as_codes(items) -> dict[str, list[str]]:
    return {item.catalog.code: list(item.columns) for item in items}
