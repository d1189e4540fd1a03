"""Cell-by-cell checks of an aggregate table, on evidence derived by trusted code.

The evidence of a cell is computed in DuckDB from the rows that make up the cell: its
number of rows, of distinct entities (the catalog's identifier field; without one, every
row is its own entity), of *contributors* (entities with a value, for an aggregate of a
value), the total of the value, the largest contributions (per-entity sums, largest
first), and the number of negative and of missing values. ``evaluate`` applies the rules
with a scenario type's parameters; the vocabulary and the semantics follow ACRO's
(1.0.2, ``sdcchecks.py``), so verdicts can be compared with ACRO's crosstab cell by cell:

- ``MinimumThresholdCheck``: fewer than ``threshold`` contributors fail (ACRO counts the
  non-missing values of a cell; one entity with many rows counts once here).
- ``PresenceOfZeroCheck``: a cell whose count (or total) is zero fails when zeros are
  disclosive.
- ``NKCheck``: the top ``dominance_n`` contributions make up ``dominance_k`` or more of
  the total: fail; a total of zero or less fails when zeros are disclosive.
- ``PPercentCheck``: fewer than two contributions or a total of zero or less fail;
  otherwise (total - top1 - top2) / top1 below ``p_percent`` fails.
- ``NegativeOrMissingCheck``: negative values, or missing ones when ``check_missing``:
  review (ACRO's "negative" and "missing" outcomes; the other rules do not hold there).
- ``SingleUnitStatisticCheck``: a min, max or median is one unit's value: fail, unless
  the parameters allow it and the cell passes the threshold.

Counts get the threshold and zero rules only (N-K and p-percent are not applicable).
Reasons name counts and parameters, never data values.
"""

import math
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from core.duck import quote_ident, quote_literal
from scenarios.disclosure.params import FAIL, NOT_APPLICABLE, PASS, REVIEW, Parameters, overall
from scenarios.disclosure.reasons import say

EVIDENCE_FIELDS = (
    "rows",
    "entities",
    "contributors",
    "total",
    "top",
    "negatives",
    "missing",
)
RULES = (
    "MinimumThresholdCheck",
    "PresenceOfZeroCheck",
    "NKCheck",
    "PPercentCheck",
    "NegativeOrMissingCheck",
    "SingleUnitStatisticCheck",
)
# aggregate -> the family of rules it gets
KINDS = {
    "count": "count",
    "sum": "sum",
    "mean": "sum",
    "avg": "sum",
    "min": "single",
    "max": "single",
    "median": "single",
}
NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)
READERS = {".csv": "read_csv", ".tsv": "read_csv", ".parquet": "read_parquet"}


class InputError(ValueError):
    """A data file or column that cannot be checked (said in plain words)."""


def is_numeric(duckdb_type: str) -> bool:
    return str(duckdb_type).upper().split("(")[0] in NUMERIC_TYPES


