"""What a catalog shows about its data: statistics that pass the disclosure threshold and
synthetic sample rows made from the schema and those statistics. Never a real row."""

import random
from datetime import date, datetime, timedelta

from operation.models import FieldType, SensitivityLevel

SAMPLE_ROWS = 5


def _rounded(value: float | None) -> float | None:
    if value is None:
        return None
    magnitude = abs(value)
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2
    return round(value, digits)


def _coarse(value: float) -> float:
    """Two significant digits: a range boundary, not a record's value."""
    return float(f"{value:.2g}")


def shown_categories(field, stats: dict, min_count: int) -> list[str]:
    """Category values may be shown when every one of them covers enough rows and the
    field neither identifies anyone nor is sensitive."""
    values = stats.get("values")
    if not values or field.is_identifier or field.level > SensitivityLevel.L2:
        return []
    if any(count < min_count for _value, count in values):
        return []
    return [value for value, _count in values]


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
            shown["typical_range"] = [_coarse(stats["p10"]), _coarse(stats["p90"])]
    is_time = field.data_type in (FieldType.DATE, FieldType.TIMESTAMP)
    if is_time and wide and stats.get("first_day"):
        shown["period"] = [stats["first_day"][:7], stats["last_day"][:7]]
    categories = shown_categories(field, stats, min_count)
    if categories:
        shown["categories"] = categories
    return shown


def synthetic_value(field, shown: dict, rng: random.Random, index: int):
    """A made-up value built only from what ``field_statistics`` lets anyone see."""
    kind = field.data_type
    if field.is_identifier:
        if kind == FieldType.STRING:
            return f"SYN-{rng.randrange(16**6):06X}"
        return rng.randrange(10**8)
    if shown.get("categories"):
        return rng.choice(shown["categories"])
    if kind in (FieldType.INTEGER, FieldType.NUMBER):
        low, high = shown.get("typical_range") or (0, 100)
        value = rng.uniform(low, high if high > low else low + 1)
        return round(value) if kind == FieldType.INTEGER else _rounded(value)
    if kind in (FieldType.DATE, FieldType.TIMESTAMP):
        first, last = shown.get("period") or ("2025-01", "2025-12")
        start = date.fromisoformat(f"{first}-01")
        end = date.fromisoformat(f"{last}-28")
        day = start + timedelta(days=rng.randrange(max((end - start).days, 0) + 1))
        if kind == FieldType.DATE:
            return day.isoformat()
        moment = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randrange(24))
        return moment.isoformat(sep=" ")
    if kind == FieldType.BOOLEAN:
        return rng.random() < 0.5
    if kind == FieldType.TIME:
        return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:00"
    return f"示例{field.column}-{index + 1}"


def synthetic_rows(catalog, fields, shown_by_column: dict[str, dict]) -> list[dict]:
    """A few rows that look like the data and are made up from the displayable statistics
    only: deterministic per catalog version."""
    rng = random.Random(f"{catalog.code}:{catalog.version}")  # noqa: S311 (not for security)
    return [
        {f.column: synthetic_value(f, shown_by_column[f.column], rng, index) for f in fields}
        for index in range(SAMPLE_ROWS)
    ]
