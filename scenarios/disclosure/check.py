"""The automatic checks of one job output, run by the worker (trusted code, outside the
sandbox). Nothing the job wrote is taken as evidence.

For the output of a SQL aggregate query (``sqlshape.aggregate_shape``) the worker re-runs
the query's allow-listed, re-generated form over the real workspace file, derives each
cell's evidence from the same rows (``cells.evidence_sql``) and applies the cell rules
(``cells.evaluate``). The output file must hold exactly the re-run query's cells and
values (``FileMatchesQueryCheck``): the job could have written anything under that name.
The file is read strictly (CSV: fixed delimiter and quote, no comment lines, no sniffing,
every record the same width, every value as text; Parquet: not at all when its metadata
is too large) and the data records Python's csv module counts must be the query's cells.
When it matches, the record's ``trusted_csv`` is the re-run query's result written by
the worker with DuckDB's CSV writer (the runner's: same header, same cell text, rows
ordered by all columns), up to ``TRUSTED_CSV_MAX_BYTES``: the bytes to release instead of
the job's, which could still carry data in their formatting. Any other output gets
``QueryShapeCheck`` review. The file checks of ``files.check_file`` (type, size,
row-level content, degrees of freedom) apply to every output.

The derivation runs in a DuckDB connection locked like the sandbox's (reads only the
workspace and the output's folder, no external access, configuration locked, memory and
threads bounded) and is interrupted after a time limit: a shape that times out gets
review. All of one output's checks run in a child process bounded in memory, CPU and
wall-clock time (``bounded.run_bounded``, ``LIMITS``): a file that makes a parser
exceed them gets review, and the worker is unharmed.
"""

import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.duck import quote_ident, quote_literal
from scenarios.disclosure import files
from scenarios.disclosure.bounded import BoundedFailure, run_bounded
from scenarios.disclosure.cells import (
    KINDS,
    RULES,
    combine,
    entry,
    evaluate,
    evidence_sql,
    is_numeric,
    make_record,
)
from scenarios.disclosure.params import NOT_APPLICABLE, PASS, REVIEW, Parameters
from scenarios.disclosure.reasons import say
from scenarios.disclosure.sqlshape import Shape, aggregate_shape

EVIDENCE_SECONDS = 120.0
MEMORY_LIMIT = "1GB"
THREADS = 2
MAX_CHECKED_BYTES = 512 * 1024 * 1024
SOURCE, FILE = '"workspace_table"', '"output_file"'
DELIMITERS = {".csv": ",", ".tsv": "\t"}
TRUSTED_CSV_MAX_BYTES = 50 * 1024 * 1024
# numeric values agree within this relative difference (parallel sums differ in the last bits)
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Limits:
    """Of the child process that runs one output's checks (``bounded.run_bounded``)."""

    memory_bytes: int = 2 << 30  # more than the worker's own address space
    cpu_seconds: int = 240  # all threads: DuckDB uses THREADS for EVIDENCE_SECONDS
    wall_seconds: float = 180.0


LIMITS = Limits()


@dataclass
class _Layout:
    """The output file as the comparison reads it."""

    reader: str | None = None  # DuckDB table function reading it strictly
    names: list[str] | None = None  # its column names (None: as DuckDB describes it)
    columns: list[str] | None = None  # the reader's column names (None: the same)
    rows: int | None = None  # its data records, counted outside DuckDB
    error: str | None = None  # why it is not compared


