"""Data services' templates, parameters and runs (no database state here).

A template is one aggregate query over one catalog of its type's scope, of the shape the
output checks can derive evidence for (``scenarios.disclosure.sqlshape``), whose filter
may hold named parameters (``$name``). A call binds typed values to them (never pasted
into the SQL), runs the re-generated query on the scenario's workspace in a locked
DuckDB connection, derives each cell's evidence from the same rows and suppresses every
cell that fails the type's disclosure rules.
"""

import contextlib
import dataclasses
import hashlib
import heapq
import itertools
import math
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb
import sqlglot
from django.utils.translation import gettext as _
from sqlglot import exp
from sqlglot.tokens import TokenType

from core.duck import quote_ident, quote_literal
from core.params import iso_date
from scenarios.disclosure.cells import (
    cell_status,
    column_evidence,
    column_evidence_sql,
    is_numeric,
    plain,
)
from scenarios.disclosure.check import NotDerived, measure_evaluations, measure_of
from scenarios.disclosure.params import FAIL, REVIEW, Parameters
from scenarios.disclosure.sqlshape import DIALECT, Shape, aggregate_shape

NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
RESERVED_COLUMNS = {"suppressed"}
SOURCE = '"service_source"'
ROWS = '"service_rows"'  # a call's filtered rows (temporary: its cursor's own)
TYPES = ("date", "date_range", "integer", "number", "choice")
MAX_CHOICES = 500
# ASCII digits only, the whole text (fullmatch: no trailing newline)
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_NUMBER = re.compile(r"[+-]?([0-9]{1,18}(\.[0-9]{0,12})?|\.[0-9]{1,12})([eE][+-]?[0-9]{1,3})?")


class TemplateError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class ParameterError(ValueError):
    def __init__(self, message: str, field: str | None):
        super().__init__(message)
        self.field = field


class RunError(Exception):
    """The query did not run; the message names no data value."""

    def __init__(self, message: str, *, code: str, status: int):
        super().__init__(message)
        self.code, self.status = code, status


# --- Definitions -------------------------------------------------------------------------


