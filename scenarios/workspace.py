"""Materializing a scenario's workspace: for each catalog in scope, a Parquet file with
only the authorized fields of the catalog's published version, masked.

Identifiers become keyed pseudonyms: HMAC-SHA256 with the scenario's own key, computed in
DuckDB SQL (vectorized, streamed), so one vessel has one pseudonym across the tables of a
scenario and unrelated pseudonyms in two scenarios. The key stays in the database; the
workspace folder never holds it.
"""

import hashlib
import json
import math
import os
import shutil
import uuid
from pathlib import Path

import duckdb

from core.duck import quote_ident, quote_literal, sha256_of
from operation.models import FieldType, MaskingRule

PSEUDONYM_HEX_CHARS = 20


def _pads(key_hex: str) -> tuple[str, str]:
    key = bytes.fromhex(key_hex)
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()


def pseudonym_sql(column_sql: str, key_hex: str) -> str:
    """HMAC-SHA256(key, text of the value), shortened; NULL stays NULL."""
    inner, outer = _pads(key_hex)
    text = f"encode(CAST({column_sql} AS VARCHAR))"
    digest = f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || {text})))"
    short = f"'P' || left({digest}, {PSEUDONYM_HEX_CHARS})"
    return f"CASE WHEN {column_sql} IS NULL THEN NULL ELSE {short} END"


def pseudonym_of(value, key_hex: str) -> str:
    """The same pseudonym computed in Python (for checks and tests)."""
    import hmac

    digest = hmac.new(bytes.fromhex(key_hex), str(value).encode(), hashlib.sha256).hexdigest()
    return "P" + digest[:PSEUDONYM_HEX_CHARS]


def generalized_sql(column_sql: str, data_type: str, rule: str) -> str:
    if data_type in (FieldType.TIMESTAMP, FieldType.DATE):
        part = {"hour": "hour", "day": "day", "month": "month", "year": "year"}[rule]
        cast = "TIMESTAMP" if data_type == FieldType.TIMESTAMP else "DATE"
        return f"CAST(date_trunc('{part}', {column_sql}) AS {cast})"
    kind, _sep, size = rule.partition(":")
    width = float(size)
    if kind == "grid":  # the cell's centre, so nearby points share it
        return f"round((floor({column_sql} / {width}) + 0.5) * {width}, 6)"
    lower = f"floor({column_sql} / {width}) * {width}"  # a band's lower bound
    return f"CAST({lower} AS BIGINT)" if data_type == FieldType.INTEGER else lower


def table_sql(source: Path, fields, key_hex: str) -> str:
    """The masked projection of one table. Pseudonyms are computed once per distinct value
    (HMAC costs two SHA-256 per value) and joined back, which is what keeps a 10-million-row
    table with a few thousand buoys or vessels cheap; the join's hash table holds only the
    distinct values."""
    # Not materialized: read twice (the distinct values' column, then every row) rather
    # than the whole table held in memory for its two readers.
    ctes = [f"src AS NOT MATERIALIZED (SELECT * FROM read_parquet({quote_literal(str(source))}))"]
    joins, parts = [], []
    for index, field in enumerate(fields):
        column = f"src.{quote_ident(field.column)}"
        alias = quote_ident(field.column)
        if field.masking == MaskingRule.PSEUDONYM:
            name = f"p{index}"
            ctes.append(
                f"{name} AS (SELECT v, {pseudonym_sql('v', key_hex)} AS p FROM "
                f"(SELECT DISTINCT {column} AS v FROM src WHERE {column} IS NOT NULL))"
            )
            joins.append(f"LEFT JOIN {name} ON {column} = {name}.v")
            parts.append(f"{name}.p AS {alias}")
        elif field.masking == MaskingRule.GENERALIZE:
            expression = generalized_sql(column, field.data_type, field.generalize)
            parts.append(f"{expression} AS {alias}")
        elif field.masking == MaskingRule.KEEP:
            parts.append(f"{column} AS {alias}")
        else:  # drop: never copied (a scope never holds one; this is the last guard)
            raise ValueError(f"{field.column} is dropped and cannot enter a workspace")
    return f"WITH {', '.join(ctes)} SELECT {', '.join(parts)} FROM src {' '.join(joins)}"


