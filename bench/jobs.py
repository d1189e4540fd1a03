"""Sandboxed jobs: a trivial job's fixed overhead and a 10-million-row aggregate, against
plain DuckDB in this process, as ratios.

1. Fixed overhead: ``SELECT 42 AS answer`` (saved as result.csv, as the runner does)
   - plain: a fresh ``duckdb.connect`` in this process, the query, ``write_csv``;
   - the sandbox engine called directly (``engine.run``, no broker), with bubblewrap and
     without it (``insecure``, as SANDBOX_INSECURE_DEV): Python and DuckDB start-up;
   - the job through a running worker: ``job_submit`` here, a real Celery worker process
     (``-Q celery,sandbox -c 1 --pool prefork``) takes it from the broker (the embedded
     default's Redis on a unix socket, or CELERY_BROKER_URL when set) and runs it; this
     process polls the job's status in the database until it is finished.
2. Aggregate: ``SELECT buoy_id, date_trunc('day', ts), avg(chlorophyll_a), count(*) ...
   GROUP BY ALL`` over the buoy table (bench.workspace's Parquet, ``--rows`` rows) in a
   workspace folder, run by ``engine.run`` with the platform's default limits (DuckDB with
   2 threads and half of memory_mb), against plain DuckDB with the same threads and memory
   limit on the same file writing the same CSV.

Run from the project root::

    .venv/bin/python -m bench.jobs --rows 10000000

A throwaway VAR_DIR (SQLite database, DATA_ROOT) holds an authorized scenario made through
the services (tests/factories.py). The broker is the embedded default's: a Redis of the
benchmark's own on a unix socket under that VAR_DIR (core/localredis.py; no TCP port,
nothing kept), started here; with CELERY_BROKER_URL set, that broker instead (give it a
Redis database of its own: the worker consumes ``celery`` and ``sandbox``). The worker, the
Redis and the directory are removed at the end, whatever happens. The buoy Parquet is cached
in --workdir.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.catalog_list import ROOT, bench_env, migrate
from bench.ingest import DEFAULT_WORKDIR, _literal
from core.localredis import LocalRedis

TRIVIAL_SQL = "SELECT 42 AS answer"
AGGREGATE_SQL = (
    "SELECT buoy_id, date_trunc('day', ts) AS day, avg(chlorophyll_a) AS chlorophyll_a, "
    "count(*) AS n FROM hy_0001 GROUP BY ALL"
)
THREADS = 2  # the runner's DuckDB threads (engine._prepare)
POLL_SECONDS = 0.01


# --- environment and worker -------------------------------------------------------------------


def env_for(var_dir: Path) -> dict[str, str]:
    """The embedded defaults under ``var_dir``; CELERY_BROKER_URL only when it is set."""
    env = bench_env(var_dir)
    if os.environ.get("CELERY_BROKER_URL"):
        env["CELERY_BROKER_URL"] = os.environ["CELERY_BROKER_URL"]
    return env


def start_redis(var_dir: Path) -> LocalRedis:
    """The embedded default's broker: a Redis on ``VAR_DIR/redis/redis.sock``, where the
    settings look for it when CELERY_BROKER_URL is unset."""
    server = LocalRedis(var_dir / "redis", persistent=False)
    server.start()
    return server


def start_worker(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "config", "worker"),
            *("-Q", "celery,sandbox", "-c", "1", "--pool", "prefork"),
            *("-n", "bench-jobs@%h", "--loglevel", "WARNING"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()  # warm shutdown: the pool child ends with it
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)  # its own session, started above
            worker.wait(10)


def ready_scenario(source_dir: Path, worker: subprocess.Popen, timeout: float):
    """An authorized scenario through the services; its workspace is built by the worker."""
    from scenarios.models import WorkspaceStatus
    from tests.factories import authorized_scenario

    scenario, developer = authorized_scenario(source_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}")
        workspace = scenario.workspaces.order_by("-version").first()
        if workspace.status == WorkspaceStatus.READY:
            return scenario, developer, workspace
        if workspace.status == WorkspaceStatus.FAILED:
            raise RuntimeError(f"the workspace failed: {workspace.reason}")
        time.sleep(0.2)
    raise TimeoutError(f"the worker did not build the workspace within {timeout:.0f} s")


# --- the three ways of running a query --------------------------------------------------------


def run_plain(sql: str, out: Path, tmp: Path, *, memory: str, tables: dict[str, Path]) -> float:
    """A fresh in-process DuckDB connection: views, the query, its result as CSV. CPU s."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    con = duckdb.connect(
        config={"memory_limit": memory, "threads": THREADS, "temp_directory": str(tmp)}
    )
    try:
        con.execute("SET enable_progress_bar = false")
        for name, path in tables.items():
            view = f"CREATE VIEW {name} AS SELECT * FROM read_parquet({_literal(path)})"  # noqa: S608
            con.execute(view)
        con.sql(sql).write_csv(str(out))
    finally:
        con.close()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_engine(
    sql: str,
    workspace: Path,
    tables: dict[str, str],
    folder: Path,
    limits: dict,
    *,
    insecure: bool = False,
    warm=None,
):
    """``engine.run`` as the worker calls it, with no broker, database or collection;
    ``warm``: a warm sandbox started for it (``warm_spec``)."""
    from scenarios.sandbox import engine

    if warm is None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    spec = engine_spec(sql, workspace, tables, folder, limits, insecure=insecure)
    result = engine.run(spec, should_stop=lambda: False, warm=warm)
    if result.outcome != "succeeded":
        stderr = (folder / "stderr.txt").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"engine.run: {result.outcome}: {result.reason}\n{stderr}")
    return result