def _layout(output: Path) -> _Layout:
    suffix = output.suffix.lower()
    path = quote_literal(output)
    if suffix in DELIMITERS:
        delimiter = DELIMITERS[suffix]
        header, rows = None, 0
        try:
            for record in files.delimited_records(output, delimiter):
                if header is None:
                    header = record
                    if not header:
                        return _Layout(error="the file has no header")
                elif len(record) != len(header):  # a blank line too: the writer writes none
                    return _Layout(error="the file's records are not all as wide as its header")
                else:
                    rows += 1
        except files.Unreadable as error:
            return _Layout(error=str(error).rstrip(".").lower())
        if header is None:
            return _Layout(error="the file is empty")
        columns = [f"c{index}" for index in range(len(header))]
        types = ", ".join(f"{quote_literal(name)}: 'VARCHAR'" for name in columns)
        reader = (
            f"read_csv({path}, auto_detect = false, header = true, "
            f"delim = {quote_literal(delimiter)}, quote = '\"', escape = '\"', comment = '', "
            f"columns = {{{types}}}, strict_mode = true, null_padding = false, "
            "ignore_errors = false, allow_quoted_nulls = false, parallel = false)"
        )
        return _Layout(reader=reader, names=header, columns=columns, rows=rows)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        refusal = files.parquet_refusal(output)
        if refusal is not None:
            return _Layout(error=refusal.rstrip(".").lower())
        try:
            rows = pq.read_metadata(output).num_rows
        except Exception:  # an untrusted file may break the reader in any way
            return _Layout(error="the file cannot be read as Parquet")
        return _Layout(reader=f"read_parquet({path})", rows=rows)
    return _Layout(error="the file is not a table the checks compare (CSV, TSV, Parquet)")


class NotDerived(Exception):
    """Evidence cannot be derived; the message is the reason (no data values)."""


def _skipped(reason: str, code: str) -> dict[str, dict]:
    return {rule: entry(NOT_APPLICABLE, reason, said=say(code)) for rule in RULES}


class _Locked:
    """A DuckDB connection over one workspace table and the output file, locked down,
    with a deadline enforced by ``interrupt()``."""

    def __init__(self, source: Path, output: Path, *, seconds: float):
        self.layout = _layout(output)  # read in Python first, before anything is held
        self._tmp = tempfile.mkdtemp(prefix="sdc-")
        self.connection = duckdb.connect(
            config={
                "memory_limit": MEMORY_LIMIT,
                "threads": THREADS,
                "temp_directory": self._tmp,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            }
        )
        self.timer = threading.Timer(seconds, self.connection.interrupt)
        self.file_error: str | None = self.layout.error
        try:
            self.connection.execute(
                f"CREATE VIEW {SOURCE} AS SELECT * FROM read_parquet({quote_literal(source)})"  # noqa: S608
            )
            if self.file_error is None:
                try:
                    self.connection.execute(
                        f"CREATE VIEW {FILE} AS SELECT * FROM {self.layout.reader}"  # noqa: S608
                    )
                except duckdb.Error as error:
                    self.file_error = f"the file cannot be read as a table ({type(error).__name__})"
            # the worker's own folder, for the CSV it renders
            folders = {str(source.parent), str(output.parent), self._tmp}
            allowed = ", ".join(quote_literal(folder.rstrip("/") + "/") for folder in folders)
            for statement in (
                "SET enable_progress_bar = false",
                f"SET allowed_directories = [{allowed}]",
                "SET enable_external_access = false",
                "SET lock_configuration = true",
            ):
                self.connection.execute(statement)
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.timer.cancel()
        self.connection.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def rows(self, sql: str) -> list[tuple]:
        return self.connection.execute(sql).fetchall()


def _same_name(name: str, wanted: str, qualifiers: tuple[str, ...]) -> bool:
    """A column of the file is named as the query names it: in any case, and where the
    query names it by its expression, with or without the table's qualifiers."""
    name, wanted = name.lower(), wanted.lower()
    if name == wanted:
        return True
    for qualifier in qualifiers:
        for prefix in (f"{qualifier}.", f'"{qualifier}".'):
            name = name.replace(prefix, "")
    return name == wanted


def _file_matches(db: _Locked, shape: Shape) -> tuple[dict, list[str] | None]:
    """The FileMatchesQueryCheck entry and, on a match, the query's column names (the
    worker's: the file's own could carry data)."""
    if db.file_error:
        return entry(
            REVIEW,
            f"Not compared with the query: {db.file_error}.",
            said=say("compare_unreadable"),
        ), None
    # the query's side first: its errors are the query's
    wanted = [row[0] for row in db.rows(f"DESCRIBE {shape.result_sql(SOURCE)}")]
    in_query = db.rows(f"SELECT count(*) FROM ({shape.query_sql(SOURCE)})")[0][0]  # noqa: S608
    try:
        return _compared(db, shape, wanted, in_query)
    except duckdb.InterruptException:
        raise
    except duckdb.Error as error:  # the strict reader refuses the file
        return entry(
            REVIEW,
            f"Not compared with the query: the file cannot be read strictly as a table "
            f"({type(error).__name__}).",
            said=say("compare_unreadable"),
        ), None


