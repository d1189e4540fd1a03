"""Disclosure checks of a 1-million-row microdata table aggregated to about 10,000 cells:
time against a plain DuckDB GROUP BY and against ACRO's crosstab, as ratios, with ACRO's
verdicts compared cell by cell.

The data: ``--rows`` firms (``region``, ``industry``, ``turnover``), made once with DuckDB
SQL from hashes of the row number (cached in --workdir as Parquet, and as CSV for ACRO).
Regions and industries are skewed (``floor(100 * u^5)``), so that the 100 x 100 grid has
cells of every size, from one firm to 160,000; one firm in 20,000 has a turnover of a
million among turnovers of 1 to 100, so that some large cells are dominated. A few cells
are planted at the edges of the rules: N-K exactly at k, p-percent exactly at p, exactly
the threshold and one below, and a cell whose turnovers are all zero.

Measured, each with the same rules (threshold 10, N-K n=2 k=0.9, p-percent 0.1, zeros
disclosive, missing values checked; ACRO without suppression):

- plain DuckDB: a fresh connection (2 threads), ``SELECT region, industry, count(*),
  sum(turnover) FROM read_parquet(...) GROUP BY ALL``, fetched into Python;
- ours: ``scenarios.disclosure.cells.check_microdata`` on the same Parquet with a fresh
  connection of the same threads, as a count and as a mean of turnover (``--agg sum``: a
  total);
- ACRO: ``acro.crosstab(region, industry)`` and ``acro.crosstab(..., values=turnover,
  aggfunc="mean")`` in ACRO's own virtualenv (bench/acro_env.sh), in a child process that
  reads the CSV into pandas first (not timed), and plain ``pandas.crosstab`` of the same
  as ACRO's own baseline.

Then each of ACRO's verdicts (the cells of its ``sdc`` per rule, and its per-cell outcome)
is compared with ours, on the cells that occur; ACRO's grid also holds the region x
industry combinations that have no rows, which ours does not list: they are counted apart.

Run from the project root::

    .venv/bin/python -m bench.disclosure     # --rows 1000000 --repeat 5 --acro-repeat 5

The module imports only the standard library at its top: the same file runs the ACRO
child under ACRO's interpreter (``--acro-child``), where neither DuckDB nor the project is.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "sandbox-bench"  # as bench.ingest's
ACRO_VERSION = "1.0.2"  # bench/acro_env.sh pins the same
ACRO_VENV = Path(os.environ.get("ACRO_VENV", Path(tempfile.gettempdir()) / "acro-venv"))
THREADS = 2
GROUPS = ("region", "industry")
VALUE = "turnover"
SIDE = 100  # regions and industries: 0 .. SIDE - 1
SKEW = 5  # floor(SIDE * u^SKEW): most rows in the first few, a long sparse tail
GIANT_SHARE = 0.00005  # rows with a turnover of GIANT among 1 .. 100
GIANT = 1_000_000
DATA_VERSION = 1  # in the cached files' names: bump when the generator changes
# (region, industry, turnovers, why): cells made to sit on the edge of a rule
PLANTED = (
    (99, 99, [45, 45] + [1] * 10, "N-K exactly at k (the top two are 90 of 100)"),
    (99, 98, [100, 50] + [1] * 10, "p-percent exactly at p (the rest is 10% of the largest)"),
    (99, 97, [7] * 10, "exactly the threshold (10 rows)"),
    (97, 99, [7] * 9, "one below the threshold (9 rows)"),
    (98, 99, [0] * 12, "a total of zero (12 rows of 0)"),
)
FAIL_RULES = ("MinimumThresholdCheck", "PresenceOfZeroCheck", "NKCheck", "PPercentCheck")
# the rules both define, per table: ACRO checks zeros on counts only, dominance on values
SHARED_RULES = {
    "count": ("MinimumThresholdCheck", "PresenceOfZeroCheck"),
    "mean": ("MinimumThresholdCheck", "NKCheck", "PPercentCheck"),
    "sum": ("MinimumThresholdCheck", "NKCheck", "PPercentCheck"),
}


def _literal(text) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _connect():
    import duckdb

    con = duckdb.connect(config={"threads": THREADS})
    con.execute("SET enable_progress_bar = false")
    return con


# --- data -------------------------------------------------------------------------------


def generate(workdir: Path, rows: int) -> tuple[Path, Path]:
    """The microdata as Parquet (ours, plain DuckDB) and CSV (ACRO); cached."""
    stem = workdir / f"firms-v{DATA_VERSION}-{rows}"
    parquet, csv = stem.with_suffix(".parquet"), stem.with_suffix(".csv")
    if parquet.exists() and csv.exists():
        return parquet, csv
    planted_rows = [(a, b, v) for a, b, values, _why in PLANTED for v in values]
    planted_keys = ", ".join(str(a * SIDE + b) for a, b, _values, _why in PLANTED)
    planted_values = ", ".join(f"({a}, {b}, {v})" for a, b, v in planted_rows)

    def unit(salt: str) -> str:  # deterministic uniform [0, 1) from the row number
        return f"((hash(i, '{salt}') % 1000000)::DOUBLE / 1000000)"

    bulk = f"""
        SELECT
            i,
            floor({SIDE} * pow({unit("region")}, {SKEW}))::INTEGER AS region,
            floor({SIDE} * pow({unit("industry")}, {SKEW}))::INTEGER AS industry,
            CASE WHEN {unit("giant")} < {GIANT_SHARE} THEN {GIANT}
                 ELSE 1 + floor(100 * {unit("turnover")})::INTEGER END AS turnover
        FROM range({rows + rows // 10}) AS t(i)
    """  # noqa: S608 (the module's own numbers)
    sql = f"""
        SELECT region, industry, turnover FROM (
            SELECT * FROM ({bulk}) AS bulk
            WHERE NOT list_contains([{planted_keys}], region * {SIDE} + industry)
            ORDER BY i LIMIT {rows - len(planted_rows)}
        ) AS kept
        UNION ALL
        SELECT * FROM (VALUES {planted_values}) AS planted(region, industry, turnover)
    """  # noqa: S608 (the module's own numbers)
    workdir.mkdir(parents=True, exist_ok=True)
    con = _connect()
    try:
        partial = parquet.with_suffix(".partial")
        con.execute(f"COPY ({sql}) TO {_literal(partial)} (FORMAT parquet)")
        partial.rename(parquet)
        source = f"SELECT * FROM read_parquet({_literal(parquet)})"  # noqa: S608
        con.execute(f"COPY ({source}) TO {_literal(partial)} (FORMAT csv, HEADER true)")
        partial.rename(csv)
    finally:
        con.close()
    return parquet, csv


# --- ours and plain DuckDB ----------------------------------------------------------------


def run_plain(parquet: Path) -> dict:
    """Plain DuckDB: per cell its count and total, fetched into Python."""
    con = _connect()
    try:
        rows = con.execute(
            f"SELECT region, industry, count(*), sum(turnover) "  # noqa: S608
            f"FROM read_parquet({_literal(parquet)}) GROUP BY region, industry"
        ).fetchall()
    finally:
        con.close()
    return {(a, b): (n, total) for a, b, n, total in rows}


def run_ours(parquet: Path, agg: str, params) -> dict:
    from scenarios.disclosure.cells import check_microdata

    con = _connect()
    try:
        value = VALUE if agg != "count" else None
        return check_microdata(
            parquet, group_by=list(GROUPS), value=value, agg=agg, params=params, connection=con
        )
    finally:
        con.close()


# --- ACRO, in its own interpreter ---------------------------------------------------------


def acro_python() -> Path:
    python = ACRO_VENV / "bin" / "python"
    if not python.exists():
        print(f"  building ACRO's environment in {ACRO_VENV}", file=sys.stderr)
        subprocess.run(["bash", str(ROOT / "bench" / "acro_env.sh"), str(ACRO_VENV)], check=True)
    return python


def run_acro(csv: Path, out: Path, params, agg: str, repeat: int, timeout: float) -> dict:
    settings = {
        "safe_threshold": params.threshold,
        "safe_nk_n": params.dominance_n,
        "safe_nk_k": params.dominance_k,
        "safe_pratio_p": params.p_percent,
        "zeros_are_disclosive": params.zeros_are_disclosive,
        "check_missing_values": params.check_missing,
    }
    command = [
        str(acro_python()),
        *("-m", "bench.disclosure", "--acro-child", str(csv), str(out)),
        *("--acro-settings", json.dumps(settings), "--acro-repeat", str(repeat)),
        *("--agg", agg),
    ]
    subprocess.run(command, cwd=ROOT, check=True, timeout=timeout)
    return json.loads(out.read_text())


def acro_child(csv: Path, out: Path, settings: dict, repeat: int, agg: str) -> None:
    """Under ACRO's interpreter: time pandas' and ACRO's crosstab, count and ``agg``, and dump
    ACRO's verdicts per cell (grid labels, counts, sdc cells per rule, outcome)."""
    import logging

    import pandas as pd
    from acro import ACRO
    from acro.version import __version__

    logging.disable(logging.INFO)  # ACRO logs every table and record at INFO
    began = time.perf_counter()
    data = pd.read_csv(csv)
    load_seconds = time.perf_counter() - began
    rows, columns, values = data[GROUPS[0]], data[GROUPS[1]], data[VALUE]
    runs = {
        "count": {
            "pandas": lambda: pd.crosstab(rows, columns),
            "acro": lambda session: session.crosstab(rows, columns),
        },
        agg: {
            "pandas": lambda: pd.crosstab(rows, columns, values=values, aggfunc=agg),
            "acro": lambda session: session.crosstab(rows, columns, values=values, aggfunc=agg),
        },
    }

    def configured(session, table: str):
        session.config.update(settings)  # the same dict as session.sdc_checks'
        if table == "count":  # no values to be missing (and ACRO 1.0.2 would raise)
            session.config["check_missing_values"] = False
        assert session.sdc_checks.risk_appetite is session.config
        return session

    times: dict[str, dict[str, list[float]]] = {table: {"pandas": [], "acro": []} for table in runs}
    sessions = {}
    for table, run in runs.items():  # warm-up, as ours and plain DuckDB get
        run["pandas"]()
        run["acro"](configured(ACRO(suppress=False), table))
    for index in range(repeat):
        for table, run in runs.items():
            began = time.perf_counter()
            run["pandas"]()
            times[table]["pandas"].append(time.perf_counter() - began)
            session = configured(ACRO(suppress=False), table)
            began = time.perf_counter()
            run["acro"](session)
            times[table]["acro"].append(time.perf_counter() - began)
            sessions[table] = session
            print(f"  ACRO {index + 1}/{repeat} {table}", file=sys.stderr)

    def label(value):
        return value.item() if hasattr(value, "item") else value

    counts = pd.crosstab(rows, columns)
    result = {"version": __version__, "rows": len(data), "load_seconds": load_seconds}
    for table, session in sessions.items():
        record = session.results.get_index(-1)
        outcome = record.outcome
        if not (outcome.index.equals(counts.index) and outcome.columns.equals(counts.columns)):
            raise RuntimeError(f"ACRO's {table} outcome is not on the crosstab's grid")
        grid = outcome.to_numpy()
        result[table] = {
            "status": record.status,
            "seconds": times[table],
            "index": [label(v) for v in outcome.index],
            "columns": [label(v) for v in outcome.columns],
            "counts": counts.to_numpy().tolist(),
            "cells": record.sdc["cells"],  # rule -> [[row position, column position]]
            "outcome": [
                [r, c, str(grid[r, c])]
                for r in range(grid.shape[0])
                for c in range(grid.shape[1])
                if grid[r, c] != "ok"
            ],
        }
    out.write_text(json.dumps(result))


# --- comparison ---------------------------------------------------------------------------


def acro_verdict(outcome: str) -> str:
    names = {name.strip() for name in outcome.split(";") if name.strip()}
    if names & set(FAIL_RULES):
        return "fail"
    return "review" if names - {"ok"} else "pass"


def compare(table: str, ours: dict, acro: dict) -> dict:
    """Per shared rule and overall, on the cells that occur; the empty combinations apart."""
    index, columns, counts = acro["index"], acro["columns"], acro["counts"]
    grid = [(r, c) for r in range(len(index)) for c in range(len(columns))]
    occurring = {(index[r], columns[c]) for r, c in grid if counts[r][c] > 0}
    empty = {(index[r], columns[c]) for r, c in grid if counts[r][c] == 0}
    acro_rules = {
        rule: {(index[r], columns[c]) for r, c in positions}
        for rule, positions in acro["cells"].items()
    }
    outcome = {(index[r], columns[c]): text for r, c, text in acro["outcome"]}
    cells = {tuple(cell["key"]): cell for cell in ours["aggregate"]["cells"]}
    result = {
        "table": table,
        "compared": len(occurring & cells.keys()),
        "only_acro": sorted(occurring - cells.keys()),
        "only_ours": sorted(cells.keys() - occurring),
        "rules": {},
        "empty": len(empty),
        "empty_failed": sum(acro_verdict(outcome.get(key, "ok")) == "fail" for key in empty),
        "empty_rules": sorted(
            {rule for key in empty for rule in acro_rules if key in acro_rules[rule]}
        ),
    }
    keys = sorted(occurring & cells.keys())
    for rule in SHARED_RULES[table]:
        ours_fail = {key for key in keys if rule in cells[key]["failed"]}
        acro_fail = acro_rules.get(rule, set()) & set(keys)
        result["rules"][rule] = (len(ours_fail), len(acro_fail), sorted(ours_fail ^ acro_fail))
    ours_fail = {key for key in keys if cells[key]["status"] == "fail"}
    acro_fail = {key for key in keys if acro_verdict(outcome.get(key, "ok")) == "fail"}
    result["rules"]["overall"] = (len(ours_fail), len(acro_fail), sorted(ours_fail ^ acro_fail))
    result["ours"], result["acro_rules"], result["outcome"] = cells, acro_rules, outcome
    return result


def known_difference(rule: str, key, comparison: dict, totals: dict, params) -> str | None:
    """The documented difference: a total of zero or less fails N-K here (zeros disclosive)
    where ACRO's N-K divides 0 by 0 and passes it; p-percent fails it in both."""
    failed_here = rule in comparison["ours"][key]["failed"]
    if (
        rule == "NKCheck"
        and failed_here
        and totals[key][1] <= 0
        and params.zeros_are_disclosive
        and key in comparison["acro_rules"].get("PPercentCheck", set())
    ):
        return "total <= 0: N-K fails here (zeros disclosive), ACRO's 0/0 passes; both fail p"
    return None


def evidence_of(parquet: Path, keys: list) -> dict:
    con = _connect()
    try:
        found = {}
        for a, b in keys:
            found[(a, b)] = con.execute(
                f"SELECT count(*), sum(turnover), max(turnover, 3) "  # noqa: S608
                f"FROM read_parquet({_literal(parquet)}) WHERE region = ? AND industry = ?",
                [a, b],
            ).fetchone()
        return found
    finally:
        con.close()


# --- report -------------------------------------------------------------------------------


def report(args, parquet, times, timing, acro, comparisons, totals, params) -> int:
    import duckdb

    agg = args.agg
    med = {name: statistics.median(values) for name, values in times.items()}
    for table in ("count", agg):
        for who in ("pandas", "acro"):
            med[f"{who}_{table}"] = statistics.median(acro[table]["seconds"][who])
    base = med["plain"]
    cells = len(totals)
    print()
    print(
        f"Disclosure checks of a {acro['rows']:,}-row microdata table ({cells:,} occurring "
        f"region x industry cells of a {SIDE} x {SIDE} grid), DuckDB {duckdb.__version__} "
        f"({THREADS} threads), ACRO {acro['version']} (pandas, one thread); median of "
        f"{args.repeat} runs (ACRO: {args.acro_repeat})"
    )
    print()
    print("| run | median s | ratio to plain DuckDB | ratio to ours (same table) |")
    print("|---|---:|---:|---:|")
    rows = [
        ("plain DuckDB `GROUP BY` (count, sum), fetched", base, None),
        ("ours `check_microdata`, count (threshold, zeros)", med["count"], None),
        (f"ours `check_microdata`, {agg} (threshold, zeros, N-K, p%)", med[agg], None),
        ("plain `pandas.crosstab`, count (data in memory)", med["pandas_count"], med["count"]),
        (f"plain `pandas.crosstab`, {agg} (data in memory)", med[f"pandas_{agg}"], med[agg]),
        ("ACRO `crosstab`, count (data in memory)", med["acro_count"], med["count"]),
        (f"ACRO `crosstab`, {agg} (data in memory)", med[f"acro_{agg}"], med[agg]),
    ]
    for label, value, ours in rows:
        versus = f"{value / ours:,.1f}" if ours else ""
        print(f"| {label} | {value:,.3f} | {value / base:,.1f} | {versus} |")
    print()
    for table in ("count", agg):
        evidence = statistics.median(t["evidence_seconds"] for t in timing[table])
        rules = statistics.median(t["rules_seconds"] for t in timing[table])
        print(
            f"Ours, {table}: the evidence query {evidence:.3f} s, the rules in Python "
            f"{rules:.3f} s (medians); the rest is reading the schema and the record."
        )
    print(
        f"ACRO's child read the CSV into pandas in {acro['load_seconds']:.2f} s (not timed "
        "above); ours and plain DuckDB read the Parquet file in every run."
    )

    print()
    print(
        "Agreement with ACRO, cell by cell on the cells that occur "
        "(fails: ours / ACRO; disagreements)"
    )
    print()
    print("| table | cells compared | rule | fail: ours | fail: ACRO | disagreements |")
    print("|---|---:|---|---:|---:|---:|")
    unexplained, explained = [], []
    for comparison in comparisons:
        for rule, (ours_n, acro_n, differ) in comparison["rules"].items():
            known = [
                key for key in differ if known_difference(rule, key, comparison, totals, params)
            ]
            explained += [(comparison["table"], rule, key) for key in known]
            unexplained += [(comparison["table"], rule, key) for key in differ if key not in known]
            note = f" ({len(known)} known)" if known else ""
            print(
                f"| {comparison['table']} | {comparison['compared']:,} | {rule} | "
                f"{ours_n:,} | {acro_n:,} | {len(differ)}{note} |"
            )
    print()
    for comparison in comparisons:
        for side in ("only_acro", "only_ours"):
            if comparison[side]:
                unexplained.append((comparison["table"], side, comparison[side][0]))
                print(f"{comparison['table']}: {len(comparison[side])} cells {side}")
        print(
            f"{comparison['table']}: ACRO's grid also holds {comparison['empty']} empty "
            f"combinations; it fails {comparison['empty_failed']} of them "
            f"({', '.join(comparison['empty_rules']) or 'no rule'}); ours lists none."
        )
    for table, rule, key in explained[:3]:
        why = known_difference(rule, key, _by_table(comparisons, table), totals, params)
        print(f"known: {table} {rule} {key}: {why}")
    planted = {(a, b): why for a, b, _values, why in PLANTED}
    for comparison in comparisons:
        for key, why in planted.items():
            ours = comparison["ours"][key]
            acro_text = comparison["outcome"].get(key, "ok")
            print(
                f"planted, {comparison['table']}, {why}: ours {ours['status']} "
                f"{ours['failed']}; ACRO {acro_verdict(acro_text)} ({acro_text.strip()})"
            )
    if unexplained:
        print()
        print(f"{len(unexplained)} DISAGREEMENTS not explained; the first ones with evidence:")
        evidence = evidence_of(parquet, [key for *_rest, key in unexplained[:10]])
        for table, rule, key in unexplained[:10]:
            comparison = _by_table(comparisons, table)
            ours = comparison["ours"].get(key, {})
            print(
                f"  {table} {rule} {key}: (rows, total, top 3) {evidence[key]}; ours "
                f"{ours.get('status')} {ours.get('failed')}; ACRO "
                f"{comparison['outcome'].get(key, 'ok').strip()}"
            )
        return 1
    print()
    print(f"Agreement: no unexplained disagreement ({len(explained)} known, explained above).")
    return 0


def _by_table(comparisons: list[dict], table: str) -> dict:
    return next(c for c in comparisons if c["table"] == table)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="ours and plain runs (median)")
    parser.add_argument("--acro-repeat", type=int, default=5, help="ACRO runs (median)")
    parser.add_argument("--agg", choices=["mean", "sum"], default="mean", help="of turnover")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="data cache")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the whole run")
    parser.add_argument("--acro-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--acro-settings", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.acro_child:
        settings = json.loads(args.acro_settings)
        acro_child(*args.acro_child, settings, args.acro_repeat, args.agg)
        return

    from scenarios.disclosure.params import Parameters

    started = time.monotonic()
    params = Parameters()
    began = time.perf_counter()
    parquet, csv = generate(args.workdir, args.rows)
    print(f"  data ready in {time.perf_counter() - began:.1f} s: {parquet}", file=sys.stderr)

    runs = {
        "plain": lambda: run_plain(parquet),
        "count": lambda: run_ours(parquet, "count", params),
        args.agg: lambda: run_ours(parquet, args.agg, params),
    }
    results = {name: run() for name, run in runs.items()}  # warm-up (file cache)
    times: dict[str, list[float]] = {name: [] for name in runs}
    timing: dict[str, list[dict]] = {"count": [], args.agg: []}
    for index in range(args.repeat):
        for name, run in runs.items():
            began = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - began)
            if name in timing:
                timing[name].append(results[name]["timing"])
        print(f"  ours and plain {index + 1}/{args.repeat}", file=sys.stderr)
        if time.monotonic() - started > args.timeout:
            raise SystemExit("the time budget (--timeout) is spent")

    remaining = args.timeout - (time.monotonic() - started)
    out = args.workdir / "acro-verdicts.json"
    acro = run_acro(csv, out, params, args.agg, args.acro_repeat, remaining)
    if acro["version"] != ACRO_VERSION:
        print(f"  note: ACRO {acro['version']}, not the pinned {ACRO_VERSION}", file=sys.stderr)
    totals = results["plain"]
    comparisons = [compare(table, results[table], acro[table]) for table in ("count", args.agg)]
    status = report(args, parquet, times, timing, acro, comparisons, totals, params)
    print(f"\nTotal wall time {time.monotonic() - started:.0f} s (data generation included).")
    raise SystemExit(status)


if __name__ == "__main__":
    main()