def engine_spec(sql, workspace, tables, folder, limits, *, insecure=False):
    from django.conf import settings

    from scenarios.sandbox import engine

    return engine.RunSpec(
        language="sql",
        code=sql,
        workspace=workspace,
        tables=tables,
        folder=folder,
        limits=limits,
        python=settings.SANDBOX_PYTHON,
        sandbox_uid=settings.SANDBOX_UID,
        insecure=insecure,
        max_output_bytes=settings.SANDBOX_MAX_OUTPUT_BYTES,
        cgroups=settings.SANDBOX_CGROUPS,
        cgroup_root=settings.SANDBOX_CGROUP_ROOT,
    )


def run_warm(sql, workspace, tables, folder, limits):
    """A warm sandbox started and loaded ahead (as the worker keeps one after a job,
    untimed), then ``engine.run`` of the query in it (timed by the caller)."""
    from scenarios.sandbox import engine

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    warm = engine.warm_start(engine_spec("", workspace, tables, folder, limits))
    if not warm.wait_ready(60):
        warm.discard()
        raise RuntimeError("the warm sandbox did not get ready")
    return lambda: run_engine(sql, workspace, tables, folder, limits, warm=warm)


def run_job(developer, scenario, sql: str, timeout: float) -> dict[str, float]:
    """Submit, then poll the job's row until it is finished: its parts in seconds."""
    from core.models import AuditEvent
    from scenarios.models import Job
    from scenarios.models.job import FINISHED
    from scenarios.services.jobs import job_submit

    began, wall, cpu = time.perf_counter(), time.time(), time.process_time()
    job = job_submit(by=developer, scenario=scenario, language="sql", code=sql, dry_run=False)
    submitted, submitted_wall = time.perf_counter(), time.time()
    submit_cpu = time.process_time() - cpu
    deadline = submitted + timeout
    rows = Job.objects.filter(pk=job.pk)
    while not rows.filter(status__in=FINISHED).exists():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"job {job.pk} did not finish within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    seen = time.perf_counter()
    job.refresh_from_db()
    if job.status != "succeeded":
        raise RuntimeError(f"job {job.pk}: {job.status}: {job.reason}")
    started, finished = job.started_at.timestamp(), job.finished_at.timestamp()
    finished_event = AuditEvent.objects.get(target_id=str(job.pk), action="job.succeeded")
    return {
        "cpu": job.cpu_seconds,
        "submit_cpu": submit_cpu,
        "warm": finished_event.details.get("warm") is True,
        "total": seen - began,
        "submit": submitted - began,
        "queue": started - submitted_wall,
        "engine": job.wall_seconds,
        "worker": finished - started - job.wall_seconds,
        "after": (seen - began) - (finished - wall),
    }