def _number(value, field: str, what: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TemplateError(_("%(what)s must be a number.") % {"what": what}, field)
    return value


def parameters_clean(raw) -> list[dict]:
    """The declared parameters, normalized; TemplateError names the first problem."""
    if not isinstance(raw, list):
        raise TemplateError(_("Declare the parameters as a list."), "parameters")
    cleaned, seen = [], set()
    for spec in raw:
        if not isinstance(spec, dict):
            raise TemplateError(
                _("Each parameter is an object with a name and a type."), "parameters"
            )
        name = spec.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise TemplateError(
                _("A parameter's name is lower-case letters, digits and _ (at most 30)."),
                "parameters",
            )
        if name in seen:
            raise TemplateError(
                _("Parameter %(name)s is declared twice.") % {"name": name}, "parameters"
            )
        seen.add(name)
        kind = spec.get("type")
        if kind not in TYPES:
            raise TemplateError(
                _("Parameter %(name)s: the type is one of %(types)s.")
                % {"name": name, "types": ", ".join(TYPES)},
                "parameters",
            )
        item = {
            "name": name,
            "type": kind,
            "label": str(spec.get("label") or name)[:200],
            "required": spec.get("required", True) is not False,
        }
        if kind == "choice":
            choices = spec.get("choices")
            if (
                not isinstance(choices, list)
                or not choices
                or len(choices) > MAX_CHOICES
                or not all(isinstance(c, str) and 0 < len(c) <= 100 for c in choices)
                or len(set(choices)) != len(choices)
            ):
                raise TemplateError(
                    _("Parameter %(name)s: list its choices (distinct texts).") % {"name": name},
                    "parameters",
                )
            item["choices"] = choices
        if kind in ("integer", "number"):
            for bound in ("min", "max"):
                value = _number(spec.get(bound), "parameters", f"{name}.{bound}")
                if value is not None:
                    if kind == "integer" and value != int(value):
                        raise TemplateError(
                            _("Parameter %(name)s: its bounds are integers.") % {"name": name},
                            "parameters",
                        )
                    item[bound] = int(value) if kind == "integer" else value
            low, high = item.get("min"), item.get("max")
            if low is not None and high is not None and low > high:
                raise TemplateError(
                    _("Parameter %(name)s: min is above max.") % {"name": name}, "parameters"
                )
        if kind == "date_range":
            max_days = spec.get("max_days")
            if max_days is not None:
                if isinstance(max_days, bool) or not isinstance(max_days, int) or max_days < 1:
                    raise TemplateError(
                        _("Parameter %(name)s: max_days is a positive integer.") % {"name": name},
                        "parameters",
                    )
                item["max_days"] = max_days
        cleaned.append(item)
    return cleaned


def placeholders_of(parameters: list[dict]) -> set[str]:
    """The $names the template binds: a date range ``p`` binds p_start and p_end."""
    names = set()
    for spec in parameters:
        if spec["type"] == "date_range":
            names |= {f"{spec['name']}_start", f"{spec['name']}_end"}
        else:
            names.add(spec["name"])
    return names


_T = exp.DataType.Type
_TEXT_TYPES = {_T.VARCHAR, _T.TEXT, _T.CHAR, _T.NVARCHAR}
_DAY_TYPES = {_T.DATE, _T.TIMESTAMP, _T.DATETIME}
_NUMBER_TYPES = {_T.DOUBLE, _T.FLOAT}
# A field's type (operation.models.FieldType) -> the casts of it that cannot fail
_CASTS_OF = {
    "date": _DAY_TYPES,
    "timestamp": _DAY_TYPES,
    "integer": _NUMBER_TYPES,
    "number": {_T.DOUBLE},
}


def _cast_fails(node: exp.Cast, field_types: dict[str, str]) -> bool:
    """Whether ``node`` may fail on some value (an error a call would see: whether such a
    value is among the rows, the threshold aside). TRY_CAST, a cast to text, of a constant,
    a day of a timestamp and a number widened never fail."""
    target, source = node.to.this, node.this
    if isinstance(node, exp.TryCast) or target in _TEXT_TYPES:
        return False
    if source.find(exp.Column) is None:  # a constant: it fails on the proposal, or never
        return False
    if isinstance(source, exp.TimestampTrunc | exp.DateTrunc) and target in _DAY_TYPES:
        return False
    if isinstance(source, exp.Column):
        return target not in _CASTS_OF.get(field_types.get(source.name.lower(), ""), set())
    return True


def template_check(
    sql: str,
    *,
    parameters: list[dict],
    columns,
    unit: str,
    scope: dict[str, list[str]],
    identifiers: dict[str, set[str]] | None = None,
    field_types: dict[str, dict[str, str]] | None = None,
) -> Shape:
    """The template's shape, when it is one aggregate query over a catalog of ``scope``
    (catalog code -> its fields in the type's scope) reading only fields in scope, binding
    exactly the declared parameters and naming exactly the declared output columns. An
    identifier or pseudonymized field (``identifiers``, per catalog code) is only counted
    or filtered on: never a grouping column, never a min, max or median; a template that
    filters on one counts units by a unit field. With ``field_types`` (per catalog code,
    field -> its type), a CAST that may fail on a value is refused (TRY_CAST does not)."""
    if not isinstance(sql, str) or not sql.strip() or len(sql) > 20000:
        raise TemplateError(_("Write the service's SQL (at most 20,000 characters)."), "sql")
    shape = aggregate_shape(sql, {code: code for code in scope}, placeholders=True)
    if shape is None:
        raise TemplateError(
            _(
                "The SQL must be one aggregate query over one catalog of the type's scope: "
                "SELECT grouping columns and count, sum, avg, min, max or median of fields, "
                "FROM the catalog (by code or as hy_0001), WHERE filters with $parameters, "
                "GROUP BY the grouping columns. No joins, subqueries, HAVING or LIMIT; "
                "parameters only in WHERE."
            ),
            "sql",
        )
    parsed = sqlglot.parse_one(sql, read=DIALECT)
    allowed = {name.lower() for name in scope[shape.table]}
    outside = sorted({c.name for c in parsed.find_all(exp.Column) if c.name.lower() not in allowed})
    if outside:
        raise TemplateError(
            _("The SQL reads fields outside the type's scope of %(catalog)s: %(names)s.")
            % {"catalog": shape.table, "names": ", ".join(outside)},
            "sql",
        )
    hidden = {name.lower() for name in (identifiers or {}).get(shape.table, ())}
    for node, item in zip(parsed.expressions, shape.items, strict=True):
        if item.function == "count":
            continue
        shown = {c.name for c in node.find_all(exp.Column) if c.name.lower() in hidden}
        if shown:
            raise TemplateError(
                _("An identifier can only be counted, never shown: %(names)s.")
                % {"names": ", ".join(sorted(shown))},
                "sql",
            )
    where = parsed.args.get("where")
    filtered = {c.name.lower() for c in where.find_all(exp.Column)} if where else set()
    if filtered & hidden and not unit:
        raise TemplateError(
            _(
                "The SQL filters on an identifier (%(names)s): count its units by a unit "
                "field (one of the catalog's identifiers), or one entity's rows would pass "
                "as many."
            )
            % {"names": ", ".join(sorted(filtered & hidden))},
            "unit",
        )
    if field_types is not None:
        types = {k.lower(): v for k, v in field_types.get(shape.table, {}).items()}
        failing = [node for node in parsed.find_all(exp.Cast) if _cast_fails(node, types)]
        if failing:
            raise TemplateError(
                _(
                    "%(cast)s may fail on some value, and a call would tell whether such a "
                    "value is there: use TRY_CAST, which gives NULL instead."
                )
                % {"cast": failing[0].sql(dialect=DIALECT)},
                "sql",
            )
    used = {p.this for p in parsed.find_all(exp.Placeholder)}
    declared = placeholders_of(parameters)
    if used - declared:
        raise TemplateError(
            _("The SQL uses undeclared parameters: %(names)s.")
            % {"names": ", ".join(f"${n}" for n in sorted(used - declared))},
            "sql",
        )
    if declared - used:
        raise TemplateError(
            _("Declared parameters the SQL does not use: %(names)s.")
            % {"names": ", ".join(f"${n}" for n in sorted(declared - used))},
            "parameters",
        )
    names = [item.name for item in shape.items]
    if any(name is None or not COLUMN.match(name) for name in names):
        raise TemplateError(_("Name every output column (AS name: letters, digits and _)."), "sql")
    if len({name.lower() for name in names}) != len(names):
        raise TemplateError(_("Two output columns have the same name."), "sql")
    if RESERVED_COLUMNS & {name.lower() for name in names}:
        raise TemplateError(_("An output column cannot be named 'suppressed'."), "sql")
    if list(columns or []) != names:
        raise TemplateError(
            _("The output columns declared (%(declared)s) differ from the query's (%(query)s).")
            % {"declared": ", ".join(map(str, columns or [])), "query": ", ".join(names)},
            "columns",
        )
    if unit and unit not in scope[shape.table]:
        raise TemplateError(
            _("The unit counted must be a field of %(catalog)s in the type's scope.")
            % {"catalog": shape.table},
            "unit",
        )
    return shape


def fields_read(sql: str) -> set[str]:
    """The field names a (checked) template reads."""
    return {column.name for column in sqlglot.parse_one(sql, read=DIALECT).find_all(exp.Column)}


# --- Calls -------------------------------------------------------------------------------


def _describe(spec: dict) -> str:
    kind = spec["type"]
    if kind == "date":
        return _("a date, YYYY-MM-DD")
    if kind == "date_range":
        text = _("a date range, YYYY-MM-DD/YYYY-MM-DD")
        if "max_days" in spec:
            text += _(" of at most %(days)s days") % {"days": spec["max_days"]}
        return text
    if kind == "choice":
        shown = ", ".join(spec["choices"][:10])
        return _("one of %(choices)s") % {
            "choices": shown + (" …" if len(spec["choices"]) > 10 else "")
        }
    bounds = ""
    if "min" in spec or "max" in spec:
        bounds = f" [{spec.get('min', '…')}, {spec.get('max', '…')}]"
    return (_("an integer") if kind == "integer" else _("a number")) + bounds


def _invalid(spec: dict) -> ParameterError:
    return ParameterError(
        _("Parameter %(name)s must be %(what)s.") % {"name": spec["name"], "what": _describe(spec)},
        spec["name"],
    )


def _date(value, spec: dict) -> date:
    day = iso_date(value)  # the query strings' one reading of a date (core/params.py)
    if day is None:
        raise _invalid(spec)
    return day


def _value(spec: dict, value):
    kind = spec["type"]
    if kind == "date":
        return _date(value, spec)
    if kind == "date_range":
        if isinstance(value, dict) and set(value) == {"start", "end"}:
            start, end = value["start"], value["end"]
        elif isinstance(value, str) and value.count("/") == 1:
            start, end = value.split("/")
        else:
            raise _invalid(spec)
        start, end = _date(start, spec), _date(end, spec)
        name, days = spec["name"], (end - start).days + 1
        if end < start:
            raise ParameterError(
                _("Parameter %(name)s: the period ends (%(end)s) before it starts (%(start)s).")
                % {"name": name, "start": start.isoformat(), "end": end.isoformat()},
                name,
            )
        if "max_days" in spec and days > spec["max_days"]:
            raise ParameterError(
                _("Parameter %(name)s: at most %(max)s days; this period has %(days)s.")
                % {"name": name, "max": spec["max_days"], "days": days},
                name,
            )
        return start, end
    if kind == "choice":
        if not isinstance(value, str) or value not in spec["choices"]:
            raise _invalid(spec)
        return value
    if isinstance(value, bool):
        raise _invalid(spec)
    if kind == "integer":
        if isinstance(value, str) and _INTEGER.fullmatch(value):
            value = int(value)
        if not isinstance(value, int):
            raise _invalid(spec)
    else:
        if isinstance(value, str) and _NUMBER.fullmatch(value):
            value = float(value)
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise _invalid(spec)
    if ("min" in spec and value < spec["min"]) or ("max" in spec and value > spec["max"]):
        raise _invalid(spec)
    return value


def parameters_bind(parameters: list[dict], given: dict) -> dict:
    """The values to bind, by placeholder name, from the caller's ``given`` (name ->
    text, or JSON values; a list means the name was given more than once)."""
    if not isinstance(given, dict):
        raise ParameterError(_("Send the parameters as a JSON object."), None)
    known = {spec["name"] for spec in parameters}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ParameterError(
            _("Unknown parameter %(name)s; this service takes %(known)s.")
            % {"name": unknown[0], "known": ", ".join(sorted(known)) or _("none")},
            unknown[0],
        )
    bindings = {}
    for spec in parameters:
        name, value = spec["name"], given.get(spec["name"])
        if isinstance(value, list):
            raise ParameterError(_("Give parameter %(name)s once.") % {"name": name}, name)
        if value is None or value == "":
            if spec["required"]:
                raise ParameterError(
                    _("Parameter %(name)s is required: %(what)s.")
                    % {"name": name, "what": _describe(spec)},
                    name,
                )
            value = (None, None) if spec["type"] == "date_range" else None
        else:
            value = _value(spec, value)
        if spec["type"] == "date_range":
            bindings[f"{name}_start"], bindings[f"{name}_end"] = value
        else:
            bindings[name] = value
    return bindings


@dataclass
class Result:
    columns: list[str]
    rows: list[list]  # JSON-ready values; a suppressed cell is None
    suppressed: list[list[str]]  # per row, the columns suppressed
    units: list[int]  # per row, the units counted in its cell (never shown)
    groups: list[int]  # positions of the grouping columns

    @property
    def cells_suppressed(self) -> int:
        return sum(len(names) for names in self.suppressed)

    def key_of(self, index: int) -> list:
        return [self.rows[index][position] for position in self.groups]

    def suppress_row(self, index: int) -> None:
        """Suppress every statistic of a row (its grouping columns stay)."""
        for position, name in enumerate(self.columns):
            if position not in self.groups and name not in self.suppressed[index]:
                self.rows[index][position] = None
                self.suppressed[index].append(name)


def _result_sql(
    shape: Shape, source: str, limit: int, evidence: list[str] = (), *, keys: bool = True
) -> str:
    """The query's cells with, after them, each group value as text (the evidence's key;
    not with ``keys`` false), then ``evidence`` (aggregates over each cell's rows).
    ``source``: a relation's name, or a filtered subquery (the shape's own filter is then
    left out)."""
    columns = [f'{item.sql} AS "c{index}"' for index, item in enumerate(shape.items)]
    if keys:
        columns += [
            f'CAST({item.sql} AS VARCHAR) AS "k{index}"' for index, item in enumerate(shape.groups)
        ]
    columns += list(evidence)
    group = f" GROUP BY {', '.join(shape.group_by)}" if shape.group_by else ""
    positions = [str(i + 1) for i, item in enumerate(shape.items) if not item.is_aggregate]
    order = f" ORDER BY {', '.join(positions)}" if positions else ""
    relation = source if source.startswith("(") else f"({shape.filtered_sql(source)}) AS cell_rows"
    return (
        f"SELECT {', '.join(columns)} FROM {relation}"  # noqa: S608
        f"{group}{order} LIMIT {int(limit)}"
    )


_PRUNED_TYPES = ("DATE", "TIMESTAMP")


@lru_cache(maxsize=256)
def pruning_filter(where: str, types: tuple[tuple[str, str], ...]) -> str:
    """A filter implied by ``where`` (on columns of ``types``: (name, type) pairs) that
    DuckDB can check against a Parquet row group's
    statistics ('' when there is none): a day range on a cast timestamp
    (``CAST(ts AS DATE) BETWEEN $a AND $b``, or >= / <=, among the filter's top-level
    conjuncts) becomes a range on the column itself, which a workspace sorted by it
    prunes to the row groups of those days."""
    if not where:
        return ""
    found = sqlglot.parse_one(where, read=DIALECT)
    conjuncts = list(found.flatten()) if isinstance(found, exp.And) else [found]
    ranges = []
    for node in conjuncts:
        this = node.this
        if not (
            isinstance(this, exp.Cast)
            and this.to.is_type(exp.DataType.Type.DATE)
            and isinstance(this.this, exp.Column)
            and str(dict(types).get(this.this.name, "")).upper() in _PRUNED_TYPES
        ):
            continue
        column = quote_ident(this.this.name)
        low = high = None
        if isinstance(node, exp.Between):
            low, high = node.args.get("low"), node.args.get("high")
        elif isinstance(node, exp.GTE):
            low = node.expression
        elif isinstance(node, exp.LTE):
            high = node.expression
        if isinstance(low, exp.Placeholder):
            ranges.append(f"{column} >= CAST(${low.this} AS TIMESTAMP)")
        if isinstance(high, exp.Placeholder):
            ranges.append(f"{column} < CAST(${high.this} AS TIMESTAMP) + INTERVAL 1 DAY")
    return " AND ".join(ranges)


@dataclass
class _Database:
    """A workspace table's DuckDB database in this process: its connection (each call
    runs on a cursor of its own), the table's column types, the bytes of the table it
    holds in memory (0: it reads the Parquet file) and, by query, the call of the table
    macro compiled from it (None: the query runs as it is)."""

    connection: duckdb.DuckDBPyConnection
    types: dict
    held: int = 0
    macros: dict[str, str | None] = dataclasses.field(default_factory=dict)


# Per process, one locked DuckDB database per workspace table, kept for later calls:
# opening one costs more than most services' queries.
_DATABASES: OrderedDict[tuple[str, str], _Database] = OrderedDict()
_DATABASES_LOCK = threading.Lock()
MAX_DATABASES = 16
MAX_MACROS = 64  # per database: a workspace's services (their queries) are far fewer
_TOKENIZER = sqlglot.Dialect.get_or_raise(DIALECT).tokenizer_class()


def _macro_body(query: str) -> tuple[str, list[str]]:
    """``query`` with each placeholder ``$name`` turned into the table macro parameter
    ``"$name"`` (found by tokens: never inside a text or a quoted name), and the names
    in the order they first appear."""
    tokens = _TOKENIZER.tokenize(query)
    pieces, names, done = [], [], 0
    for token, following in itertools.pairwise(tokens):
        if token.token_type == TokenType.PARAMETER and following.start == token.end + 1:
            pieces += [query[done : token.start], quote_ident(f"${following.text}")]
            done = following.end + 1
            names += [] if following.text in names else [following.text]
    return "".join(pieces) + query[done:], names


def _compiled(database: _Database, query: str) -> str | None:
    """The statement that calls ``query`` through a table macro of ``database``, made at
    its first call in this process: DuckDB then binds and plans the query at each call
    but parses it once (DuckDB 2.0's PEG parser, duckdb issue #25301, costs about a
    sixth of a small service's query). The values are still bound, as parameters of the
    macro's call. None: the query runs as it is (too many macros, or a column named as a
    macro parameter)."""
    if query in database.macros:
        return database.macros[query]
    body, names = _macro_body(query)
    columns = {name.lower() for name in database.types}
    call = None
    if len(database.macros) < MAX_MACROS and not columns & {f"${name}" for name in names}:
        macro = "service_" + hashlib.sha256(query.encode()).hexdigest()[:32]
        parameters = ", ".join(quote_ident(f"${name}") for name in names)
        with _DATABASES_LOCK, database.connection.cursor() as cursor:
            cursor.execute(f"CREATE OR REPLACE MACRO {macro}({parameters}) AS TABLE {body}")
        call = f"SELECT * FROM {macro}({', '.join(f'${name}' for name in names)})"  # noqa: S608
    database.macros[query] = call
    return call


def _held_bytes(database: duckdb.DuckDBPyConnection) -> int:
    """The bytes of ``database``'s tables, 0 unless all of them are in its memory (a
    table paged out to temporary files is not held)."""
    memory, paged = database.execute(
        "SELECT coalesce(sum(memory_usage_bytes), 0), coalesce(sum(temporary_storage_bytes), 0) "
        "FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'"
    ).fetchone()
    return int(memory) if not paged else 0


def _source(
    database: duckdb.DuckDBPyConnection, table: Path, hold_bytes: int, seconds: float
) -> int:
    """The service source of ``database``: the table itself, held in its memory, when it
    takes at most ``hold_bytes`` there and loads within ``seconds`` (a call then scans it
    without decoding Parquet, about a sixth of a small service's miss); else a view over
    the Parquet file. The bytes held (0 for a view)."""
    parquet = quote_literal(str(table))
    rows = database.execute(
        f"SELECT num_rows FROM parquet_file_metadata({parquet})"  # noqa: S608
    ).fetchone()[0]
    described = database.execute(f"DESCRIBE SELECT * FROM read_parquet({parquet})")  # noqa: S608
    columns = len(described.fetchall())
    if 0 < rows * columns * 4 <= hold_bytes:  # in memory most values take 4 or 8 bytes
        deadline = _DEADLINES.add(seconds, database)
        try:
            database.execute(f"CREATE TABLE {SOURCE} AS SELECT * FROM read_parquet({parquet})")  # noqa: S608
            held = _held_bytes(database)
            if 0 < held <= hold_bytes:
                return held
        except duckdb.Error:  # out of memory, interrupted, unreadable: read as a view
            pass
        finally:
            _DEADLINES.cancel(deadline)
        database.execute(f"DROP TABLE IF EXISTS {SOURCE}")
    database.execute(f"CREATE VIEW {SOURCE} AS SELECT * FROM read_parquet({parquet})")  # noqa: S608
    return 0


def _forget_gone() -> None:
    """Databases whose table file is gone (its workspace destroyed) are dropped, with
    what they hold (closed once their last cursor is done)."""
    for key in [key for key in _DATABASES if not os.path.exists(key[0])]:
        del _DATABASES[key]


def _make_room(held: int, hold_bytes: int) -> None:
    """The least recently used tables held are dropped until ``held`` more bytes fit in
    ``hold_bytes`` (closed once their last cursor is done)."""
    total = sum(kept.held for kept in _DATABASES.values())
    for key in [key for key, kept in _DATABASES.items() if kept.held]:
        if total + held <= hold_bytes:
            break
        total -= _DATABASES.pop(key).held


def _database(table: Path, memory_limit: str, hold_bytes: int, seconds: float) -> _Database:
    """The table's database (the table held in memory, within ``hold_bytes`` for all this
    process's databases, else its view; files only in its folder, no extension, settings
    locked) with the table's column types."""
    key = (str(table), memory_limit)
    with _DATABASES_LOCK:
        _forget_gone()
        if key in _DATABASES:
            _DATABASES.move_to_end(key)
            return _DATABASES[key]
        database = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "threads": 1,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            }
        )
        held = _source(database, table, hold_bytes, seconds)
        _make_room(held, hold_bytes)
        folder = quote_literal(str(table.parent).rstrip("/") + "/")
        for statement in (
            "SET enable_progress_bar = false",
            # Its Parquet footer parsed once, not at every call (a workspace's files are
            # never rewritten: a new version is a new folder).
            "SET parquet_metadata_cache = true",
            f"SET allowed_directories = [{folder}]",
            "SET enable_external_access = false",
            "SET lock_configuration = true",
        ):
            database.execute(statement)
        types = {row[0]: row[1] for row in database.execute(f"DESCRIBE {SOURCE}").fetchall()}
        _DATABASES[key] = found = _Database(database, types, held)
        while len(_DATABASES) > MAX_DATABASES:
            _DATABASES.popitem(last=False)  # closed once its last cursor is done
        return found