def _compared(
    db: _Locked, shape: Shape, wanted: list[str], in_query: int
) -> tuple[dict, list[str] | None]:
    layout = db.layout
    described = [row[0] for row in db.rows(f"DESCRIBE {FILE}")]
    names = layout.names if layout.names is not None else described
    columns = layout.columns if layout.columns is not None else described
    items = shape.items
    if len(names) != len(items) or len(columns) != len(items):
        return entry(
            REVIEW,
            f"The file has {len(names)} columns, the query {len(items)}: the file is not the "
            "query's result.",
            said=say("compare_columns", file=len(names), query=len(items)),
        ), None
    if not all(
        _same_name(name, want, shape.qualifiers) for name, want in zip(names, wanted, strict=True)
    ):
        return entry(
            REVIEW,
            "The file's column names differ from the query's: not its result (name each "
            "column of the query with AS).",
            said=say("compare_names"),
        ), None
    if layout.rows != in_query:
        return entry(
            REVIEW,
            f"The file does not hold the query's result: {layout.rows} data records in the "
            f"file, {in_query} cells in the query re-run on the workspace. The job may have "
            "overwritten it.",
            said=say("compare_records", rows=layout.rows, cells=in_query),
            rows=layout.rows,
        ), None
    keys = [index for index, item in enumerate(items) if not item.is_aggregate]
    values = [index for index, item in enumerate(items) if item.is_aggregate]
    as_text = ", ".join(
        f'CAST({quote_ident(name)} AS VARCHAR) AS "c{index}"' for index, name in enumerate(columns)
    )
    query_text = ", ".join(f'CAST("c{index}" AS VARCHAR) AS "c{index}"' for index in keys + values)
    joined = " AND ".join(f'f."c{i}" IS NOT DISTINCT FROM q."c{i}"' for i in keys) or "TRUE"
    agree = []
    for i in values:
        f_number, q_number = f'TRY_CAST(f."c{i}" AS DOUBLE)', f'TRY_CAST(q."c{i}" AS DOUBLE)'
        agree.append(
            f'coalesce(f."c{i}" IS NOT DISTINCT FROM q."c{i}" OR abs({f_number} - {q_number}) '
            f"<= {TOLERANCE} * greatest(abs({q_number}), 1.0), false)"
        )
    differ = " OR ".join(f"NOT {a}" for a in agree) or "false"
    distinct_keys = ", ".join(f'"c{i}"' for i in keys) or "1"
    sql = (
        f"WITH f AS (SELECT {as_text}, TRUE AS present FROM {FILE}), "  # noqa: S608
        f"q AS (SELECT {query_text}, TRUE AS present FROM ({shape.query_sql(SOURCE)})) "
        "SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM q), "
        f"(SELECT count(*) FROM (SELECT DISTINCT {distinct_keys} FROM f)), "
        f"(SELECT count(*) FROM f FULL JOIN q ON {joined} "
        f"WHERE f.present IS NULL OR q.present IS NULL OR {differ})"
    )
    in_file, in_query, distinct, different = db.rows(sql)[0]
    if in_file != in_query or in_file != layout.rows or distinct != in_file or different:
        return entry(
            REVIEW,
            f"The file does not hold the query's result: {in_file} rows in the file, "
            f"{in_query} cells in the query re-run on the workspace, {different} rows that "
            "differ. The job may have overwritten it.",
            said=say("compare_rows", rows=in_file, cells=in_query, different=different),
            rows=in_file,
        ), None
    return entry(
        PASS,
        f"The file holds exactly the {in_query} cells and values of the query re-run on "
        "the workspace.",
        said=say("compare_pass", cells=in_query),
    ), wanted


