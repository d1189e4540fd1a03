"""Ingestion of a large CSV: time and peak memory against plain DuckDB, as ratios.

Ours is ``operation.ingest.ingest_file`` (sniff and check the header, stream the CSV into a
zstd Parquet file computing the catalog's per-column statistics in the same pass, SHA-256
the output, rename it into place). Plain is a fresh DuckDB connection with the same memory
limit and threads running ``COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet)``
on the same file.

Run from the project root::

    .venv/bin/python -m bench.ingest --rows 10000000

Time: ``--repeat`` runs of each, alternating plain/ours, in this process; medians of the
wall time and of the CPU time (user + system of this process, DuckDB's threads included),
which a loaded, shared machine disturbs less than the wall time.
Peak memory: one more run of each in a fresh child process ("spawn"), which reports its
own peak RSS. The whole run is bounded by ``--timeout`` seconds.
"""

import argparse
import contextlib
import faulthandler
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

MEMORY_LIMIT = "1GB"
THREADS = 2
BUOYS = 500
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "sandbox-bench"


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _connect(tmp_dir: Path) -> duckdb.DuckDBPyConnection:
    # temp_directory keeps any spill under the work dir (DuckDB's default is ./.tmp); no
    # progress bar on stdout, where the table goes.
    con = duckdb.connect(
        config={"memory_limit": MEMORY_LIMIT, "threads": THREADS, "temp_directory": str(tmp_dir)}
    )
    con.execute("SET enable_progress_bar = false")
    return con


def generate_csv(path: Path, rows: int, tmp_dir: Path) -> Path:
    """Buoy readings: BUOYS buoys reporting hourly, values from hashes of the row number
    (deterministic whatever the thread count; streamed by DuckDB, so memory stays bounded).
    Cached: an existing file is reused."""
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    con = _connect(tmp_dir)
    try:

        def unit(salt: str) -> str:  # deterministic uniform [0, 1) from the row number
            return f"((hash(i, '{salt}') % 1000000)::DOUBLE / 1000000)"

        con.execute(
            f"""
            COPY (
                SELECT
                    printf('XM-B%04d', i % {BUOYS} + 1) AS buoy_id,
                    TIMESTAMP '2020-01-01 00:00:00' + to_hours((i // {BUOYS})::BIGINT) AS ts,
                    round(117.9 + 0.4 * {unit("lon")}, 5) AS longitude,
                    round(24.3 + 0.4 * {unit("lat")}, 5) AS latitude,
                    round(0.2 + 9.8 * {unit("chl")} * {unit("chl2")}, 3) AS chlorophyll_a,
                    round(4.5 + 4.0 * {unit("do")}, 3) AS dissolved_oxygen,
                    round(14.0 + 16.0 * {unit("wt")}, 2) AS water_temp,
                    round(28.0 + 6.0 * {unit("sal")}, 3) AS salinity,
                    round(7.6 + 0.7 * {unit("ph")}, 3) AS ph
                FROM range({int(rows)}) AS t(i)
            ) TO {_literal(str(partial))} (FORMAT csv, HEADER true)
            """  # noqa: S608 (numbers and a path quoted by _literal)
        )
    finally:
        con.close()
    partial.rename(path)
    return path


def run_plain(csv: Path, out: Path, tmp_dir: Path) -> None:
    con = _connect(tmp_dir)
    try:
        source, target = _literal(str(csv)), _literal(str(out))
        sql = f"COPY (SELECT * FROM read_csv({source})) TO {target} (FORMAT parquet)"  # noqa: S608
        con.execute(sql)
    finally:
        con.close()
    out.unlink()


@contextlib.contextmanager
def _stdout_to_stderr():
    """operation.ingest's DuckDB connections leave the progress bar on, which DuckDB draws
    on file descriptor 1 for queries over two seconds: send it to stderr, off the table."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def run_ours(csv: Path, out: Path, tmp_dir: Path) -> int:
    # Imported here so that the plain child process does not load pyarrow.
    from operation.ingest import Limits, ingest_file

    size = csv.stat().st_size
    limits = Limits(max_bytes=size + 1, max_uncompressed_bytes=size + 1, memory_limit=MEMORY_LIMIT)
    with _stdout_to_stderr():
        result = ingest_file(csv, out, fmt="csv", encoding="auto", tmp_dir=tmp_dir, limits=limits)
    out.unlink()
    return result.row_count


def _child(which: str, csv: str, out: str, tmp_dir: str, conn) -> None:
    """In a fresh process: one run, then this process's own peak RSS in KiB."""
    if which == "plain":
        run_plain(Path(csv), Path(out), Path(tmp_dir))
    elif which == "ours":
        run_ours(Path(csv), Path(out), Path(tmp_dir))
    conn.send(_own_peak_rss_kib())
    conn.close()