def _too_many(found: list, max_rows: int) -> None:
    if len(found) > max_rows:
        raise RunError(
            _("The result has more than %(rows)s rows; narrow the parameters.")
            % {"rows": max_rows},
            code="too_many_rows",
            status=400,
        )


def _run_fused(database, connection, shape, measures, pruned, bindings, params, max_rows):
    """Every row is a unit (no unit field): one query over the filtered rows gives the
    cells, each cell's row count and each aggregated column's evidence
    (``column_evidence_sql``), from which the rules give each cell's verdicts."""
    kinds = list(dict.fromkeys(measure for measure in measures if measure is not None))
    top_n = max(params.dominance_n, 2)
    width, types = len(shape.items), database.types
    evidence, spans = ["count(*)"], {}
    for column in dict.fromkeys(column for _function, column in kinds if column is not None):
        kind = str(types[column]).upper()
        parts = column_evidence_sql(
            quote_ident(column), top_n, numeric=is_numeric(kind), double=kind == "DOUBLE"
        )
        start = width + len(evidence)
        spans[column] = (start, start + len(parts))
        evidence += parts
    source = f"({shape.filtered_sql(SOURCE)}) AS filtered" + (f" WHERE {pruned}" if pruned else "")
    query = _result_sql(shape, source, max_rows + 1, evidence, keys=False)
    found = connection.execute(_compiled(database, query) or query, bindings).fetchall()
    _too_many(found, max_rows)
    cells = []
    for row in found:
        units = row[width]
        by_column = {column: column_evidence(units, row[a:b]) for column, (a, b) in spans.items()}
        by_column[None] = column_evidence(units, None)
        verdicts = {
            (function, column): cell_status(
                by_column[column], agg=function, params=params, value=column
            )
            for function, column in kinds
        }
        cells.append((row, verdicts, units))
    return cells, connection.description