def entry(
    status: str, reason: str, cells: list | None = None, *, said: list | None = None, **extra
) -> dict:
    """A rule's verdict, its reason in English and, in ``reasons``, as codes (``say``)."""
    made = {"status": status, "reason": reason, "cells": cells or [], **extra}
    if said:
        made["reasons"] = said
    return made


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def plain(value):
    """A key part as JSON can hold it (dates and decimals as their text)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


# --- Evidence --------------------------------------------------------------------------


def row_evidence_sql(value_sql: str | None, top_n: int, *, numeric: bool = True) -> str:
    """``EVIDENCE_FIELDS`` of a cell whose every row is a unit, as aggregates over its rows
    of ``value_sql`` (an expression; None: rows are counted)."""
    v, top_n = value_sql, max(int(top_n), 2)
    if v is None:
        return "count(*), count(*), count(*), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE[]), 0, 0"
    if numeric:
        number = f"CAST({v} AS DOUBLE)"
        return (
            f"count(*), count(*), count({v}), sum({number}), max({number}, {top_n}), "
            f"count(*) FILTER (WHERE {v} < 0), count(*) FILTER (WHERE {v} IS NULL)"
        )
    return (
        f"count(*), count(*), count({v}), CAST(NULL AS DOUBLE), "
        f"CAST(NULL AS DOUBLE[]), 0, count(*) FILTER (WHERE {v} IS NULL)"
    )


def column_evidence_sql(value_sql: str, top_n: int, *, numeric: bool, double: bool) -> list[str]:
    """Aggregates over a cell's rows (every row a unit) of ``value_sql`` from which
    ``column_evidence`` gives a measure's ``EVIDENCE_FIELDS``, for a query that also
    counts the cell's rows (``count(*)``): the fewest a data service's query needs, since
    its planning, not its scan, is most of a small call's cost. The values present; for a
    ``numeric`` value (``double``: already DOUBLE) also their total, the ``top_n``
    largest and the least (negative or not)."""
    v, top_n = value_sql, max(int(top_n), 2)
    if not numeric:
        return [f"count({v})"]
    number = v if double else f"CAST({v} AS DOUBLE)"
    return [f"count({v})", f"sum({number})", f"max({number}, {top_n})", f"min({v})"]


def column_evidence(rows: int, found) -> tuple:
    """``EVIDENCE_FIELDS`` of a cell of ``rows`` rows from ``column_evidence_sql``'s
    aggregates (``found``; None for a count of rows). ``negatives`` only says whether
    there are any (1 or 0): the rules ask no more."""
    if found is None:
        return (rows, rows, rows, None, None, 0, 0)
    if len(found) == 1:
        return (rows, rows, found[0], None, None, 0, rows - found[0])
    contributors, total, top, least = found
    negatives = 1 if least is not None and least < 0 else 0
    return (rows, rows, contributors, total, top, negatives, rows - contributors)


def evidence_sql(
    relation_sql: str,
    group_by: list[str],
    value: str | None,
    entity: str | None,
    top_n: int,
    *,
    numeric: bool = True,
    text_keys: bool = False,
) -> str:
    """A DuckDB query over ``relation_sql`` giving one row per cell: the group columns,
    then ``EVIDENCE_FIELDS`` (rows, entities, contributors, total, top contributions
    largest first, negatives, missing). ``group_by``, ``value`` and ``entity`` are column
    names of the relation. A non-``numeric`` value is only counted (present or missing).
    With ``text_keys`` the group values come out as text, cast once grouped (so that
    values the grouping takes as one, -0.0 and 0.0, are one cell as in the query)."""
    keys = [quote_ident(column) for column in group_by]
    key_list = "".join(f"{key}, " for key in keys)
    shown = "".join(f"CAST({key} AS VARCHAR) AS {key}, " for key in keys) if text_keys else key_list
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    order = f" ORDER BY {', '.join(keys)}" if keys else ""
    top_n = max(int(top_n), 2)
    v = quote_ident(value) if value is not None else None
    number = f"CAST({v} AS DOUBLE)" if v is not None else None
    if entity is None:
        measures = row_evidence_sql(v, top_n, numeric=numeric)
        return f"SELECT {shown}{measures} FROM ({relation_sql}) AS cell_rows{group}{order}"  # noqa: S608
    e = quote_ident(entity)
    if v is None:
        inner = "count(*) AS n, count(*) AS nv, CAST(NULL AS DOUBLE) AS c, 0 AS neg, 0 AS miss"
    elif numeric:
        inner = (
            f"count(*) AS n, count({v}) AS nv, sum({number}) AS c, "
            f"count(*) FILTER (WHERE {v} < 0) AS neg, count(*) FILTER (WHERE {v} IS NULL) AS miss"
        )
    else:
        inner = (
            f"count(*) AS n, count({v}) AS nv, CAST(NULL AS DOUBLE) AS c, 0 AS neg, "
            f"count(*) FILTER (WHERE {v} IS NULL) AS miss"
        )
    # One row per (cell, entity): rows of an entity without an identifier count as one.
    per_entity = (
        f"SELECT {key_list}{inner} FROM ({relation_sql}) AS cell_rows "  # noqa: S608
        f"GROUP BY {key_list}{e}"
    )
    top = f"max(c, {top_n})" if v is not None and numeric else "CAST(NULL AS DOUBLE[])"
    measures = (
        "CAST(sum(n) AS BIGINT), count(*), count(*) FILTER (WHERE nv > 0), sum(c), "
        f"{top}, CAST(sum(neg) AS BIGINT), CAST(sum(miss) AS BIGINT)"
    )
    return f"SELECT {shown}{measures} FROM ({per_entity}) AS per_entity{group}{order}"  # noqa: S608


# --- Rules -------------------------------------------------------------------------------


def _rule_cell_verdicts(kind: str, has_value: bool, evidence: tuple, params: Parameters):
    """(failed rules, review rules, details) of one cell."""
    _rows, _entities, contributors, total, top, negatives, missing = evidence
    failed: list[str] = []
    review: list[str] = []
    passes_threshold = contributors >= params.threshold
    if not passes_threshold:
        failed.append("MinimumThresholdCheck")
    if kind == "count":
        zero = contributors == 0
    elif kind == "sum":
        zero = total is None or total == 0
    else:
        zero = False
    if zero and params.zeros_are_disclosive:
        failed.append("PresenceOfZeroCheck")
    if kind == "sum":
        top = list(top or [])
        # As ACRO 1.0.2 (sdcchecks.py): p-percent cannot protect a cell with one
        # contributor or a total of zero or less, whatever zeros_are_disclosive says.
        if total is None or total <= 0:
            nk_fail, p_fail = params.zeros_are_disclosive, True
        else:
            nk_fail = sum(top[: params.dominance_n]) / total >= params.dominance_k
            p_fail = len(top) < 2 or (total - top[0] - top[1]) / top[0] < params.p_percent
        if nk_fail:
            failed.append("NKCheck")
        if p_fail:
            failed.append("PPercentCheck")
    if kind == "single" and not (params.allow_single_unit and passes_threshold):
        failed.append("SingleUnitStatisticCheck")
    if has_value and (negatives > 0 or (params.check_missing and missing > 0)):
        review.append("NegativeOrMissingCheck")
    return failed, review, zero


def cell_status(evidence: tuple, *, agg: str, params: Parameters, value: str | None = None) -> str:
    """One cell's verdict from its ``EVIDENCE_FIELDS``, the one ``evaluate`` gives it (PASS,
    REVIEW or FAIL), without the reasons: what a data-service call needs per cell."""
    kind = KINDS[agg]
    failed, review, _zero = _rule_cell_verdicts(
        kind, value is not None or kind != "count", evidence, params
    )
    return FAIL if failed else REVIEW if review else PASS


def evaluate(
    evidence_rows,
    *,
    agg: str,
    params: Parameters,
    value: str | None = None,
    label: str | None = None,
) -> dict:
    """Per-cell verdicts and one entry per rule, from rows of ``evidence_sql`` (the group
    values first, then ``EVIDENCE_FIELDS``). ``agg`` is count, sum, mean (avg), min, max
    or median; ``value`` names the aggregated column: a count without one counts rows
    (other aggregates always have a value). ``label`` prefixes the reasons."""
    kind = KINDS.get(agg)
    if kind is None:
        raise InputError(f"Unknown aggregate {agg!r}; use one of {', '.join(sorted(KINDS))}.")
    has_value = value is not None or kind != "count"
    width = len(EVIDENCE_FIELDS)
    found: dict[str, list] = {rule: [] for rule in RULES}
    cells = []
    fewest = None
    zeros = negative_cells = missing_cells = 0
    for row in evidence_rows:
        key = [plain(part) for part in row[:-width]]
        evidence = row[-width:]
        failed, review, zero = _rule_cell_verdicts(kind, has_value, evidence, params)
        zeros += zero
        contributors = evidence[2]
        fewest = contributors if fewest is None else min(fewest, contributors)
        if "NegativeOrMissingCheck" in review:
            negative_cells += evidence[5] > 0
            missing_cells += params.check_missing and evidence[6] > 0
        for rule in failed + review:
            found[rule].append(key)
        cell = {
            "key": key,
            "entities": int(evidence[1]),
            "rows": int(evidence[0]),
            "status": FAIL if failed else REVIEW if review else PASS,
            "failed": failed,
        }
        if review:
            cell["review"] = review
        cells.append(cell)
    counted = len(cells)
    units = "contributors" if has_value else "entities"
    prefix = f"{label}: " if label else ""
    of = f"of {_plural(counted, 'cell')}"
    checks: dict[str, dict] = {}
    # the codes' parameters: how many cells, what a cell's count counts, the prefix
    common = {"cells": counted, "label": label or "", "values": has_value}

    hits = found["MinimumThresholdCheck"]
    if hits:
        checks["MinimumThresholdCheck"] = entry(
            FAIL,
            f"{prefix}{len(hits)} {of} have fewer than {params.threshold} {units} "
            f"(the fewest: {fewest}).",
            hits,
            said=say(
                "threshold_fail", n=len(hits), threshold=params.threshold, fewest=fewest, **common
            ),
        )
    else:
        checks["MinimumThresholdCheck"] = entry(
            PASS,
            f"{prefix}Every one {of} has at least {params.threshold} {units}.",
            said=say("threshold_pass", threshold=params.threshold, **common),
        )

    if kind == "single":
        checks["PresenceOfZeroCheck"] = entry(
            NOT_APPLICABLE,
            f"{prefix}A min, max or median is not a count or total.",
            said=say("zero_single", **common),
        )
    elif not params.zeros_are_disclosive:
        checks["PresenceOfZeroCheck"] = entry(
            PASS,
            f"{prefix}Zeros are not disclosive under these parameters "
            f"({_plural(zeros, 'cell')} with a zero {'count' if kind == 'count' else 'total'}).",
            said=say("zero_allowed", zeros=zeros, total=kind != "count", **common),
        )
    elif found["PresenceOfZeroCheck"]:
        hits = found["PresenceOfZeroCheck"]
        checks["PresenceOfZeroCheck"] = entry(
            FAIL,
            f"{prefix}{len(hits)} {of} have a zero {'count' if kind == 'count' else 'total'}, "
            "and zeros are disclosive under these parameters.",
            hits,
            said=say("zero_fail", n=len(hits), total=kind != "count", **common),
        )
    else:
        checks["PresenceOfZeroCheck"] = entry(
            PASS, f"{prefix}No cell is zero.", said=say("zero_pass", **common)
        )

    if kind != "sum":
        reason = f"{prefix}Only totals and means of a value are checked for dominance."
        said = say("dominance_not_sum", **common)
        checks["NKCheck"] = entry(NOT_APPLICABLE, reason, said=said)
        checks["PPercentCheck"] = entry(NOT_APPLICABLE, reason, said=said)
    else:
        n, k, p = params.dominance_n, params.dominance_k, params.p_percent
        zero_note = (
            " (cells with a total of zero or less count as failing: zeros are disclosive)"
            if params.zeros_are_disclosive
            else ""
        )
        hits = found["NKCheck"]
        checks["NKCheck"] = (
            entry(
                FAIL,
                f"{prefix}In {len(hits)} {of} the largest {n} contributors make up {k:.0%} "
                f"or more of the cell's total{zero_note}.",
                hits,
                said=say(
                    "nk_fail",
                    n=len(hits),
                    largest=n,
                    k=k,
                    zeros=params.zeros_are_disclosive,
                    **common,
                ),
                n=n,
                k=k,
            )
            if hits
            else entry(
                PASS,
                f"{prefix}In no cell do the largest {n} contributors make up {k:.0%} or "
                "more of the total.",
                said=say("nk_pass", largest=n, k=k, **common),
                n=n,
                k=k,
            )
        )
        hits = found["PPercentCheck"]
        few_note = (
            " (cells with fewer than two contributors or a total of zero or less count as failing)"
        )
        checks["PPercentCheck"] = (
            entry(
                FAIL,
                f"{prefix}In {len(hits)} {of} the rest of the cell, less the second largest "
                f"contributor, estimates the largest to within {p:.0%}{few_note}.",
                hits,
                said=say("p_fail", n=len(hits), p=p, **common),
                p=p,
            )
            if hits
            else entry(
                PASS,
                f"{prefix}In every cell the largest contributor is hidden by more than "
                f"{p:.0%} of it.",
                said=say("p_pass", p=p, **common),
                p=p,
            )
        )

    if not has_value:
        checks["NegativeOrMissingCheck"] = entry(
            NOT_APPLICABLE,
            f"{prefix}A count of rows has no values to be negative or missing.",
            said=say("negative_count", **common),
        )
    elif found["NegativeOrMissingCheck"]:
        hits = found["NegativeOrMissingCheck"]
        parts = []
        if negative_cells:
            parts.append(f"{_plural(negative_cells, 'cell')} with negative values")
        if missing_cells:
            parts.append(f"{_plural(missing_cells, 'cell')} with missing values")
        checks["NegativeOrMissingCheck"] = entry(
            REVIEW,
            f"{prefix}{' and '.join(parts)}: the other rules do not hold there; review.",
            hits,
            said=say("negative_review", negative=negative_cells, missing=missing_cells, **common),
        )
    else:
        missing_word = " or missing" if params.check_missing else ""
        checks["NegativeOrMissingCheck"] = entry(
            PASS,
            f"{prefix}No cell holds negative{missing_word} values.",
            said=say("negative_pass", missing=params.check_missing, **common),
        )

    if kind != "single":
        checks["SingleUnitStatisticCheck"] = entry(
            NOT_APPLICABLE,
            f"{prefix}Not a min, max or median.",
            said=say("single_other", **common),
        )
    elif found["SingleUnitStatisticCheck"]:
        hits = found["SingleUnitStatisticCheck"]
        why = (
            f"allowed only in cells with at least {params.threshold} contributors"
            if params.allow_single_unit
            else "not allowed by the scenario type"
        )
        checks["SingleUnitStatisticCheck"] = entry(
            FAIL,
            f"{prefix}A {agg} is one unit's own value ({why}): {len(hits)} {of} fail.",
            hits,
            said=say(
                "single_fail",
                n=len(hits),
                agg=agg,
                allowed=params.allow_single_unit,
                threshold=params.threshold,
                **common,
            ),
        )
    else:
        checks["SingleUnitStatisticCheck"] = entry(
            PASS,
            f"{prefix}The scenario type allows a {agg} in cells that pass the threshold, "
            "and every cell does.",
            said=say("single_pass", agg=agg, **common),
        )
    return {"checks": checks, "cells": cells}


def combine(evaluations: list[dict]) -> dict:
    """One evaluation from several (one per aggregated value of a table): per rule the
    worst verdict and every cell it names; per cell every rule it fails."""
    if len(evaluations) == 1:
        return evaluations[0]
    checks: dict[str, dict] = {}
    for rule in RULES:
        entries = [e["checks"][rule] for e in evaluations if rule in e["checks"]]
        applicable = [e for e in entries if e["status"] != NOT_APPLICABLE]
        if not applicable:
            checks[rule] = (
                entries[0]
                if entries
                else entry(NOT_APPLICABLE, "Not checked.", said=say("not_checked"))
            )
            continue
        status = overall(e["status"] for e in applicable)
        seen: dict[str, list] = {}
        for item in applicable:
            for key in item["cells"]:
                seen.setdefault(repr(key), key)
        reason = " ".join(e["reason"] for e in applicable)
        said = [part for e in applicable for part in e.get("reasons", [])]
        made = entry(PASS, "", said=said)
        extra = {k: v for e in applicable for k, v in e.items() if k not in made}
        checks[rule] = entry(status, reason, list(seen.values()), said=said, **extra)
    cells: dict[str, dict] = {}
    for evaluation in evaluations:
        for cell in evaluation["cells"]:
            marker = repr(cell["key"])
            known = cells.get(marker)
            if known is None:
                cells[marker] = {**cell, "failed": list(cell["failed"])}
                if "review" in cell:
                    cells[marker]["review"] = list(cell["review"])
                continue
            for name in ("failed", "review"):
                for rule in cell.get(name, []):
                    if rule not in known.setdefault(name, []):
                        known[name].append(rule)
            known["status"] = overall([known["status"], cell["status"]])
    return {"checks": checks, "cells": list(cells.values())}


# --- Records ----------------------------------------------------------------------------


def summary_of(status: str, checks: dict) -> str:
    parts = [status]
    for name, item in checks.items():
        if item.get("status") in (FAIL, REVIEW):
            cells = item.get("cells") or []
            parts.append(f"{name}: {_plural(len(cells), 'cell')}" if cells else name)
    return "; ".join(parts)


def make_record(checks: dict, *, params: Parameters, aggregate: dict | None) -> dict:
    """An output's check record: the overall status, a one-line summary, the parameters
    in force, each check's entry and the aggregate's cells (or None)."""
    status = overall(item.get("status") for item in checks.values())
    return {
        "status": status,
        "summary": summary_of(status, checks),
        "parameters": params.to_dict(),
        "checks": checks,
        "aggregate": aggregate,
    }


# --- Microdata files (the operator command, the benchmark) ------------------------------


def source_sql(path: Path) -> str:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            f"{path.name}: the data file must be CSV (.csv, .tsv) or Parquet (.parquet)."
        )
    return f"{reader}({quote_literal(str(path))})"


def _resolve(columns: dict[str, str], name: str, role: str) -> str:
    if name in columns:
        return name
    folded = {column.lower(): column for column in columns}
    if name.lower() in folded:
        return folded[name.lower()]
    raise InputError(
        f"No column {name!r} ({role}) in the data file; its columns: {', '.join(columns)}."
    )


def check_microdata(
    path,
    *,
    group_by: list[str],
    value: str | None = None,
    agg: str = "count",
    entity: str | None = None,
    params: Parameters,
    connection=None,
) -> dict:
    """Check the table ``agg(value) ... GROUP BY group_by`` of a CSV or Parquet file of
    microdata, cell by cell. Returns a check record (``make_record``) whose aggregate
    lists every cell, and ``timing`` (seconds for the evidence and for the rules)."""
    import duckdb

    path = Path(path)
    if not path.is_file():
        raise InputError(f"No data file at {path}.")
    if agg not in KINDS:
        raise InputError(f"Unknown aggregate {agg!r}; use one of {', '.join(sorted(KINDS))}.")
    if KINDS[agg] != "count" and value is None:
        raise InputError(f"The aggregate {agg} needs a value column (--value).")
    if not group_by:
        raise InputError("Name at least one column to group by.")
    own = connection is None
    if own:
        connection = duckdb.connect()
        connection.execute("SET enable_progress_bar = false")
    try:
        source = source_sql(path)
        try:
            described = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()  # noqa: S608
        except duckdb.Error as error:
            raise InputError(f"{path.name} cannot be read: {type(error).__name__}.") from None
        columns = {row[0]: row[1] for row in described}
        group_by = [_resolve(columns, name, "group by") for name in group_by]
        value = _resolve(columns, value, "value") if value is not None else None
        entity = _resolve(columns, entity, "entity") if entity is not None else None
        numeric = value is not None and is_numeric(columns[value])
        if KINDS[agg] == "sum" and value is not None and not numeric:
            raise InputError(f"The column {value!r} is not numeric; {agg} needs numbers.")
        query = evidence_sql(
            f"SELECT * FROM {source}",  # noqa: S608
            group_by,
            value,
            entity,
            max(params.dominance_n, 2),
            numeric=numeric,
        )
        started = time.perf_counter()
        rows = connection.execute(query).fetchall()
        derived = time.perf_counter()
        evaluation = evaluate(rows, agg=agg, params=params, value=value)
        evaluated = time.perf_counter()
    finally:
        if own:
            connection.close()
    record = make_record(
        evaluation["checks"],
        params=params,
        aggregate={
            "table": path.name,
            "group_by": group_by,
            "filters": "",
            "value": value,
            "agg": [agg],
            "entity": entity,
            "cells": evaluation["cells"],
        },
    )
    record["timing"] = {
        "evidence_seconds": round(derived - started, 4),
        "rules_seconds": round(evaluated - derived, 4),
    }
    return record
