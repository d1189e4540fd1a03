"""Synthetic rows that behave like a table's real data, made from its published
statistics only (what ``operation.preview.field_statistics`` lets anyone see).

One generator serves the catalog preview, the dry runs' synthetic workspaces and the
synthetic tables a developer pulls:

- numbers follow the published typical range (10 % and 90 % quantiles) and mean: a
  piecewise-linear inverse distribution through an extrapolated low end, the 10 % point, a
  middle placed so that the mean comes out as published, the 90 % point and a high end;
- strings with shown categories take only those categories (a rare one is never shown,
  so it never appears);
- dates and timestamps lie within the published period and are ordered by row;
- identifiers (and strings without shown categories) repeat: a few made-up values, as
  many as the published distinct count allows, each used for many rows; the values come
  from pools shared by the tables generated together, so that joins find matches;
- each column is null as often as the published count says.

No real value is read: only the published statistics, the column types and a seed.
Deterministic for a seed; rows are produced in batches, so memory is bounded for any
row count.
"""

import math
import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from operation.models import FieldType

BATCH_ROWS = 20_000  # rows generated at a time: bounds memory for any row count
TAIL = 0.25  # the ends lie this share of the typical range beyond the 10 % / 90 % points
MIDDLE_MARGIN = 0.2  # the median stays this share of the typical range inside it
REPEATS = 20  # an identifier is used for about this many rows at least
FALLBACK_PERIOD = ("2025-01", "2025-12")  # when no period is published

IdMaker = Callable[[object, random.Random], object]  # (field, rng) -> a made-up value


def _mean_of(points: list[tuple[float, float]]) -> float:
    return sum((p1 - p0) * (v0 + v1) / 2 for (p0, v0), (p1, v1) in pairwise(points))


def quantile_points(shown: dict) -> list[tuple[float, float]] | None:
    """The (probability, value) points of a numeric field's made-up distribution, from
    its published typical range and mean; None when nothing numeric is published."""
    mean = shown.get("mean")
    if shown.get("typical_range"):
        p10, p90 = shown["typical_range"]
        tail = TAIL * (p90 - p10) if p90 > p10 else abs(p10) * 0.01 or 1.0
        floor = 0.0 if p10 >= 0 else -math.inf  # a quantity that is never negative stays so
        low, high = max(p10 - tail, floor), p90 + tail
        points = [(0.0, low), (0.1, p10), (0.5, (p10 + p90) / 2), (0.9, p90), (1.0, high)]
        if mean is None:
            return points
        # The middle that gives the published mean, well within the range; a mean beyond
        # that (a skewed distribution, e.g. rare blooms) stretches the tail on its side.
        others = _mean_of(points) - 0.4 * points[2][1]
        margin = MIDDLE_MARGIN * (p90 - p10)
        middle = min(max((mean - others) / 0.4, p10 + margin), p90 - margin)
        points[2] = (0.5, middle)
        gap = mean - _mean_of(points)
        if gap > 0:
            high += gap / 0.05
        elif gap < 0:
            low = max(low + gap / 0.05, floor)
        return [(0.0, low), *points[1:4], (1.0, high)]
    if mean is not None:  # too few rows for a range: close to the mean
        spread = abs(mean) * 0.001 or 1.0
        return [(0.0, mean - spread), (1.0, mean + spread)]
    return None


def _inverse(points: list[tuple[float, float]], u: float) -> float:
    for (p0, v0), (p1, v1) in pairwise(points):
        if u <= p1:
            return v0 + (v1 - v0) * (u - p0) / (p1 - p0)
    return points[-1][1]


def _decimals(points: list[tuple[float, float]]) -> int:
    """Digits enough to show the spread, not more: one beyond the range's own."""
    width = points[-1][1] - points[0][1]
    if width <= 0:
        return 2
    return max(0, 2 - math.floor(math.log10(width)))