def _run_by_unit(connection, shape, types, fields, unit, pruned, bindings, params, max_rows):
    """Units counted by a field: the filtered rows once, in a temporary table of this
    cursor's, which the result and every measure's evidence (per unit) read. Each cell's
    verdicts are found by its group values."""
    wanted = {name.lower() for name in fields} | {unit.lower()}
    kept = ", ".join(quote_ident(name) for name in types if name.lower() in wanted)
    connection.execute(
        f"CREATE TEMPORARY TABLE {ROWS} AS SELECT {kept} "  # noqa: S608
        f"FROM ({shape.filtered_sql(SOURCE)}) AS filtered" + (f" WHERE {pruned}" if pruned else ""),
        bindings,
    )
    filtered = dataclasses.replace(shape, where="")

    def rows(sql: str) -> list[tuple]:
        return connection.execute(sql).fetchall()

    found = rows(_result_sql(filtered, ROWS, max_rows + 1))
    _too_many(found, max_rows)
    description = connection.description
    evaluations = measure_evaluations(rows, filtered, ROWS, types=types, entity=unit, params=params)
    verdicts = {
        measure: {repr(cell["key"]): cell["status"] for cell in evaluation["cells"]}
        for measure, evaluation in evaluations.items()
    }
    # Every measure's evidence counts the same units per cell: the first one's say how many.
    units = {repr(c["key"]): c["entities"] for c in next(iter(evaluations.values()))["cells"]}
    width, cells = len(shape.items), []
    for row in found:
        key = repr([plain(part) for part in row[width:]])
        cells.append(
            (
                row,
                {measure: by_key.get(key, FAIL) for measure, by_key in verdicts.items()},
                units.get(key, 0),
            )
        )
    return cells, description