def _trusted_csv(db: _Locked, shape: Shape) -> str | None:
    """The query's result as DuckDB's CSV writer writes it (as the runner does), rows in
    order of all columns; None when larger than TRUSTED_CSV_MAX_BYTES."""
    target = Path(db._tmp) / "trusted.csv"
    db.connection.sql(
        f"SELECT * FROM ({shape.result_sql(SOURCE)}) AS result ORDER BY ALL"  # noqa: S608
    ).write_csv(str(target))
    if target.stat().st_size > TRUSTED_CSV_MAX_BYTES:
        return None
    return target.read_text(encoding="utf-8")


def measure_of(item, types: dict[str, str]) -> tuple[str, str | None]:
    """The measure an aggregate item needs evidence for: (count, sum (sums and means),
    min, max or median; the table's own name of its column, None for count(*))."""
    column = item.column
    if column is not None:
        column = {name.lower(): name for name in types}.get(column.lower())
        if column is None:
            raise NotDerived("the query aggregates a column the table does not have")
    kind = KINDS[item.function]
    if kind == "sum" and not is_numeric(types[column]):
        raise NotDerived("the query sums or averages a column that is not numeric")
    return (item.function if kind != "sum" else "sum", column)


def measure_evaluations(
    rows, shape: Shape, source: str, *, types: dict[str, str], entity: str | None, params
) -> dict[tuple[str, str | None], dict]:
    """Per measure of the query's aggregates (``measure_of``), its cell-by-cell
    evaluation on evidence derived from ``source`` (a relation name) by ``rows`` (runs
    SQL, returns rows). Cells are keyed by the group values cast to text once grouped
    (grouped as the query groups them: -0.0 and 0.0 are one cell)."""
    if entity is not None and entity not in types:
        entity = None  # the identifier is not in this workspace: every row is a unit
    measures: dict[tuple[str, str | None], list[str]] = {}
    for item in shape.aggregates:
        measures.setdefault(measure_of(item, types), []).append(item.label)
    keys = [item.sql for item in shape.groups]
    key_columns = [f"g{index}" for index in range(len(keys))]
    projected = [
        f"{sql} AS {quote_ident(name)}" for sql, name in zip(keys, key_columns, strict=True)
    ]
    rows_by_value: dict[str | None, list] = {}
    evaluations = {}
    for (function, column), labels in measures.items():
        if column not in rows_by_value:
            parts = list(projected)
            if column is not None:
                parts.append(f'{quote_ident(column)} AS "v"')
            if entity is not None:
                parts.append(f'{quote_ident(entity)} AS "e"')
            relation = (
                f"SELECT {', '.join(parts) or '1 AS one'} "  # noqa: S608
                f"FROM ({shape.filtered_sql(source)}) AS filtered"
            )
            sql = evidence_sql(
                relation,
                key_columns,
                "v" if column is not None else None,
                "e" if entity is not None else None,
                max(params.dominance_n, 2),
                numeric=column is None or is_numeric(types[column]),
                text_keys=True,
            )
            rows_by_value[column] = rows(sql)
        evaluations[function, column] = evaluate(
            rows_by_value[column],
            agg=function,
            params=params,
            value=column,
            label=", ".join(dict.fromkeys(labels)),
        )
    return evaluations


def _derive(
    db: _Locked, shape: Shape, *, entity: str | None, params: Parameters
) -> tuple[dict, dict, list[str] | None]:
    """(evaluation, FileMatchesQueryCheck entry, file column names)."""
    types = {row[0]: row[1] for row in db.rows(f"DESCRIBE {SOURCE}")}
    for item in shape.aggregates:
        measure_of(item, types)  # the query's own errors before the file's
    match, names = _file_matches(db, shape)
    evaluations = measure_evaluations(
        db.rows, shape, SOURCE, types=types, entity=entity, params=params
    )
    return combine(list(evaluations.values())), match, names