def _own_peak_rss_kib() -> int:
    """This process's peak RSS. VmHWM belongs to the process's own address space; getrusage's
    ru_maxrss would also count the parent's RSS at fork time (kept across exec on Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_mib(which: str, csv: Path, out: Path, tmp_dir: Path, timeout: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(which, str(csv), str(out), str(tmp_dir), sender))
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise TimeoutError(f"the {which} child did not finish within {timeout:.0f} s")
        kib = receiver.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()
            child.join(10)
    if child.exitcode != 0:
        raise RuntimeError(f"the {which} child exited with {child.exitcode}")
    return kib / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _mib(path: Path) -> float:
    return path.stat().st_size / 2**20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (median)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the whole run")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    workdir = args.workdir
    tmp_dir = workdir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    csv = workdir / f"buoys-{args.rows}.csv"
    out_plain, out_ours = workdir / "plain.parquet", workdir / "ours.parquet"

    # Hard cap on the in-process phase (DuckDB runs in C, so no Python-level alarm):
    # the process exits with a traceback if the budget is spent.
    faulthandler.dump_traceback_later(args.timeout, exit=True)
    cached = csv.exists()
    generate_csv(csv, args.rows, tmp_dir)
    how = "cached" if cached else f"generated in {time.perf_counter() - started:.1f} s"
    print(f"CSV: {csv} ({args.rows:,} rows, {_mib(csv):,.0f} MiB, {how})", file=sys.stderr)

    times: dict[str, list[float]] = {"plain": [], "ours": []}
    cpu: dict[str, list[float]] = {"plain": [], "ours": []}
    load_before = os.getloadavg()[0]
    for index in range(args.repeat):
        for which, run, out in (("plain", run_plain, out_plain), ("ours", run_ours, out_ours)):
            begin, begin_cpu = time.perf_counter(), _cpu_seconds()
            run(csv, out, tmp_dir)
            times[which].append(time.perf_counter() - begin)
            cpu[which].append(_cpu_seconds() - begin_cpu)
            print(
                f"  run {index + 1} {which}: {times[which][-1]:.2f} s, CPU {cpu[which][-1]:.2f} s",
                file=sys.stderr,
            )
    load_after = os.getloadavg()[0]
    faulthandler.cancel_dump_traceback_later()

    remaining = max(args.timeout - (time.perf_counter() - started), 60)
    baseline = peak_rss_mib("none", csv, out_plain, tmp_dir, remaining / 3)
    peak = {
        which: peak_rss_mib(which, csv, out, tmp_dir, remaining / 3)
        for which, out in (("plain", out_plain), ("ours", out_ours))
    }
    shutil.rmtree(tmp_dir, ignore_errors=True)

    plain_s, ours_s = statistics.median(times["plain"]), statistics.median(times["ours"])
    plain_cpu, ours_cpu = statistics.median(cpu["plain"]), statistics.median(cpu["ours"])
    # Each run of ours beside the plain run just before it: a load spike hits both.
    pair_ratio = {
        measure: statistics.median(o / p for p, o in zip(runs["plain"], runs["ours"], strict=True))
        for measure, runs in (("time", times), ("cpu", cpu))
    }
    print()
    print(
        f"Ingestion of a {args.rows:,}-row CSV ({_mib(csv):,.0f} MiB), "
        f"DuckDB {duckdb.__version__}, memory_limit {MEMORY_LIMIT}, {THREADS} threads; "
        f"median of {args.repeat} runs; load average {load_before:.1f} before, "
        f"{load_after:.1f} after the timed runs"
    )
    print()
    print("| measure | plain DuckDB | sandbox ingest | ratio | median ratio of pairs |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| time (s) | {plain_s:.2f} | {ours_s:.2f} | {ours_s / plain_s:.2f} "
        f"| {pair_ratio['time']:.2f} |"
    )
    print(
        f"| CPU time (s) | {plain_cpu:.2f} | {ours_cpu:.2f} | {ours_cpu / plain_cpu:.2f} "
        f"| {pair_ratio['cpu']:.2f} |"
    )
    print(
        f"| rows/s | {args.rows / plain_s:,.0f} | {args.rows / ours_s:,.0f} "
        f"| {plain_s / ours_s:.2f} | |"
    )
    print(
        f"| peak RSS (MiB) | {peak['plain']:,.0f} | {peak['ours']:,.0f} "
        f"| {peak['ours'] / peak['plain']:.2f} | |"
    )
    print()
    print(
        f"Peak RSS is a fresh child process's own maximum; a child that only starts "
        f"Python and imports DuckDB peaks at {baseline:,.0f} MiB. "
        f"Total wall time {time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