# --- 1. fixed overhead ------------------------------------------------------------------------


def trivial(args, var_dir: Path, env: dict[str, str], deadline: float) -> dict:
    from core.storage import data_path

    log = open(var_dir / "worker.log", "wb")  # noqa: SIM115 (closed below)
    worker = start_worker(env, log)
    try:
        source_dir = var_dir / "source"
        source_dir.mkdir()
        scenario, developer, workspace = ready_scenario(source_dir, worker, timeout=180)
        first = run_job(developer, scenario, TRIVIAL_SQL, timeout=120)  # warm-up
        run_job(developer, scenario, TRIVIAL_SQL, timeout=120)  # the worker's pool is warm
        print(f"  worker ready; warm-up job {first['total'] * 1000:.0f} ms", file=sys.stderr)
        limits = scenario.jobs.order_by("pk").first().limits
        ws_path = data_path(workspace.path)
        tables = {code: item["file"] for code, item in workspace.manifest["tables"].items()}
        folder, plain_out = var_dir / "engine-job", var_dir / "plain-result.csv"
        plain = lambda: run_plain(TRIVIAL_SQL, plain_out, var_dir, memory="1GB", tables={})  # noqa: E731
        # Each prepares (untimed) a timed run that returns its CPU seconds.
        runs = {
            "plain": lambda: plain,
            "insecure": lambda: (
                lambda: (
                    run_engine(
                        TRIVIAL_SQL, ws_path, tables, folder, limits, insecure=True
                    ).cpu_seconds
                )
            ),
            "engine": lambda: (
                lambda: run_engine(TRIVIAL_SQL, ws_path, tables, folder, limits).cpu_seconds
            ),
            "warm": lambda: run_warm_cpu(TRIVIAL_SQL, ws_path, tables, folder, limits),
        }
        for prepare in runs.values():  # warm-up
            prepare()()
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        parts: list[dict[str, float]] = []
        worker_cpu = tree_cpu(worker.pid)
        for index in range(args.jobs):
            for name, prepare in runs.items():
                run = prepare()
                began = time.perf_counter()
                cpu[name].append(run())
                times[name].append(time.perf_counter() - began)
            time.sleep(0.3)  # the worker's next warm sandbox loads (as between a developer's jobs)
            parts.append(run_job(developer, scenario, TRIVIAL_SQL, timeout=120))
            if time.monotonic() > deadline:
                raise SystemExit("the time budget (--timeout) is spent")
            print(f"  trivial {index + 1}/{args.jobs}", file=sys.stderr)
        worker_cpu = (tree_cpu(worker.pid) - worker_cpu) / args.jobs
    finally:
        stop_worker(worker)
        log.close()
    return report_trivial(times, cpu, parts, env, worker_cpu)


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and its descendants, their reaped children included."""
    parents, used = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            parents[int(entry.name)] = int(fields[1])
            used[int(entry.name)] = sum(int(v) for v in fields[11:15])
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return sum(used.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def report_trivial(times, cpu, parts, env, worker_cpu: float) -> dict:
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    cpu_ms = {name: statistics.median(values) * 1000 for name, values in cpu.items()}
    part_ms = {
        key: statistics.median(p[key] for p in parts) * 1000 for key in parts[0] if key != "warm"
    }
    total = [p["total"] * 1000 for p in parts]
    warm_jobs = sum(1 for p in parts if p["warm"])
    url = env.get("CELERY_BROKER_URL")
    broker = f"{url.split(':', 1)[0]} broker" if url else "embedded Redis broker on a unix socket"
    base = ms["plain"]
    say()
    say(
        f"Trivial SQL job (`{TRIVIAL_SQL}`, result saved as CSV), DuckDB {duckdb.__version__}, "
        f"{broker}; median of {len(parts)} runs"
    )
    say()
    say("| path | median ms | ratio to plain | CPU ms (the job's own) |")
    say("|---|---:|---:|---:|")
    rows = [
        ("plain DuckDB in process (connect, query, write CSV)", base, cpu_ms["plain"]),
        ("`engine.run` without bubblewrap (insecure dev mode)", ms["insecure"], cpu_ms["insecure"]),
        (
            "`engine.run` in bubblewrap, cold (no broker, no database)",
            ms["engine"],
            cpu_ms["engine"],
        ),
        ("`engine.run` in a warm sandbox (started ahead, untimed)", ms["warm"], cpu_ms["warm"]),
        (
            f"job through a worker, submit to succeeded ({broker})",
            part_ms["total"],
            part_ms["cpu"],
        ),
    ]
    for label, value, used in rows:
        say(f"| {label} | {value:,.1f} | {value / base:,.1f} | {used:,.0f} |")
    say()
    say(
        f"Job through the worker, by part (medians; the total's min {min(total):,.0f} ms, "
        f"max {max(total):,.0f} ms; {warm_jobs} of {len(parts)} jobs took a warm sandbox):"
    )
    say()
    say(
        f"CPU per job: `job_submit` {part_ms['submit_cpu']:,.0f} ms (median), the worker "
        f"process tree {worker_cpu * 1000:,.0f} ms (mean: Celery, claim, supervision, "
        "collection, record, and loading the next warm sandbox), the sandbox's job "
        f"{part_ms['cpu']:,.0f} ms (median)."
    )
    say()
    say("| part | median ms |")
    say("|---|---:|")
    for key, label in (
        ("submit", "`job_submit`: checks, row, audit, enqueue on commit"),
        ("queue", "broker to worker: submitted until claimed (`started_at`)"),
        ("engine", "sandbox engine, as the worker timed it (`wall_seconds`)"),
        ("worker", "worker around the engine: folder, collect, record (to `finished_at`)"),
        ("after", f"commit of the result and polling ({POLL_SECONDS * 1000:.0f} ms)"),
    ):
        say(f"| {label} | {part_ms[key]:,.1f} |")
    return {
        "broker": broker,
        "runs": len(parts),
        "median_ms": {**ms, "job": part_ms["total"]},
        "ratio_to_plain": {**{k: v / base for k, v in ms.items()}, "job": part_ms["total"] / base},
        "cpu_ms": {
            **cpu_ms,
            "job": part_ms["cpu"],
            "job_submit": part_ms["submit_cpu"],
            "worker_per_job": worker_cpu * 1000,
        },
        "job_parts_ms": part_ms,
        "warm_jobs": warm_jobs,
    }


# --- 2. aggregate over the buoy table ---------------------------------------------------------


def aggregate(args, var_dir: Path, deadline: float) -> dict:
    from django.conf import settings

    from bench.workspace import source_parquet

    began = time.perf_counter()
    source = source_parquet(args.workdir, args.rows)
    print(f"  buoy Parquet ready in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    workspace = var_dir / "buoy-workspace"
    workspace.mkdir(mode=0o755)
    table = workspace / "buoys.parquet"
    shutil.copyfile(source, table)  # readable by the sandbox's own user
    table.chmod(0o644)
    limits = dict(settings.SANDBOX_LIMITS)
    memory = f"{max(limits['memory_mb'] // 2, 128)}MB"  # as engine._prepare gives the runner
    folder, plain_out = var_dir / "engine-aggregate", var_dir / "plain-aggregate.csv"
    tmp = var_dir / "duckdb-tmp"
    tmp.mkdir()
    tables = {"HY-0001": table.name}

    runs = {
        "plain": lambda: (
            lambda: run_plain(
                AGGREGATE_SQL, plain_out, tmp, memory=memory, tables={"hy_0001": table}
            )
        ),
        "cold": lambda: (
            lambda: run_engine(AGGREGATE_SQL, workspace, tables, folder, limits).cpu_seconds
        ),
        "warm": lambda: run_warm_cpu(AGGREGATE_SQL, workspace, tables, folder, limits),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for index in range(args.repeat):
        for name, prepare in runs.items():
            run = prepare()  # a warm sandbox starts and loads here, untimed
            began = time.perf_counter()
            cpu[name].append(run())
            times[name].append(time.perf_counter() - began)
            print(f"  aggregate {index + 1} {name}: {times[name][-1]:.2f} s", file=sys.stderr)
            if time.monotonic() > deadline:
                raise SystemExit("the time budget (--timeout) is spent")
    groups = _lines(plain_out) - 1
    if _lines(folder / "output" / "result.csv") - 1 != groups:
        raise RuntimeError("the sandbox's result.csv and plain DuckDB's differ in length")

    wall = {name: statistics.median(values) for name, values in times.items()}
    used = {name: statistics.median(values) for name, values in cpu.items()}
    say()
    say(
        f"Aggregate over a {args.rows:,}-row buoy Parquet to a {groups:,}-row CSV "
        f"(`GROUP BY buoy_id, date_trunc('day', ts)`), DuckDB {duckdb.__version__}, "
        f"{THREADS} threads, memory_limit {memory}; median of {args.repeat} runs"
    )
    say()
    say("| measure | plain DuckDB | sandbox, cold | ratio | sandbox, warm | ratio |")
    say("|---|---:|---:|---:|---:|---:|")
    for label, values in (("time (s)", wall), ("CPU (s)", used)):
        base = values["plain"]
        say(
            f"| {label} | {base:.2f} | {values['cold']:.2f} | {values['cold'] / base:.2f} "
            f"| {values['warm']:.2f} | {values['warm'] / base:.2f} |"
        )
    return {
        "rows": args.rows,
        "runs": args.repeat,
        "seconds": wall,
        "cpu_seconds": used,
        "ratio_to_plain": {name: wall[name] / wall["plain"] for name in wall},
        "cpu_ratio_to_plain": {name: used[name] / used["plain"] for name in used},
    }


def run_warm_cpu(sql, workspace, tables, folder, limits):
    run = run_warm(sql, workspace, tables, folder, limits)
    return lambda: run().cpu_seconds


OUT = {"stream": sys.stdout}


def say(text: str = "") -> None:
    """The report's Markdown (on standard error under --json, which prints the figures)."""
    print(text, file=OUT["stream"])


