"""What a catalog shows about its data: statistics that pass the disclosure threshold and
synthetic sample rows made from the schema and those statistics. Never a real row."""

import math

from operation.models import FieldType, SensitivityLevel
from operation.synthetic import SyntheticTable, displayable

SAMPLE_ROWS = 5


def _rounded(value: float | None) -> float | None:
    if value is None:
        return None
    magnitude = abs(value)
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2
    return round(value, digits)


def _range_digits(p10: float, p90: float) -> int:
    """The decimals of two significant digits of the 10 %–90 % range's width."""
    width = p90 - p10
    scale = width if width > 0 else abs(p10) / 10 or 1.0
    return 1 - math.floor(math.log10(scale))


def _typical_range(p10: float, p90: float, digits: int) -> list[float]:
    """The 10 %–90 % range widened to ``digits`` decimals: a range boundary, not a
    record's value, and still as narrow as the data (longitudes between 118.05 and 118.25
    stay so, not 120–120)."""
    step = 10.0**-digits
    shown = max(0, digits)
    return [
        round(math.floor(p10 / step) * step, shown),
        round(math.ceil(p90 / step) * step, shown),
    ]


def shown_categories(field, stats: dict, min_count: int) -> list[str]:
    """The category values that may be shown, most frequent first: those covering enough
    rows each (a rare one is never shown), of a field that neither identifies anyone nor
    is sensitive. Their counts are not shown."""
    values = stats.get("values")
    if not values or field.is_identifier or field.level > SensitivityLevel.L2:
        return []
    return [value for value, count in values if count >= min_count]


def field_statistics(field, stats: dict, min_count: int) -> dict:
    """Displayable statistics of one field; anything over fewer rows than the threshold,
    and any single record's value (minimum, maximum), is left out."""
    count = stats.get("count", 0)
    if count < min_count:
        return {"count": f"<{min_count}"}
    shown: dict = {"count": count}
    distinct = min(stats.get("distinct", 0), count)  # the estimate can overshoot
    shown["distinct"] = distinct if distinct >= min_count else f"<{min_count}"
    if field.is_identifier or field.level >= SensitivityLevel.L3:
        return shown
    # Ranges only over many rows: p10/p90 and months, never a single record's value.
    wide = count >= 10 * min_count
    if field.data_type in (FieldType.INTEGER, FieldType.NUMBER):
        shown["mean"] = _rounded(stats.get("mean"))
        if wide and stats.get("p10") is not None:
            digits = _range_digits(stats["p10"], stats["p90"])
            shown["typical_range"] = _typical_range(stats["p10"], stats["p90"], digits)
            if stats.get("mean") is not None:  # as precise as the range, over as many rows
                shown["mean"] = round(stats["mean"], max(0, digits))
    is_time = field.data_type in (FieldType.DATE, FieldType.TIMESTAMP)
    if is_time and wide and stats.get("first_day"):
        shown["period"] = [stats["first_day"][:7], stats["last_day"][:7]]
    categories = shown_categories(field, stats, min_count)
    if categories:
        shown["categories"] = categories
    return shown


def synthetic_rows(catalog, fields, shown_by_column: dict[str, dict]) -> list[dict]:
    """A few rows that look like the data and are made up from the displayable statistics
    only (see ``operation.synthetic``): deterministic per catalog version."""
    table = SyntheticTable(
        fields,
        shown_by_column,
        table_rows=catalog.resource_version.row_count,
        seed=f"{catalog.code}:{catalog.version}",
    )
    return [
        {column: displayable(value) for column, value in row.items()}
        for row in table.rows(SAMPLE_ROWS)
    ]
