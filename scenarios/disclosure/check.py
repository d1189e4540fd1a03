"""The automatic checks of one job output, run by the worker (trusted code, outside the
sandbox). Nothing the job wrote is taken as evidence.

For the output of a SQL aggregate query (``sqlshape.aggregate_shape``) the worker re-runs
the query's allow-listed, re-generated form over the real workspace file, derives each
cell's evidence from the same rows (``cells.evidence_sql``) and applies the cell rules
(``cells.evaluate``). The output file must hold exactly the re-run query's cells and
values (``FileMatchesQueryCheck``): the job could have written anything under that name.
Any other output gets ``QueryShapeCheck`` review. The file checks of ``files.check_file``
(type, size, row-level content, degrees of freedom) apply to every output.

The derivation runs in a DuckDB connection locked like the sandbox's (reads only the
workspace and the output's folder, no external access, configuration locked, memory and
threads bounded) and is interrupted after a time limit: a shape that times out gets
review.
"""

import shutil
import tempfile
import threading
from pathlib import Path

import duckdb

from operation.ingest import quote_ident, quote_literal
from scenarios.disclosure import files
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
from scenarios.disclosure.sqlshape import Shape, aggregate_shape

EVIDENCE_SECONDS = 120.0
MEMORY_LIMIT = "1GB"
THREADS = 2
MAX_CHECKED_BYTES = 512 * 1024 * 1024
SOURCE, FILE = '"workspace_table"', '"output_file"'
FILE_READERS = {
    ".csv": "read_csv({path}, all_varchar = true, header = true, allow_quoted_nulls = false)",
    ".tsv": "read_csv({path}, all_varchar = true, header = true, allow_quoted_nulls = false)",
    ".parquet": "read_parquet({path})",
    ".json": "read_json({path})",
}
# numeric values agree within this relative difference (parallel sums differ in the last bits)
TOLERANCE = 1e-9


class _NotDerived(Exception):
    """Evidence cannot be derived; the message is the reason (no data values)."""


def _skipped(reason: str) -> dict[str, dict]:
    return {rule: entry(NOT_APPLICABLE, reason) for rule in RULES}


class _Locked:
    """A DuckDB connection over one workspace table and the output file, locked down,
    with a deadline enforced by ``interrupt()``."""

    def __init__(self, source: Path, output: Path, *, seconds: float):
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
        self.file_error: str | None = None
        try:
            self.connection.execute(
                f"CREATE VIEW {SOURCE} AS SELECT * FROM read_parquet({quote_literal(source)})"  # noqa: S608
            )
            reader = FILE_READERS.get(output.suffix.lower())
            if reader is None:
                self.file_error = "the file is not a table the checks read (CSV, Parquet, JSON)"
            else:
                try:
                    self.connection.execute(
                        f"CREATE VIEW {FILE} AS SELECT * FROM "  # noqa: S608
                        + reader.format(path=quote_literal(output))
                    )
                except duckdb.Error as error:
                    self.file_error = f"the file cannot be read as a table ({type(error).__name__})"
            folders = {str(source.parent), str(output.parent)}
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


