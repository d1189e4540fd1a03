"""Generated demo data sets: realistic, deterministic, no downloads.

Each :class:`DemoDataset` describes one development data catalog (code, zone, provider,
fields with their sensitivity and masking rules) and :func:`generate` writes its rows to a
file: CSV (with a header, ISO timestamps), JSON lines or Parquet, as a provider would
upload it. One small CSV (marine litter surveys) is GB18030-encoded, as files from
provincial systems often are.

Rows come from DuckDB SQL over ``range()``: every value is a function of the row number
through ``hash()`` (never ``random()``), so the same scale gives the same bytes, and
``COPY`` streams the rows to the file with bounded memory whatever the scale. ``scale``
multiplies the row count exactly: sensor data sets add stations (the red-tide buoys: 10
buoys per scale unit, 87,600 hourly rows each unit; scale 115 gives 10,074,000 rows),
aggregate statistics add earlier periods.

The values follow the place (Xiamen bay, its districts, reservoirs and port areas) and
the seasons: water warms from 14 to 30 °C, red-tide blooms come in spring and summer, two
typhoons pass in late July and mid September (waves, wind, rain, surge, fewer trips),
the plum-rain season is the wettest, and the regional rain of a day is shared by the
weather stations, the rain gauges and the reservoirs' inflow.
"""

import codecs
import os
import shutil
from pathlib import Path

import duckdb

from demo.data import ecology, marine, meteorology, transport, water
from demo.data.base import MACROS, DemoDataset, DemoField

__all__ = ["DATASETS", "DemoDataset", "DemoField", "dataset", "generate", "select_sql"]

ZONES = (marine, ecology, transport, meteorology, water)
DATASETS: tuple[DemoDataset, ...] = tuple(d for zone in ZONES for d in zone.DATASETS)
_BUILDERS = {key: build for zone in ZONES for key, build in zone.BUILDERS.items()}
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}


def dataset(key: str) -> DemoDataset:
    """The demo data set called ``key``."""
    for candidate in DATASETS:
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def select_sql(demo: DemoDataset, scale: int = 1) -> str:
    """The SELECT that yields the data set's rows (it needs this module's macros)."""
    return _BUILDERS[demo.key](scale)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _connect(tmp_dir: Path, threads: int) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(
        config={
            "memory_limit": "1GB",
            "threads": threads,
            "temp_directory": str(tmp_dir),
            "preserve_insertion_order": True,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    connection.execute("SET enable_progress_bar = false").fetchall()
    for macro in MACROS:
        connection.execute(macro).fetchall()
    return connection


def generate(dataset: DemoDataset, out_dir: Path, *, scale: int = 1, threads: int = 2) -> Path:
    """Write the dataset (rows = base_rows * scale, deterministic: same bytes for same scale)
    to ``out_dir / f"{dataset.key}.{ext}"`` and return the path.

    DuckDB streams the rows into a temporary file that replaces the target only when it
    is complete, so memory stays bounded at any scale."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{dataset.key}.{EXTENSIONS[dataset.file_format]}"
    partial = out_dir / f".{target.name}.partial"
    work = out_dir / f".{dataset.key}.work"
    work.mkdir(exist_ok=True)
    try:
        select = select_sql(dataset, scale)
        if dataset.file_format == "parquet":
            options = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"
        elif dataset.file_format == "jsonl":
            options = "FORMAT json"
        else:
            options = "FORMAT csv, HEADER true, DELIMITER ','"
        utf8 = work / "utf8.out" if dataset.encoding != "utf-8" else partial
        connection = _connect(work, threads)
        try:
            connection.execute(f"COPY ({select}) TO {_literal(str(utf8))} ({options})").fetchall()
        finally:
            connection.close()
        if utf8 != partial:
            _transcode(utf8, partial, dataset.encoding)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return target


def _transcode(source: Path, dest: Path, encoding: str) -> None:
    """Re-encode a UTF-8 text file, streamed."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    encoder = codecs.getincrementalencoder(encoding)(errors="strict")
    with open(source, "rb") as reader, open(dest, "wb") as writer:
        while chunk := reader.read(1 << 20):
            writer.write(encoder.encode(decoder.decode(chunk)))
        writer.write(encoder.encode(decoder.decode(b"", final=True), final=True))