def check_sql_output(
    path: Path,
    *,
    statement_sql: str | None,
    workspace_dir: Path,
    manifest: dict,
    identifiers: dict[str, str | None],
    params: Parameters,
    tables: dict | None = None,
    max_bytes: int = MAX_CHECKED_BYTES,
    seconds: float = EVIDENCE_SECONDS,
    limits: Limits | None = LIMITS,
) -> dict:
    """The check record of one output of a SQL job (``cells.make_record``, plus
    ``trusted_csv``: the CSV text to release instead of the file, or None).
    ``statement_sql`` is the statement that produced it (``sqlshape.output_statements``),
    ``identifiers`` the entity column of each table (None: every row is a unit) and
    ``tables`` the ``files.TableInfo`` of each table, for the file checks. The checks run
    in a child process within ``limits`` (None: in this process); beyond them the record
    is review."""
    return _bounded(
        _check_sql_output,
        Path(path),
        statement_sql=statement_sql,
        workspace_dir=Path(workspace_dir),
        manifest=manifest,
        identifiers=identifiers,
        params=params,
        tables=tables or {},
        max_bytes=max_bytes,
        seconds=seconds,
        limits=limits,
    )


def check_python_output(
    path: Path,
    *,
    tables: dict | None = None,
    params: Parameters,
    max_bytes: int = MAX_CHECKED_BYTES,
    limits: Limits | None = LIMITS,
) -> dict:
    """File checks only. A Python job's output (or a log) never passes on its own: the
    best it gets is review. Run within ``limits`` as ``check_sql_output``."""
    return _bounded(
        _check_python_output,
        Path(path),
        tables=tables or {},
        params=params,
        max_bytes=max_bytes,
        limits=limits,
    )


def _bounded(function, path: Path, *, limits: Limits | None, **options) -> dict:
    if limits is None:
        return function(path, **options)
    files.prepare(options["tables"])  # built once, here; each child has it
    try:
        return run_bounded(
            function,
            path,
            memory_bytes=limits.memory_bytes,
            cpu_seconds=limits.cpu_seconds,
            wall_seconds=limits.wall_seconds,
            **options,
        )
    except BoundedFailure as failure:
        return _unfinished(failure, params=options["params"])


def _unfinished(failure: BoundedFailure, *, params: Parameters) -> dict:
    """The record of an output whose checks did not finish within their limits."""
    why = f"The checks of this output did not finish: {failure}"
    checks = {
        "QueryShapeCheck": entry(
            REVIEW,
            f"{why} It needs a reviewer.",
            said=say("unfinished", limit=failure.kind),
            limit=failure.kind,
        ),
        **_skipped("Not checked: the checks did not finish.", "unfinished_skipped"),
        "FileMatchesQueryCheck": entry(
            NOT_APPLICABLE,
            "Not compared: the checks did not finish.",
            said=say("unfinished_skipped"),
        ),
        "BlockedTypeCheck": entry(
            NOT_APPLICABLE,
            "Not checked: the checks did not finish.",
            said=say("unfinished_skipped"),
        ),
        "SizeCheck": entry(
            NOT_APPLICABLE,
            "Not checked: the checks did not finish.",
            said=say("unfinished_skipped"),
        ),
        "RowLevelCheck": entry(
            REVIEW,
            f"{why} The file may be too large to scan.",
            said=say("unfinished_scan", limit=failure.kind),
        ),
        "dof": entry(
            NOT_APPLICABLE,
            "Not checked: the checks did not finish.",
            said=say("unfinished_skipped"),
        ),
    }
    return {**make_record(checks, params=params, aggregate=None), "trusted_csv": None}


def _check_sql_output(
    path: Path,
    *,
    statement_sql: str | None,
    workspace_dir: Path,
    manifest: dict,
    identifiers: dict[str, str | None],
    params: Parameters,
    tables: dict,
    max_bytes: int,
    seconds: float,
) -> dict:
    workspace = {code: info["file"] for code, info in (manifest.get("tables") or {}).items()}
    shape = aggregate_shape(statement_sql, workspace) if statement_sql else None
    aggregate = trusted = None
    if shape is None:
        reason = (
            "No statement of the job is known to have produced this file alone"
            if not statement_sql
            else "The query is not of a shape whose evidence can be derived (a single "
            "SELECT of plain aggregates over one workspace table, filtered and grouped by "
            "columns): it needs a reviewer"
        )
        checks = _not_derived(
            reason=reason + ".", code="no_statement" if not statement_sql else "shape_unknown"
        )
    else:
        checks, aggregate, trusted = _checked_aggregate(
            path,
            shape,
            workspace_dir=workspace_dir,
            manifest=manifest,
            entity=(identifiers or {}).get(shape.table),
            params=params,
            max_bytes=max_bytes,
            seconds=seconds,
        )
    checks.update(files.check_file(path, tables=tables, params=params, max_bytes=max_bytes))
    return {**make_record(checks, params=params, aggregate=aggregate), "trusted_csv": trusted}


