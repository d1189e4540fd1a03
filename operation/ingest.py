"""Ingestion of provider files (CSV, JSON lines, Parquet) into managed Parquet.

Pure file work, no Django models: DuckDB streams the source into a zstd Parquet file
under a temporary name, with bounded memory, computing the statistics in the same pass,
and the caller renames it into place only when everything succeeded. GB18030/GBK-encoded
CSV is transcoded to UTF-8 first (also streamed); gzip-compressed CSV and JSON lines are
decompressed with a cap, so a compression bomb is refused instead of filling the disk.
"""

import codecs
import csv
import gzip
import os
import re
import shutil
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from core.duck import quote_ident, quote_literal, sha256_of

CHUNK = 1 << 20
FORMATS = ("csv", "jsonl", "parquet")
ENCODINGS = ("auto", "utf-8", "gb18030", "gbk")

# DuckDB type (prefix) -> the catalog's field type
TYPE_MAP = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "TINYINT": "integer",
    "SMALLINT": "integer",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "HUGEINT": "integer",
    "UTINYINT": "integer",
    "USMALLINT": "integer",
    "UINTEGER": "integer",
    "UBIGINT": "integer",
    "FLOAT": "number",
    "DOUBLE": "number",
    "DECIMAL": "number",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIME": "time",
}
# The catalog's field type -> the DuckDB type used when an operator overrides inference
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "time": "TIME",
}
TOP_VALUES_MAX = 20
ROW_GROUP_ROWS = 122_880  # DuckDB's vector size times 60, its own Parquet default
WRITES_IN_FLIGHT = 2
SAMPLE_GROUPS = 16


class IngestError(Exception):
    """The file cannot be ingested; the message says why, for the operator."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_uncompressed_bytes: int
    max_compression_ratio: int = 200
    memory_limit: str = "1GB"
    threads: int = 2


@dataclass
class IngestResult:
    path: Path
    row_count: int
    bytes: int
    sha256: str
    schema: list[dict] = field(default_factory=list)
    statistics: dict = field(default_factory=dict)
    encoding: str = "utf-8"


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _gunzip(source: Path, dest: Path, limits: Limits) -> Path:
    """Decompress with a cap on the output size and on the compression ratio."""
    compressed = max(source.stat().st_size, 1)
    cap = min(limits.max_uncompressed_bytes, compressed * limits.max_compression_ratio)
    written = 0
    try:
        with gzip.open(source, "rb") as reader, open(dest, "wb") as writer:
            while chunk := reader.read(CHUNK):
                written += len(chunk)
                if written > cap:
                    raise IngestError(
                        "the compressed file expands beyond the allowed size "
                        f"({cap} bytes): refused as a possible compression bomb"
                    )
                writer.write(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise IngestError(f"the gzip file is corrupt ({type(exc).__name__})") from None
    return dest


def _transcode(source: Path, dest: Path, encoding: str) -> Path:
    """Stream a GB18030/GBK file into UTF-8; a byte that does not decode is an error."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with open(source, "rb") as reader, open(dest, "w", encoding="utf-8", newline="") as writer:
        while True:
            chunk = reader.read(CHUNK)
            try:
                writer.write(decoder.decode(chunk, final=not chunk))
            except UnicodeDecodeError as exc:
                raise IngestError(
                    f"the file is not valid {encoding.upper()} (byte {offset + exc.start})"
                ) from None
            if not chunk:
                break
            offset += len(chunk)
    return dest


def _first_malformed_csv_row(path: Path) -> str | None:
    """Locate the first row whose field count differs from the header's, or whose quoting
    is broken (an unterminated quote runs to the end of the file), streamed."""
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return None
            for row in reader:
                if len(row) != len(header):
                    return (
                        f"line {reader.line_num}: {len(row)} fields where the header has "
                        f"{len(header)} (column {min(len(row), len(header)) + 1})"
                    )
        except csv.Error as exc:
            return f"line {reader.line_num}: {exc}"
    return None


_ENGINE_LINES = re.compile(
    r"(CSV Error on Line: \d+|Error when converting column .*|Expected Number of Columns.*|"
    r"Malformed JSON.*|line \d+.*)",
)


def _check_csv_shape(path: Path, inferred_columns: int) -> None:
    """When the engine's reading disagrees with the header, find the row that misleads it."""
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        try:
            header = next(csv.reader(handle), [])
        except csv.Error as exc:
            raise IngestError(f"malformed input: line 1: {exc}") from None
    if len(header) != inferred_columns:
        detail = _first_malformed_csv_row(path)
        raise IngestError(f"malformed input: {detail or 'the header does not match the rows'}")