ROW_GROUP_ROWS = 122_880  # DuckDB's own
SORTED_ROW_GROUPS = 256  # at most, in a sorted table of many rows
SORTED_ROW_GROUP_ROWS = 16_384  # at least


def sorted_row_group_rows(rows: int) -> int:
    """Rows per row group of a table sorted for data services' filters: small, so that a
    call's range (a day, a week) reads few rows beyond its own, yet at most
    ``SORTED_ROW_GROUPS`` groups (their statistics are read by every call's planning); a
    multiple of DuckDB's vector of 2,048 rows, between 16,384 and DuckDB's 122,880."""
    per_group = math.ceil(rows / SORTED_ROW_GROUPS)
    size = math.ceil(per_group / 2048) * 2048
    return min(max(size, SORTED_ROW_GROUP_ROWS), ROW_GROUP_ROWS)


def materialize(
    tables: list[dict], *, key_hex: str, final_dir: Path, tmp_root: Path, memory_limit: str
) -> dict:
    """Write every table into a private folder, then rename it to ``final_dir``.

    ``tables``: ``[{"code", "source": Path, "fields": [CatalogField...], "sort_by": a column
    or None, ...source info}]``.
    Returns the manifest (also written as manifest.json beside the tables)."""
    work = tmp_root / f"workspace-{uuid.uuid4().hex}"
    work.mkdir(parents=True, mode=0o700)
    try:
        connection = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "threads": 2,
                "temp_directory": str(work / ".spill"),
                # Row order carries no meaning in a workspace; not keeping it saves memory.
                "preserve_insertion_order": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            }
        )
        connection.execute("SET enable_progress_bar = false").fetchall()
        manifest = {"tables": {}}
        try:
            for table in tables:
                target = work / f"{table['code']}.parquet"
                query = table_sql(table["source"], table["fields"], key_hex)
                size = ROW_GROUP_ROWS
                # A generalized field's rows in their source's order would give away the
                # order the generalization hides (which came first within an hour): they
                # are shuffled, within the sort's ties when there is one.
                shuffled = any(f.masking == MaskingRule.GENERALIZE for f in table["fields"])
                if table.get("sort_by"):  # row groups a filter on it prunes (their min/max)
                    query += f" ORDER BY {quote_ident(table['sort_by'])}"
                    query += ", random()" if shuffled else ""
                    source = quote_literal(str(table["source"]))
                    size = sorted_row_group_rows(
                        connection.execute(
                            f"SELECT count(*) FROM read_parquet({source})"
                        ).fetchall()[0][0]
                    )
                elif shuffled:
                    query += " ORDER BY random()"
                connection.execute(
                    f"COPY ({query}) TO {quote_literal(str(target))} "
                    f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {int(size)})"
                ).fetchall()
                rows = connection.execute(
                    f"SELECT count(*) FROM read_parquet({quote_literal(str(target))})"
                ).fetchall()[0][0]
                manifest["tables"][table["code"]] = {
                    "file": target.name,
                    "columns": [f.column for f in table["fields"]],
                    "masking": {f.column: f.masking for f in table["fields"]},
                    "rows": rows,
                    "sha256": sha256_of(target),
                    "catalog_version": table["catalog_version"],
                    "resource_version": table["resource_version"],
                    "source_sha256": table["source_sha256"],
                }
        finally:
            connection.close()
        shutil.rmtree(work / ".spill", ignore_errors=True)
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        for path in work.iterdir():
            os.chmod(path, 0o444)  # the workspace is read-only from now on
        work.chmod(0o755)  # readable by the sandbox's own user
        final_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(work, final_dir)
        return manifest
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