def _checked_aggregate(
    path: Path,
    shape: Shape,
    *,
    workspace_dir: Path,
    manifest: dict,
    entity: str | None,
    params: Parameters,
    max_bytes: int,
    seconds: float,
) -> tuple[dict, dict | None, str | None]:
    """The aggregate's checks and, when the file is the query's result, its cells and the
    worker's CSV of it."""
    source = (workspace_dir / manifest["tables"][shape.table]["file"]).resolve()
    if not source.is_relative_to(workspace_dir.resolve()) or not source.is_file():
        return _not_derived("the workspace table's file is missing", code="no_table"), None, None
    if path.is_symlink() or not path.is_file() or path.stat().st_size > max_bytes:
        why = "the output is not a regular file within the size limit"
        return _not_derived(why, code="not_regular"), None, None
    trusted = None
    try:
        with _Locked(source, path.resolve(), seconds=seconds) as db:
            evaluation, match, names = _derive(db, shape, entity=entity, params=params)
            if names is not None:
                trusted = _trusted_csv(db, shape)
    except NotDerived as error:
        return _not_derived(str(error), code="input_error"), None, None
    except duckdb.InterruptException:
        why = f"deriving it took longer than {seconds:g} seconds"
        return _not_derived(why, code="timeout", seconds=seconds), None, None
    except duckdb.Error as error:
        why = f"the query does not run on the workspace ({type(error).__name__})"
        return _not_derived(why, code="query_error"), None, None
    checks = {
        "QueryShapeCheck": entry(
            PASS,
            f"An aggregate of {shape.table}: evidence derived by the worker from the same "
            "rows, filters and grouping over the workspace.",
            said=say("shape_pass", table=shape.table),
        ),
        **evaluation["checks"],
        "FileMatchesQueryCheck": match,
    }
    if names is None:
        return checks, None, None
    positions = [index for index, item in enumerate(shape.items) if not item.is_aggregate]
    values = sorted({item.column for item in shape.aggregates if item.column is not None})
    return (
        checks,
        {
            "table": shape.table,
            "group_by": [names[index] for index in positions],
            "filters": shape.where,
            "value": values[0] if len(values) == 1 else None,
            "values": values,
            "agg": [item.label for item in shape.aggregates],
            "entity": entity,
            "cells": evaluation["cells"],
        },
        trusted,
    )


def _not_derived(why: str = "", *, code: str, reason: str = "", **params) -> dict:
    """The entries of an output whose evidence cannot be derived; ``code`` says why."""
    return {
        "QueryShapeCheck": entry(
            REVIEW,
            reason or f"The evidence could not be derived: {why}; it needs a reviewer.",
            said=say("not_derived", why=code, **params),
        ),
        **_skipped("Not checked: no evidence could be derived for this output.", "no_evidence"),
        "FileMatchesQueryCheck": entry(
            NOT_APPLICABLE, "Not compared: no evidence.", said=say("no_evidence")
        ),
    }


def _check_python_output(path: Path, *, tables: dict, params: Parameters, max_bytes: int) -> dict:
    checks = {
        "QueryShapeCheck": entry(
            REVIEW,
            "No query to derive evidence from (a Python job's output or a log): Python "
            "outputs never pass on their own.",
            said=say("python_output"),
        )
    }
    checks.update(files.check_file(path, tables=tables, params=params, max_bytes=max_bytes))
    return {**make_record(checks, params=params, aggregate=None), "trusted_csv": None}