def _explain(exc: Exception) -> str:
    text = str(exc)
    picked = [m.group(0).strip() for m in _ENGINE_LINES.finditer(text)]
    if picked:
        return "; ".join(dict.fromkeys(picked))[:500]
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _reader_sql(path: Path, fmt: str, types: dict[str, str]) -> str:
    target = quote_literal(str(path))
    if fmt == "csv":
        options = [
            "header=true",
            "delim=','",
            "quote='\"'",
            "escape='\"'",
            "strict_mode=true",
            "compression='none'",  # decompression is ours, capped (see _gunzip)
        ]
        if types:
            mapping = ", ".join(
                f"{quote_literal(col)}: {quote_literal(DUCKDB_TYPES[kind])}"
                for col, kind in types.items()
            )
            options.append(f"types={{{mapping}}}")
        return f"read_csv({target}, {', '.join(options)})"
    if fmt == "jsonl":
        return f"read_json({target}, format='newline_delimited', compression='uncompressed')"
    return f"read_parquet({target})"


def _connect(tmp_dir: Path, limits: Limits) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(
        config={
            "memory_limit": limits.memory_limit,
            "threads": limits.threads,
            "temp_directory": str(tmp_dir),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    connection.execute("SET enable_progress_bar = false").fetchall()  # no bars in logs
    return connection


def _schema(con, relation_sql: str) -> list[dict]:
    described = con.sql(f"DESCRIBE SELECT * FROM {relation_sql}").fetchall()
    schema, seen = [], set()
    for name, duck_type, *_rest in described:
        if not name or not name.strip() or any(ord(ch) < 32 for ch in name) or len(name) > 64:
            raise IngestError(f"column name {name!r} is empty, too long or has control characters")
        if name.lower() in seen:
            raise IngestError(f"column {name!r} appears twice")
        seen.add(name.lower())
        base = duck_type.split("(")[0]
        kind = TYPE_MAP.get(base)
        if kind is None:
            raise IngestError(
                f"column {name!r} has an unsupported type {duck_type} "
                "(nested lists, objects and binary data cannot be catalogued)"
            )
        schema.append({"name": name, "type": kind})
    if not schema:
        raise IngestError("the file has no columns")
    return schema


def _finite(column_sql: str, kind: str) -> str:
    """The condition on a value that the statistics describe: a finite number (not NaN
    nor an infinity), a day between the years 1 and 9999 (not an infinity, not BC, not
    beyond what a page and Python show). A file may hold any of them; the JSON of the
    statistics cannot, and a period of "infinit" would break every page of the catalog."""
    if kind in ("date", "timestamp"):
        return f"CAST({column_sql} AS DATE) BETWEEN DATE '0001-01-01' AND DATE '9999-12-31'"
    return f"isfinite(CAST({column_sql} AS DOUBLE))"


def _row_aggregates(schema: list[dict]) -> list[str]:
    """The statistics that read every row: counts, distinct counts (HyperLogLog), means,
    first and last days (of the finite values); ``count(*)`` first."""
    selects = ["count(*)"]
    for column in schema:
        q = quote_ident(column["name"])
        selects += [f"count({q})", f"approx_count_distinct({q})"]
        finite = f"FILTER (WHERE {_finite(q, column['type'])})"
        if column["type"] in ("integer", "number"):
            selects.append(f"avg({q}) {finite}::DOUBLE")
        elif column["type"] in ("date", "timestamp"):
            selects += [f"min({q}) {finite}::DATE::VARCHAR", f"max({q}) {finite}::DATE::VARCHAR"]
        elif column["type"] == "string":
            selects.append(f"avg(length({q}))::DOUBLE")
    return selects


def _statistics(con, parquet: Path, schema: list[dict], aggregates: tuple) -> tuple[int, dict]:
    """Per-column statistics that the catalog may show under disclosure rules.
    ``aggregates`` is the row of ``_row_aggregates``, computed while the Parquet file was
    written; the 10/50/90 % quantiles come from a fixed-seed sample of the file, and the
    values of a string column with few distinct values are counted in the file."""
    table = f"read_parquet({quote_literal(str(parquet))})"
    numeric = [c["name"] for c in schema if c["type"] in ("integer", "number")]
    row = list(aggregates)
    total = int(row.pop(0))
    quantiles = {}
    if numeric and total >= 5_000_000:
        # Large tables: 2 % of the row groups (at most SAMPLE_GROUPS), evenly spread over
        # the file, the same every time; read one column at a time, the others not at all.
        parquet_file = pq.ParquetFile(parquet)
        count = parquet_file.num_row_groups
        picked = min(max(count // 50, 1), SAMPLE_GROUPS)
        groups = [index * count // picked for index in range(picked)]
        for name in numeric:
            con.register("ingest_sample", parquet_file.read_row_groups(groups, columns=[name]))
            q = quote_ident(name)
            quantiles[name] = con.execute(
                f"SELECT approx_quantile({q}, [0.1, 0.5, 0.9])::DOUBLE[] "
                f"FROM ingest_sample WHERE {_finite(q, 'number')}"
            ).fetchall()[0][0]
    elif numeric:  # small: 100,000 rows
        quantile_sql = ", ".join(
            f"approx_quantile({q}, [0.1, 0.5, 0.9]) FILTER (WHERE {_finite(q, 'number')})::DOUBLE[]"
            for q in map(quote_ident, numeric)
        )
        sampled = con.execute(
            f"SELECT {quantile_sql} FROM {table} USING SAMPLE reservoir(100000 ROWS) REPEATABLE (7)"
        ).fetchall()[0]
        quantiles = dict(zip(numeric, sampled, strict=True))
    stats = {}
    for column in schema:
        entry = {"count": int(row.pop(0)), "distinct": int(row.pop(0))}
        if column["type"] in ("integer", "number"):
            entry["mean"] = row.pop(0)
            if quantiles.get(column["name"]):
                p10, p50, p90 = quantiles[column["name"]]
                entry.update({"p10": p10, "p50": p50, "p90": p90})
        elif column["type"] in ("date", "timestamp"):
            entry.update({"first_day": row.pop(0), "last_day": row.pop(0)})
        elif column["type"] == "string":
            entry["mean_length"] = row.pop(0)
        stats[column["name"]] = entry
    for column in schema:
        if column["type"] == "string" and 0 < stats[column["name"]]["distinct"] <= TOP_VALUES_MAX:
            q = quote_ident(column["name"])
            values = con.execute(
                f"SELECT {q}, count(*) FROM {table} WHERE {q} IS NOT NULL "
                f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_VALUES_MAX + 1}"
            ).fetchall()
            if len(values) <= TOP_VALUES_MAX:
                stats[column["name"]]["values"] = [[v, int(c)] for v, c in values]
    return total, stats


def _check_parquet(path: Path, limits: Limits) -> None:
    try:
        metadata = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several types for a broken footer
        raise IngestError(f"the Parquet file is corrupt ({type(exc).__name__})") from None
    uncompressed = sum(
        metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
    )
    ratio_cap = max(path.stat().st_size, 1) * limits.max_compression_ratio
    if uncompressed > min(limits.max_uncompressed_bytes, ratio_cap):
        raise IngestError(
            f"the Parquet file expands to {uncompressed} bytes: refused as a possible "
            "compression bomb"
        )


def ingest_file(
    source: Path,
    dest: Path,
    *,
    fmt: str,
    encoding: str = "auto",
    types: dict[str, str] | None = None,
    tmp_dir: Path,
    limits: Limits,
) -> IngestResult:
    """Ingest ``source`` into the Parquet file ``dest`` (written atomically). Every
    refusal is an IngestError whose message names lines, columns and bytes, never a path on
    the server (the engine quotes the files it reads: see without_paths)."""
    try:
        return _ingest_file(
            source, dest, fmt=fmt, encoding=encoding, types=types, tmp_dir=tmp_dir, limits=limits
        )
    except IngestError as exc:
        raise IngestError(without_paths(str(exc))) from None
    except duckdb.Error as exc:
        raise IngestError(without_paths(f"malformed input: {_explain(exc)}")) from None


_QUOTED_FILE = re.compile(r"""\bfile\s+(?:"/[^"]*"|'/[^']*')""", re.I)
_QUOTED_PATH = re.compile(r""""/[^"]*"|'/[^']*'""")
_BARE_PATH = re.compile(r"(?<![\w.~-])/(?:[^\s/\"'(),;:]+/)+[^\s/\"'(),;:]*")


def without_paths(message: str) -> str:
    """``message`` with every absolute path replaced by "the file": what an operator
    reads (upload or import folder alike) says what is wrong, not where the server keeps
    it."""
    message = _QUOTED_FILE.sub("the file", message)
    message = _QUOTED_PATH.sub("the file", message)
    return _BARE_PATH.sub("the file", message)


def _ingest_file(
    source: Path,
    dest: Path,
    *,
    fmt: str,
    encoding: str,
    types: dict[str, str] | None,
    tmp_dir: Path,
    limits: Limits,
) -> IngestResult:
    if fmt not in FORMATS:
        raise IngestError(f"unsupported format {fmt!r}: use one of {', '.join(FORMATS)}")
    if encoding not in ENCODINGS:
        raise IngestError(f"unsupported encoding {encoding!r}: use one of {', '.join(ENCODINGS)}")
    unknown = sorted(set((types or {}).values()) - set(DUCKDB_TYPES))
    if unknown:
        raise IngestError(f"unknown field type {unknown[0]!r}")
    size = source.stat().st_size
    if size == 0:
        raise IngestError("the file is empty")
    if size > limits.max_bytes:
        raise IngestError(f"the file is {size} bytes; the limit is {limits.max_bytes} bytes")
    work = tmp_dir / f"ingest-{uuid.uuid4().hex}"
    work.mkdir(parents=True)
    try:
        return _ingest(source, dest, fmt, encoding, types or {}, work, limits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _convert(source: Path, partial: Path, fmt: str, types: dict, work: Path, limits: Limits):
    con = _connect(work, limits)
    try:
        relation = _reader_sql(source, fmt, types)
        schema = _schema(con, relation)
        if fmt == "csv":
            _check_csv_shape(source, len(schema))
        aggregates = _write_and_aggregate(con, relation, partial, schema, work, limits)
        row_count, statistics = _statistics(con, partial, schema, aggregates)
    finally:
        con.close()
    return schema, row_count, statistics


def _write_and_aggregate(con, relation: str, partial: Path, schema, work: Path, limits: Limits):
    """One pass over the source: DuckDB reads it as a stream of Arrow batches (bounded by
    its memory limit), pyarrow writes each batch to the Parquet file (zstd level 1, one row
    group per batch, with min/max statistics) as a second DuckDB connection computes the
    row aggregates of the statistics over the same batches. The file is not read again
    for them."""
    reader = con.sql(f"SELECT * FROM {relation}").to_arrow_reader(ROW_GROUP_ROWS)
    with (
        pq.ParquetWriter(partial, reader.schema, compression="zstd", compression_level=1) as writer,
        ThreadPoolExecutor(max_workers=1) as compressor,
    ):
        # pyarrow encodes and compresses a batch in its own thread (without the GIL) while
        # DuckDB parses the next; at most WRITES_IN_FLIGHT batches wait, in order.
        pending: deque = deque()
        failure: list[Exception] = []

        def tee():
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except (pa.ArrowException, OSError) as exc:  # DuckDB's, through pyarrow
                    failure.append(duckdb.InvalidInputException(str(exc)))
                    raise
                pending.append(compressor.submit(writer.write_batch, batch))
                if len(pending) > WRITES_IN_FLIGHT:
                    pending.popleft().result()
                yield batch

        tally = _connect(work, limits)
        try:
            tally.register("ingest_stream", pa.RecordBatchReader.from_batches(reader.schema, tee()))
            selects = ", ".join(_row_aggregates(schema))
            aggregates = tally.execute(f"SELECT {selects} FROM ingest_stream").fetchall()[0]
        except duckdb.Error:
            if failure:  # the tally quotes it inside a traceback; the original names the row
                raise failure[0] from None
            raise
        finally:
            tally.close()
        while pending:
            pending.popleft().result()
    return aggregates


def _ingest(source, dest, fmt, encoding, types, work: Path, limits: Limits) -> IngestResult:
    if fmt != "parquet" and _is_gzip(source):
        source = _gunzip(source, work / "source", limits)
    if fmt == "parquet":
        _check_parquet(source, limits)
    used_encoding = "utf-8"
    if fmt != "parquet" and encoding in ("gb18030", "gbk"):
        source = _transcode(source, work / "utf8", encoding)
        used_encoding = encoding
    partial = work / "out.parquet"
    try:
        try:
            schema, row_count, statistics = _convert(source, partial, fmt, types, work, limits)
        except duckdb.Error as exc:
            if fmt == "parquet" or encoding != "auto" or "unicode" not in str(exc).lower():
                raise
            # Not UTF-8: providers' files are then GB18030 (a superset of GBK).
            source = _transcode(source, work / "utf8", "gb18030")
            used_encoding = "gb18030"
            schema, row_count, statistics = _convert(source, partial, fmt, types, work, limits)
    except duckdb.Error as exc:
        detail = _first_malformed_csv_row(source) if fmt == "csv" else None
        raise IngestError(f"malformed input: {detail or _explain(exc)}") from None
    if row_count == 0:
        raise IngestError("the file has a header but no rows")
    digest = sha256_of(partial)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, dest)
    return IngestResult(
        path=dest,
        row_count=row_count,
        bytes=dest.stat().st_size,
        sha256=digest,
        schema=schema,
        statistics=statistics,
        encoding=used_encoding,
    )