def _file_matches(db: _Locked, shape: Shape) -> tuple[dict, list[str] | None]:
    """The FileMatchesQueryCheck entry and, on a match, the file's column names."""
    if db.file_error:
        return entry(REVIEW, f"Not compared with the query: {db.file_error}."), None
    names = [row[0] for row in db.rows(f"DESCRIBE {FILE}")]
    items = shape.items
    if len(names) != len(items):
        return entry(
            REVIEW,
            f"The file has {len(names)} columns, the query {len(items)}: the file is not the "
            "query's result.",
        ), None
    for item, name in zip(items, names, strict=True):
        if item.name is not None and item.name.lower() != name.lower():
            return entry(
                REVIEW, "The file's column names differ from the query's: not its result."
            ), None
    keys = [index for index, item in enumerate(items) if not item.is_aggregate]
    values = [index for index, item in enumerate(items) if item.is_aggregate]
    as_text = ", ".join(
        f'CAST({quote_ident(name)} AS VARCHAR) AS "c{index}"' for index, name in enumerate(names)
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
    if in_file != in_query or distinct != in_file or different:
        return entry(
            REVIEW,
            f"The file does not hold the query's result: {in_file} rows in the file, "
            f"{in_query} cells in the query re-run on the workspace, {different} rows that "
            "differ. The job may have overwritten it.",
            rows=in_file,
        ), None
    return entry(
        PASS,
        f"The file holds exactly the {in_query} cells and values of the query re-run on "
        "the workspace.",
    ), names


def _derive(
    db: _Locked, shape: Shape, *, entity: str | None, params: Parameters
) -> tuple[dict, dict, list[str] | None]:
    """(evaluation, FileMatchesQueryCheck entry, file column names)."""
    types = {row[0]: row[1] for row in db.rows(f"DESCRIBE {SOURCE}")}
    folded = {name.lower(): name for name in types}
    if entity is not None and entity not in types:
        entity = None  # the identifier is not in this workspace: every row is a unit
    measures: dict[tuple[str, str | None], list[str]] = {}
    for item in shape.aggregates:
        column = item.column
        if column is not None:
            column = folded.get(column.lower())
            if column is None:
                raise _NotDerived("the query aggregates a column the table does not have")
        kind = KINDS[item.function]
        if kind == "sum" and not is_numeric(types[column]):
            raise _NotDerived("the query sums or averages a column that is not numeric")
        measures.setdefault((item.function if kind != "sum" else "sum", column), []).append(
            item.label
        )
    match, names = _file_matches(db, shape)
    keys = [item.sql for item in shape.groups]
    key_columns = [f"g{index}" for index in range(len(keys))]
    projected = [
        f"CAST({sql} AS VARCHAR) AS {quote_ident(name)}"
        for sql, name in zip(keys, key_columns, strict=True)
    ]
    rows_by_value: dict[str | None, list] = {}
    evaluations = []
    for (function, column), labels in measures.items():
        if column not in rows_by_value:
            parts = list(projected)
            if column is not None:
                parts.append(f'{quote_ident(column)} AS "v"')
            if entity is not None:
                parts.append(f'{quote_ident(entity)} AS "e"')
            relation = (
                f"SELECT {', '.join(parts) or '1 AS one'} "  # noqa: S608
                f"FROM ({shape.filtered_sql(SOURCE)}) AS filtered"
            )
            sql = evidence_sql(
                relation,
                key_columns,
                "v" if column is not None else None,
                "e" if entity is not None else None,
                max(params.dominance_n, 2),
                numeric=column is None or is_numeric(types[column]),
            )
            rows_by_value[column] = db.rows(sql)
        evaluations.append(
            evaluate(
                rows_by_value[column],
                agg=function,
                params=params,
                value=column,
                label=", ".join(dict.fromkeys(labels)),
            )
        )
    return combine(evaluations), match, names


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
) -> dict:
    """The check record of one output of a SQL job (``cells.make_record``).
    ``statement_sql`` is the statement that produced it (``sqlshape.output_statements``),
    ``identifiers`` the entity column of each table (None: every row is a unit) and
    ``tables`` the ``files.TableInfo`` of each table, for the file checks."""
    path = Path(path)
    workspace = {code: info["file"] for code, info in (manifest.get("tables") or {}).items()}
    shape = aggregate_shape(statement_sql, workspace) if statement_sql else None
    aggregate = None
    if shape is None:
        reason = (
            "No statement of the job is known to have produced this file alone"
            if not statement_sql
            else "The query is not of a shape whose evidence can be derived (a single "
            "SELECT of plain aggregates over one workspace table, filtered and grouped by "
            "columns): it needs a reviewer"
        )
        checks = _not_derived(reason=reason + ".")
    else:
        checks, aggregate = _checked_aggregate(
            path,
            shape,
            workspace_dir=Path(workspace_dir),
            manifest=manifest,
            entity=(identifiers or {}).get(shape.table),
            params=params,
            max_bytes=max_bytes,
            seconds=seconds,
        )
    checks.update(files.check_file(path, tables=tables or {}, params=params, max_bytes=max_bytes))
    return make_record(checks, params=params, aggregate=aggregate)


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
) -> tuple[dict, dict | None]:
    """The aggregate's checks and, when the file is the query's result, its cells."""
    source = (workspace_dir / manifest["tables"][shape.table]["file"]).resolve()
    if not source.is_relative_to(workspace_dir.resolve()) or not source.is_file():
        return _not_derived("the workspace table's file is missing"), None
    if path.is_symlink() or not path.is_file() or path.stat().st_size > max_bytes:
        return _not_derived("the output is not a regular file within the size limit"), None
    try:
        with _Locked(source, path.resolve(), seconds=seconds) as db:
            evaluation, match, names = _derive(db, shape, entity=entity, params=params)
    except _NotDerived as error:
        return _not_derived(str(error)), None
    except duckdb.InterruptException:
        return _not_derived(f"deriving it took longer than {seconds:g} seconds"), None
    except duckdb.Error as error:
        why = f"the query does not run on the workspace ({type(error).__name__})"
        return _not_derived(why), None
    checks = {
        "QueryShapeCheck": entry(
            PASS,
            f"An aggregate of {shape.table}: evidence derived by the worker from the same "
            "rows, filters and grouping over the workspace.",
        ),
        **evaluation["checks"],
        "FileMatchesQueryCheck": match,
    }
    if names is None:
        return checks, None
    positions = [index for index, item in enumerate(shape.items) if not item.is_aggregate]
    values = sorted({item.column for item in shape.aggregates if item.column is not None})
    return checks, {
        "table": shape.table,
        "group_by": [names[index] for index in positions],
        "filters": shape.where,
        "value": values[0] if len(values) == 1 else None,
        "values": values,
        "agg": [item.label for item in shape.aggregates],
        "entity": entity,
        "cells": evaluation["cells"],
    }


def _not_derived(why: str = "", *, reason: str = "") -> dict:
    return {
        "QueryShapeCheck": entry(
            REVIEW, reason or f"The evidence could not be derived: {why}; it needs a reviewer."
        ),
        **_skipped("Not checked: no evidence could be derived for this output."),
        "FileMatchesQueryCheck": entry(NOT_APPLICABLE, "Not compared: no evidence."),
    }


def check_python_output(
    path: Path,
    *,
    tables: dict | None = None,
    params: Parameters,
    max_bytes: int = MAX_CHECKED_BYTES,
) -> dict:
    """File checks only. A Python job's output (or a log) never passes on its own: the
    best it gets is review."""
    checks = {
        "QueryShapeCheck": entry(
            REVIEW,
            "No query to derive evidence from (a Python job's output or a log): Python "
            "outputs never pass on their own.",
        )
    }
    checks.update(files.check_file(path, tables=tables or {}, params=params, max_bytes=max_bytes))
    return make_record(checks, params=params, aggregate=None)
