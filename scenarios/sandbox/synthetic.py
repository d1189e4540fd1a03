"""Synthetic workspaces for dry runs (and for the copies developers pull).

A dry run executes a developer's job against a made-up copy of the scenario's workspace:
the same files, columns, column types and masking as the real one, but every value is
made up by ``operation.synthetic`` from what the catalog preview shows anyone
(``field_statistics``), so no real value can appear and filters, groupings and joins that
work on the real data find rows. Pseudonyms look like real ones and come from a pool per
column name, shared by the tables of the workspace, so GROUP BY and joins give non-trivial
results. Generalized columns go through the same SQL as the real workspace
(``generalized_sql``).
"""

import json
import os
import random
import shutil
import uuid
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from core.duck import quote_ident, sha256_of
from core.storage import data_path
from operation.models import CatalogVersion, FieldType, MaskingRule
from operation.preview import field_statistics
from operation.synthetic import IdentifierPools, SyntheticTable
from scenarios.workspace import PSEUDONYM_HEX_CHARS, generalized_sql

# The Arrow type of a field when the real file cannot be read (its workspace destroyed).
ARROW_TYPES = {
    FieldType.STRING: pa.string(),
    FieldType.INTEGER: pa.int64(),
    FieldType.NUMBER: pa.float64(),
    FieldType.BOOLEAN: pa.bool_(),
    FieldType.DATE: pa.date32(),
    FieldType.TIMESTAMP: pa.timestamp("us"),
    FieldType.TIME: pa.time64("us"),
}


def _fields(code: str, entry: dict) -> tuple[list[SimpleNamespace], int]:
    """The fields of the table as frozen in the catalog version the real table was built
    from, each with its displayable statistics (``shown``), and the real table's row
    count."""
    version = CatalogVersion.objects.select_related("resource_version").get(
        catalog__code=code, number=entry["catalog_version"]
    )
    by_column = {f["column"]: f for f in version.snapshot["fields"]}
    statistics = version.resource_version.statistics
    threshold = settings.CATALOG_PREVIEW_MIN_COUNT
    fields = []
    for column in entry["columns"]:
        frozen = by_column[column]
        field = SimpleNamespace(
            column=column,
            data_type=frozen["data_type"],
            level=frozen["level"],
            is_identifier=frozen["is_identifier"],
            masking=entry.get("masking", {}).get(column, frozen["masking"]),
            generalize=frozen["generalize"],
        )
        field.shown = field_statistics(field, statistics.get(column, {}), threshold)
        fields.append(field)
    return fields, version.resource_version.row_count


def _natural_type(field) -> pa.DataType:
    """The Arrow type of the values made up for a field, before generalization."""
    if field.masking == MaskingRule.PSEUDONYM:
        return pa.string()
    return ARROW_TYPES[field.data_type]


def _fallback_type(field) -> pa.DataType:
    """The type the real workspace writes for a field (see ``generalized_sql``)."""
    numeric = field.data_type in (FieldType.INTEGER, FieldType.NUMBER)
    if field.masking == MaskingRule.GENERALIZE and numeric:  # a band of integers stays BIGINT
        band = field.generalize.startswith("band")
        return pa.int64() if field.data_type == FieldType.INTEGER and band else pa.float64()
    return _natural_type(field)


def _schema(real_file: Path, fields) -> pa.Schema:
    """The real file's column types (reading a schema reads no value), else the mapping."""
    if real_file.is_file():
        real = pq.read_schema(real_file)
        return pa.schema([real.field(f.column).remove_metadata() for f in fields])
    return pa.schema([pa.field(f.column, _fallback_type(f)) for f in fields])


def _pseudonym(_field, rng: random.Random) -> str:
    return f"P{rng.getrandbits(4 * PSEUDONYM_HEX_CHARS):0{PSEUDONYM_HEX_CHARS}x}"


def _pseudonyms(field):
    """Pseudonymized columns hold made-up pseudonyms, whatever their type."""
    return _pseudonym if field.masking == MaskingRule.PSEUDONYM else None


def _generalize(connection, batch: pa.Table, fields) -> pa.Table:
    """The same generalization as the real workspace, in DuckDB over the made-up values."""
    if not any(f.masking == MaskingRule.GENERALIZE for f in fields):
        return batch
    parts = []
    for field in fields:
        column = quote_ident(field.column)
        if field.masking == MaskingRule.GENERALIZE:
            expression = generalized_sql(column, field.data_type, field.generalize)
            parts.append(f"{expression} AS {column}")
        else:
            parts.append(column)
    connection.register("batch", batch)
    try:
        query = f"SELECT {', '.join(parts)} FROM batch"  # noqa: S608 (quoted identifiers)
        return connection.sql(query).to_arrow_table()
    finally:
        connection.unregister("batch")


def _write_table(connection, path: Path, table: SyntheticTable, schema, rows: int) -> None:
    fields = table.fields
    types = [_natural_type(f) for f in fields]
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for values in table.batches(rows):
            batch = pa.table(
                [pa.array(values[f.column], type=t) for f, t in zip(fields, types, strict=True)],
                names=[f.column for f in fields],
            )
            batch = _generalize(connection, batch, fields)
            columns = [
                batch.column(i).cast(schema.field(i).type, safe=False) for i in range(len(fields))
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))


def _replace(work: Path, target_dir: Path) -> None:
    """Put the finished folder in place; an earlier build there is moved aside first."""
    old = None
    if target_dir.exists():
        old = target_dir.parent / f".synthetic-old-{uuid.uuid4().hex}"
        os.replace(target_dir, old)
    os.replace(work, target_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_synthetic(workspace, target_dir: Path, *, rows: int) -> dict:
    """Write a synthetic workspace beside nothing real: for each table of
    workspace.manifest, a Parquet file with the same file name, the same columns in the
    same order and the same column types as the real file, holding ``rows`` made-up rows;
    plus manifest.json (same shape as the real manifest, with "synthetic": true and the
    row counts). Deterministic per (scenario, workspace version). Returns the manifest."""
    if rows < 0:
        raise ValueError("rows cannot be negative")
    target_dir = Path(target_dir)
    seed = f"{workspace.scenario_id}:{workspace.version}"
    pools = IdentifierPools(seed, make_id=_pseudonyms)
    real_dir = data_path(workspace.path)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    work = target_dir.parent / f".synthetic-{uuid.uuid4().hex}"
    work.mkdir(mode=0o700)
    try:
        connection = duckdb.connect(
            config={
                "memory_limit": "256MB",
                "threads": 1,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            }
        )
        manifest = {"synthetic": True, "tables": {}}
        try:
            for code, entry in sorted(workspace.manifest.get("tables", {}).items()):
                fields, table_rows = _fields(code, entry)
                table = SyntheticTable(
                    fields,
                    {f.column: f.shown for f in fields},
                    table_rows=table_rows,
                    seed=f"{seed}:{code}",
                    pools=pools,
                )
                schema = _schema(real_dir / entry["file"], fields)
                target = work / entry["file"]
                _write_table(connection, target, table, schema, rows)
                manifest["tables"][code] = {
                    **entry,
                    "columns": [f.column for f in fields],
                    "masking": {f.column: f.masking for f in fields},
                    "rows": rows,
                    "sha256": sha256_of(target),
                }
        finally:
            connection.close()
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        for path in work.iterdir():
            os.chmod(path, 0o444)
        work.chmod(0o755)  # readable by the sandbox's own user
        _replace(work, target_dir)
        return manifest
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