def _finite(value: float):
    return value if math.isfinite(value) else str(value)


# DuckDB types whose values JSON holds as they come (no conversion)
_AS_THEY_COME = frozenset(
    {"BOOLEAN", "VARCHAR", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)


def _converter(kind: str):
    """A result column's conversion to what JSON holds, by its DuckDB type (None: none)."""
    if kind in _AS_THEY_COME:
        return None
    if kind in ("DOUBLE", "FLOAT"):
        return _finite
    return plain


class _Deadlines:
    """Interrupts the DuckDB connections whose call ran past its time: one thread per
    process for every call (a timer thread of its own cost each call about 0.3 ms of
    CPU), started at the process's first call (a forked child starts its own)."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._due: list[list] = []  # heap of [when, order, connection or None]
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._watching = False

    def add(self, seconds: float, connection) -> list:
        entry = [time.monotonic() + seconds, next(self._order), connection]
        with self._changed:
            if not self._watching:
                self._watching = True
                threading.Thread(target=self._watch, daemon=True, name="service-deadlines").start()
            heapq.heappush(self._due, entry)
            if self._due[0] is entry:
                self._changed.notify()
        return entry

    def cancel(self, entry: list) -> None:
        entry[2] = None  # its cursor is closed: forget it (the entry leaves when due)

    def _watch(self) -> None:
        changed, due = self._changed, self._due
        while True:
            with changed:
                now = time.monotonic()
                while not due or due[0][0] > now:
                    changed.wait(due[0][0] - now if due else None)
                    now = time.monotonic()
                connection = heapq.heappop(due)[2]
            if connection is not None:
                with contextlib.suppress(duckdb.Error):
                    connection.interrupt()


_DEADLINES = _Deadlines()


def run(
    shape: Shape,
    *,
    table: Path,
    fields: frozenset[str],
    bindings: dict,
    unit: str | None,
    params: Parameters,
    max_rows: int,
    memory_limit: str,
    hold_bytes: int,
    seconds: float,
) -> Result:
    """The service's result on one workspace table (of which it reads ``fields``), every
    failing cell suppressed. This process holds workspace tables in memory up to
    ``hold_bytes`` in all."""
    params = dataclasses.replace(params, check_missing=False)  # gaps disclose nothing
    try:
        database = _database(table, memory_limit, hold_bytes, seconds)
    except duckdb.Error as error:
        raise RunError(
            _("The service failed to run (%(error)s).") % {"error": type(error).__name__},
            code="service_error",
            status=500,
        ) from None
    connection, types = database.connection.cursor(), database.types
    deadline = _DEADLINES.add(seconds, connection)
    try:
        measures = [measure_of(item, types) if item.is_aggregate else None for item in shape.items]
        pruned = pruning_filter(shape.where, tuple(types.items()))
        if unit:  # the table's own name of it; never rows counted in its place
            unit = {name.lower(): name for name in types}.get(unit.lower())
            if unit is None:
                raise NotDerived("the unit counted is not in the table")
            cells, description = _run_by_unit(
                connection, shape, types, fields, unit, pruned, bindings, params, max_rows
            )
        else:
            cells, description = _run_fused(
                database, connection, shape, measures, pruned, bindings, params, max_rows
            )
    except NotDerived:
        raise RunError(
            _("The service does not match the workspace's data."), code="service_error", status=500
        ) from None
    except duckdb.InterruptException:
        raise RunError(
            _("The service took longer than %(seconds)s seconds; narrow the parameters.")
            % {"seconds": seconds},
            code="timeout",
            status=503,
        ) from None
    except duckdb.Error as error:  # its message may quote data values: only the class
        raise RunError(
            _("The service failed to run (%(error)s).") % {"error": type(error).__name__},
            code="service_error",
            status=500,
        ) from None
    finally:
        _DEADLINES.cancel(deadline)
        connection.close()
    result = Result(
        columns=[item.name for item in shape.items],
        rows=[],
        suppressed=[],
        units=[],
        groups=[index for index, item in enumerate(shape.items) if not item.is_aggregate],
    )
    hidden_verdicts = (FAIL, REVIEW)
    converting = [
        (position, convert)
        for position, (_name, kind, *_rest) in enumerate(description[: len(shape.items)])
        if (convert := _converter(str(kind))) is not None
    ]
    measured = [
        (position, item.name, measure)
        for position, (item, measure) in enumerate(zip(shape.items, measures, strict=True))
        if measure is not None
    ]
    width = len(shape.items)
    for found_row, verdicts, units in cells:
        result.units.append(units)
        values, hidden = list(found_row[:width]), []
        for position, convert in converting:
            if values[position] is not None:
                values[position] = convert(values[position])
        for position, name, measure in measured:
            if verdicts[measure] in hidden_verdicts:
                values[position] = None
                hidden.append(name)
        result.rows.append(values)
        result.suppressed.append(hidden)
    return result
