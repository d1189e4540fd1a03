"""Fields that look like personal data, flagged before a catalog is published.

A field is flagged by its column or Chinese name (phone, ID card number, name, address,
licence plate, MMSI ...) or by a sample of its values (mobile numbers, ID card numbers,
plates, MMSIs), with the level and masking a reviewer of the grading would suggest. A flag
is advice shown to operator staff on the edit page and before publishing; it does not
block publication (the grading's own rules do: an identifier is never kept, L4 is dropped).
The sample is read from the resource's managed Parquet on the server and never shown."""

import re
from dataclasses import dataclass

import duckdb
from django.utils.translation import gettext_lazy as _

from core.duck import quote_ident, quote_literal
from core.storage import data_path
from operation.models import CatalogField, FieldType, MaskingRule, SensitivityLevel

SAMPLE_ROWS = 200
# A sampled column is flagged when at least this share of its non-null values match.
VALUE_SHARE = 0.5


@dataclass(frozen=True)
class Kind:
    label: str
    level: int
    masking: str
    names: re.Pattern
    values: re.Pattern | None = None


KINDS = (
    Kind(
        _("ID card number"),
        SensitivityLevel.L4,
        MaskingRule.DROP,
        re.compile(r"id_?card|id_?no|citizen_?id|身份证|证件号", re.I),
        re.compile(r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"),
    ),
    Kind(
        _("phone number"),
        SensitivityLevel.L4,
        MaskingRule.DROP,
        re.compile(r"phone|mobile|\btel\b|^tel_|_tel$|电话|手机|联系方式", re.I),
        re.compile(r"(?:\+?86)?1[3-9]\d{9}"),
    ),
    Kind(
        _("licence plate"),
        SensitivityLevel.L3,
        MaskingRule.PSEUDONYM,
        re.compile(r"plate|车牌|号牌", re.I),
        re.compile(
            r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{5,6}"
        ),
    ),
    Kind(
        _("vessel MMSI"),
        SensitivityLevel.L3,
        MaskingRule.PSEUDONYM,
        re.compile(r"mmsi|水上移动通信业务标识", re.I),
        re.compile(r"[2-7]\d{8}"),
    ),
    Kind(
        _("person's name"),
        SensitivityLevel.L3,
        MaskingRule.DROP,
        re.compile(
            r"(?:^|_)(?:person|owner|contact|holder|driver|captain|patient)_?name$"
            r"|^name$|姓名|联系人|负责人|船长|驾驶员",
            re.I,
        ),
    ),
    Kind(
        _("address"),
        SensitivityLevel.L3,
        MaskingRule.DROP,
        re.compile(r"address|\baddr\b|住址|地址", re.I),
    ),
)


@dataclass(frozen=True)
class Flag:
    """Why a field looks like personal data (``kind``, found by its name or by its
    values), the grading that would protect it, and whether its grading already does (at
    least that level, and not kept as it is)."""

    column: str
    kind: str
    level: int
    masking: str
    by_values: bool
    graded: bool

    @property
    def masking_label(self) -> str:
        return MaskingRule(self.masking).label


def _by_name(field: CatalogField) -> Kind | None:
    for kind in KINDS:
        if kind.names.search(field.column) or kind.names.search(field.name_zh or ""):
            return kind
    return None


def _samples(path: str, columns: list[str]) -> dict[str, list[str]]:
    """Up to SAMPLE_ROWS non-null text values of each column, read on the server."""
    if not columns:
        return {}
    select = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in columns)
    source = f"read_parquet({quote_literal(str(data_path(path)))})"
    with duckdb.connect(config={"threads": 1, "memory_limit": "256MB"}) as connection:
        rows = connection.execute(
            f"SELECT {select} FROM {source} LIMIT {SAMPLE_ROWS}"  # noqa: S608 (quoted)
        ).fetchall()
    return {
        column: [row[index] for row in rows if row[index] is not None]
        for index, column in enumerate(columns)
    }


def _by_values(values: list[str]) -> Kind | None:
    if not values:
        return None
    for kind in KINDS:
        if kind.values is None:
            continue
        matches = sum(1 for value in values if kind.values.fullmatch(value.strip()))
        if matches >= VALUE_SHARE * len(values):
            return kind
    return None


def personal_data_flags(catalog) -> list[Flag]:
    """The catalog's fields that look like personal data, in the catalog's order."""
    fields = list(catalog.fields.order_by("position"))
    textual = [f.column for f in fields if f.data_type in (FieldType.STRING, FieldType.INTEGER)]
    samples = _samples(catalog.resource_version.path, textual)
    flags = []
    for field in fields:
        kind, by_values = _by_name(field), False
        if kind is None:
            kind, by_values = _by_values(samples.get(field.column, [])), True
        if kind is not None:
            flags.append(
                Flag(
                    column=field.column,
                    kind=str(kind.label),
                    level=kind.level,
                    masking=kind.masking,
                    by_values=by_values,
                    graded=field.level >= kind.level and field.masking != MaskingRule.KEEP,
                )
            )
    return flags