def _period(shown: dict) -> tuple[datetime, datetime]:
    """From the first day of the published first month to the end of the last one."""
    first, last = shown.get("period") or FALLBACK_PERIOD
    start = datetime.fromisoformat(f"{first}-01")
    year, month = (int(part) for part in last.split("-"))
    end = datetime(year + month // 12, month % 12 + 1, 1)
    return start, max(end, start + timedelta(days=1))


def _distinct(shown: dict, rows: int) -> int:
    """How many made-up values a repeating column uses: the published distinct count,
    at most one per ``REPEATS`` rows (at least two, so GROUP BY has groups)."""
    distinct = shown.get("distinct")
    known = distinct if isinstance(distinct, int) and distinct > 0 else 5
    return max(1, min(known, max(2, rows // REPEATS + 1)))


def _made_up_id(field, rng: random.Random):
    if field.data_type == FieldType.INTEGER:
        return rng.randrange(10**8)
    if field.is_identifier:
        return f"SYN-{rng.randrange(16**6):06X}"
    return None  # a name: numbered in the pool, see IdentifierPools.get


class IdentifierPools:
    """Made-up values per column name, shared by the tables generated together, so that a
    vessel of one table is found in another. A pool grows on demand and its first values
    never change, whatever sizes were asked before. ``make_id(field)`` may give the maker
    of a column's values (e.g. pseudonyms in a workspace): such a column repeats too."""

    def __init__(self, seed: str, make_id: Callable[[object], IdMaker | None] | None = None):
        self.seed, self.make_id, self.pools = seed, make_id, {}

    def get(self, field, size: int) -> list:
        maker = (self.make_id and self.make_id(field)) or _made_up_id
        key = (field.column, maker)
        if key not in self.pools:
            rng = random.Random(f"{self.seed}:pool:{field.column}")  # noqa: S311 (not for security)
            self.pools[key] = (rng, [])
        rng, pool = self.pools[key]
        while len(pool) < size:
            value = maker(field, rng)
            pool.append(f"示例{field.column}-{len(pool) + 1}" if value is None else value)
        return pool[:size]


class SyntheticTable:
    """Rows of one table made up from its fields' published statistics.

    ``fields``: objects with column, data_type, is_identifier; ``shown``: the published
    statistics per column; ``table_rows``: the real table's row count (the null rates come
    from it and the published counts); ``pools``: identifier pools to share with other
    tables (a pool of its own otherwise)."""

    def __init__(self, fields, shown: dict[str, dict], *, table_rows: int, seed: str, pools=None):
        self.fields, self.shown, self.table_rows, self.seed = list(fields), shown, table_rows, seed
        self.pools = pools if pools is not None else IdentifierPools(seed)

    def _null_rate(self, field) -> float:
        count = self.shown[field.column].get("count")
        if not isinstance(count, int) or self.table_rows <= 0:
            return 0.0
        return max(0.0, 1.0 - count / self.table_rows)

    def _maker(self, field, rows: int) -> Callable[[random.Random, float], object]:
        """The function making a column's value of a row, given the row's place in time:
        a fraction growing with the row's index, shared by the row's dates and timestamps
        (so they are ordered and a row's end follows its start)."""
        shown, kind = self.shown[field.column], field.data_type
        pseudonym = self.pools.make_id is not None and self.pools.make_id(field) is not None
        identifier = field.is_identifier and kind in (FieldType.STRING, FieldType.INTEGER)
        if pseudonym or identifier or (kind == FieldType.STRING and not shown.get("categories")):
            pool = self.pools.get(field, _distinct(shown, rows))
            return lambda rng, _at: rng.choice(pool)
        if shown.get("categories"):
            categories = shown["categories"]
            return lambda rng, _at: rng.choice(categories)
        if kind in (FieldType.INTEGER, FieldType.NUMBER):
            points = quantile_points(shown) or [(0.0, 0.0), (1.0, 100.0)]
            if kind == FieldType.INTEGER:
                return lambda rng, _at: round(_inverse(points, rng.random()))
            digits = _decimals(points)
            return lambda rng, _at: round(_inverse(points, rng.random()), digits)
        if kind in (FieldType.DATE, FieldType.TIMESTAMP):
            start, end = _period(shown)
            seconds = (end - start).total_seconds()

            def ordered(_rng: random.Random, at: float):
                moment = start + timedelta(seconds=int(seconds * at))
                return moment.date() if kind == FieldType.DATE else moment

            return ordered
        if kind == FieldType.BOOLEAN:
            return lambda rng, _at: rng.random() < 0.5
        return lambda rng, _at: time(rng.randrange(24), rng.randrange(60))  # a time of day

    def batches(self, rows: int, batch_rows: int = BATCH_ROWS) -> Iterator[dict[str, list]]:
        """``rows`` rows, as columns of Python values (date, datetime, time, int, float,
        str, bool or None), ``batch_rows`` rows at a time."""
        if rows < 0:
            raise ValueError("rows cannot be negative")
        columns = []
        for field in self.fields:
            rng = random.Random(f"{self.seed}:{field.column}")  # noqa: S311 (not for security)
            columns.append((field, self._maker(field, rows), self._null_rate(field), rng))
        when = random.Random(f"{self.seed}:time")  # noqa: S311 (not for security)
        for start in range(0, rows, batch_rows):
            places = [
                (i + when.random()) / rows for i in range(start, min(start + batch_rows, rows))
            ]
            yield {
                field.column: [
                    None if null_rate and rng.random() < null_rate else make(rng, at)
                    for at in places
                ]
                for field, make, null_rate, rng in columns
            }

    def rows(self, rows: int) -> list[dict]:
        """A few rows as dictionaries (for a preview)."""
        out = []
        for batch in self.batches(rows):
            names = list(batch)
            out += [
                dict(zip(names, values, strict=True))
                for values in zip(*batch.values(), strict=True)
            ]
        return out


def displayable(value):
    """A made-up value as JSON and a page show it: ISO dates and times."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return value
