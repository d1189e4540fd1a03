"""Workspace materialization over a 10-million-row buoy table: time and peak memory
against plain DuckDB copying the same projection without masking, as ratios.

Ours is ``scenarios.workspace.materialize`` with ``buoy_id`` pseudonymized (HMAC-SHA256 in
DuckDB SQL), ``ts`` generalized to the day and the rest kept, written to a private folder,
checksummed and renamed into place. Plain is a fresh DuckDB connection with the same memory
limit and threads running ``COPY (SELECT <same columns> FROM read_parquet(...)) TO ...``.

Run from the project root::

    .venv/bin/python -m bench.workspace --rows 10000000

The source Parquet is made once (cached in --workdir) by ingesting bench.ingest's CSV.
"""

import argparse
import multiprocessing
import os
import shutil
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import django

from bench.ingest import DEFAULT_WORKDIR, _connect, _literal, _own_peak_rss_kib, generate_csv

# scenarios.workspace reads the catalog's enums: Django set up on a throwaway VAR_DIR.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("VAR_DIR", str(DEFAULT_WORKDIR / "var"))
django.setup()

COLUMNS = ["buoy_id", "ts", "longitude", "latitude", "chlorophyll_a", "water_temp"]
KEY = "5e" * 32


def fields() -> list:
    masking = {"buoy_id": ("pseudonym", ""), "ts": ("generalize", "day")}
    types = {"buoy_id": "string", "ts": "timestamp"}
    return [
        SimpleNamespace(
            column=c,
            masking=masking.get(c, ("keep", ""))[0],
            generalize=masking.get(c, ("keep", ""))[1],
            data_type=types.get(c, "number"),
        )
        for c in COLUMNS
    ]


def source_parquet(workdir: Path, rows: int) -> Path:
    from operation.ingest import Limits, ingest_file

    target = workdir / f"buoys-{rows}.parquet"
    if not target.exists():
        csv = generate_csv(workdir / f"buoys-{rows}.csv", rows, workdir)
        limits = Limits(max_bytes=1 << 40, max_uncompressed_bytes=1 << 42)
        ingest_file(csv, target, fmt="csv", tmp_dir=workdir, limits=limits)
    return target


def run_plain(source: Path, out: Path, tmp_dir: Path) -> None:
    con = _connect(tmp_dir)
    try:
        projection = ", ".join(f'"{c}"' for c in COLUMNS)
        con.execute(
            f"COPY (SELECT {projection} FROM read_parquet({_literal(str(source))})) "  # noqa: S608
            f"TO {_literal(str(out))} (FORMAT parquet, COMPRESSION zstd)"
        ).fetchall()
    finally:
        con.close()


def run_ours(source: Path, out: Path, tmp_dir: Path) -> None:
    from scenarios.workspace import materialize

    materialize(
        [
            {
                "code": "HY-0001",
                "source": source,
                "fields": fields(),
                "catalog_version": 1,
                "resource_version": 1,
                "source_sha256": "-",
            }
        ],
        key_hex=KEY,
        final_dir=out,
        tmp_root=tmp_dir,
        memory_limit="1GB",
    )


def _child(which: str, source: str, out: str, tmp_dir: str, conn) -> None:
    runner = run_plain if which == "plain" else run_ours
    runner(Path(source), Path(out), Path(tmp_dir))
    conn.send(_own_peak_rss_kib())
    conn.close()


def peak_mib(which: str, source: Path, out: Path, tmp_dir: Path, timeout: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(which, str(source), str(out), str(tmp_dir), sender))
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise TimeoutError(f"the {which} child did not finish within {timeout:.0f} s")
        return receiver.recv() / 1024
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()


def _clean(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    source = source_parquet(args.workdir, args.rows)
    plain_out, ours_out = args.workdir / "plain-ws.parquet", args.workdir / "ours-ws"
    times = {"plain": [], "ours": []}
    for _ in range(args.repeat):
        for which, runner, out in (("plain", run_plain, plain_out), ("ours", run_ours, ours_out)):
            _clean(out)
            began = time.perf_counter()
            runner(source, out, args.workdir)
            times[which].append(time.perf_counter() - began)
            if time.monotonic() - started > args.timeout:
                raise SystemExit("timed out")
    peaks = {}
    for which, out in (("plain", plain_out), ("ours", ours_out)):
        _clean(out)
        peaks[which] = peak_mib(which, source, out, args.workdir, args.timeout)
        _clean(out)
    plain_t, ours_t = statistics.median(times["plain"]), statistics.median(times["ours"])
    print(
        f"\nWorkspace materialization of a {args.rows:,}-row buoy table "
        f"({len(COLUMNS)} columns; buoy_id pseudonymized, ts generalized to the day); "
        f"median of {args.repeat}\n"
    )
    print("| measure | plain DuckDB copy | sandbox workspace | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| time (s) | {plain_t:.2f} | {ours_t:.2f} | {ours_t / plain_t:.2f} |")
    print(
        f"| peak RSS (MiB) | {peaks['plain']:.0f} | {peaks['ours']:.0f} | "
        f"{peaks['ours'] / peaks['plain']:.2f} |"
    )
    print(f"\nTotal wall time {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