def _lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _line in handle)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the buoy table")
    parser.add_argument("--repeat", type=int, default=5, help="aggregate runs of each (median)")
    parser.add_argument("--jobs", type=int, default=20, help="trivial runs of each (median)")
    parser.add_argument("--only", choices=["trivial", "aggregate"])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="Parquet cache")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the whole run")
    parser.add_argument(
        "--json", action="store_true", help="print the figures as JSON (the tables go to stderr)"
    )
    args = parser.parse_args(argv)
    if args.json:
        OUT["stream"] = sys.stderr
    figures: dict = {"duckdb": duckdb.__version__, "cpus": os.cpu_count()}
    started = time.monotonic()
    deadline = started + args.timeout
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs the clean-up below

    var_dir = Path(tempfile.mkdtemp(prefix="sandbox-bench-jobs-"))
    var_dir.chmod(0o755)  # the sandbox's own user reaches its workspace through it
    redis_server = None
    try:
        env = env_for(var_dir)
        if "CELERY_BROKER_URL" not in env:
            redis_server = start_redis(var_dir)
            os.environ.pop("CELERY_BROKER_URL", None)
        os.environ.update(env)  # before Django is imported
        os.environ.pop("DATABASE_URL", None)
        migrate(env)
        import django

        django.setup()
        args.workdir.mkdir(parents=True, exist_ok=True)
        if args.only != "aggregate":
            figures["trivial"] = trivial(args, var_dir, env, deadline)
        if args.only != "trivial":
            figures["aggregate"] = aggregate(args, var_dir, deadline)
        say()
        say(f"Total wall time {time.monotonic() - started:.0f} s (setup included).")
        figures["load_average"] = os.getloadavg()
        if args.json:
            print(json.dumps(figures, indent=2))
    finally:
        if redis_server is not None:
            redis_server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
