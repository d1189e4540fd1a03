"""Data services under concurrent load: calls per second and p50/p99 latency of a small
aggregate service through gunicorn on 127.0.0.1, against the same query in plain DuckDB.

The service is the demo's ``redtide-risk`` (buoy readings by 0.1° grid cell and day over a
period of at most 92 days; ``manage.py seed_demo``) called with the demo's API key, as
``GET /api/v1/services/redtide-risk/call?period=...&min_chlorophyll_a=...`` with
``Authorization: ApiKey <key>``. Every call takes the whole path: the key's SHA-256 lookup,
the scenario's checks, the rate limit and the daily quota counted in the shared counters,
the query and its disclosure evidence in DuckDB on the scenario's workspace Parquet (or the
cached result), a ServiceCall row (through the call log's stream, which the benchmark
drains as beat does before it counts). The demo key's rate limit and the organization's quota
are raised through the services (``api_key_rate_set``, ``quota_set``, by the demo's
operator staff account), so every call is still counted: the benchmark checks at the end
that the ServiceCall rows and the quota counter grew by exactly the calls it made.

Measured, each run bounded by a count (``--calls``) and a time (``--seconds``):

- over HTTP, ``--clients`` concurrent connections from a separate load process (threads,
  ``http.client``) to ``gunicorn config.wsgi --workers N`` (sync workers, or with
  ``--worker-class gthread`` one thread each, which keeps connections alive; DEBUG=0) on
  a free loopback port:
  distinct parameters on every call (cache misses: one-week periods of 2025, each with a
  ``min_chlorophyll_a`` below every reading of the data, so every call does the same work
  as an unfiltered one but binds distinct values), then 8 one-week periods repeated
  (cache hits, warmed first); then the misses again with 1 client;
- ``service_call`` in this process, 1 caller, misses (no HTTP, no gunicorn);
- plain DuckDB: the service's SQL with the same values bound, on the same workspace
  Parquet (a view of the catalog's name over ``read_parquet``), one in-memory database
  with ``threads=1`` (as the service's connection), fetched into Python: sequentially,
  and with ``--clients`` threads (a cursor each); then the same with the table copied
  into that database's memory, as a web worker holds a table that fits in
  ``SERVICES_HOLD_MB``. The service's rows are compared with the plain rows of the same
  storage (held in memory, or read from Parquet, as the service's own is).

Besides calls/s and latency, each row gives the CPU time per call of the side that serves
it (gunicorn's master and workers, read from /proc; or this process): unlike wall-clock
figures it does not depend on what else the machine is running.

Run from the project root::

    .venv/bin/python -m bench.services    # --workers 4 --clients 8 --calls 1500 --seconds 8

By default a throwaway VAR_DIR (SQLite, DATA_ROOT) is migrated and seeded (``--scale``
multiplies the demo data), with the embedded default's Redis: one of the benchmark's own on
a unix socket under that VAR_DIR (core/localredis.py; nothing kept), started here. It
is the broker (no worker runs: a message sent waits there) and, as SERVICES_REDIS_URL
follows the broker, it holds the quota and rate counters and the cached results. With
CELERY_BROKER_URL set, that broker instead; with SERVICES_REDIS_URL set, the counters and
cached results are in that Redis. Either way they are under a key prefix of this run's own,
deleted at the end. With DATABASE_URL pointing at PostgreSQL the benchmark creates a
database of its own on that server (``sandbox_bench_<pid>``) and drops it at the end.
PostgreSQL and Redis are the deployment configuration::

    env -u CELERY_BROKER_URL DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    SERVICES_REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python -m bench.services

``--var-dir`` reuses a seeded environment instead (DATABASE_URL as given, nothing created
or dropped; the key's rate and the quota are restored at the end); without
CELERY_BROKER_URL its demo's Redis (``VAR_DIR/redis/redis.sock``) is used when it answers,
else a throwaway one is started on that socket. gunicorn and a Redis started here are
stopped and the temporary directory removed at the end, whatever happens.
"""

import argparse
import concurrent.futures
import http.client
import json
import multiprocessing
import os
import random
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench.catalog_list import ROOT, bench_env, free_port, migrate, request, stop, wait_until_up
from core.localredis import LocalRedis, answers, socket_path

CODE = "redtide-risk"
PATH = f"/api/v1/services/{CODE}/call"
YEAR = date(2025, 1, 1)  # the demo's buoy readings cover 2025
STARTS = 359  # one-week periods within 2025
THRESHOLD_STEP = 0.0001  # of min_chlorophyll_a between calls that miss the cache
HOT = 8  # parameter sets of the cached run
LIMIT = 10_000_000  # the rate and quota raised to (the services' maximum)


@dataclass
class Run:
    label: str
    calls: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms, every call
    statuses: Counter = field(default_factory=Counter)
    hits: int | None = None
    cpu: float = 0.0  # CPU seconds of the serving side (gunicorn, or this process)
    client_cpu: float | None = None  # the load process's CPU seconds
    baseline: str = ""  # the label of the plain run it is compared with

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.calls * 1000

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)


@dataclass
class Target:
    secret: str
    key: object
    definition: object
    organization: object
    table: Path  # the workspace's Parquet
    view: str  # the catalog's name in the SQL
    rows: int  # of the table
    floor: float  # its least chlorophyll_a (0.82 in the demo data)
    restore: dict = field(default_factory=dict)


# --- parameters ---------------------------------------------------------------------------


def miss_params(index: int, salt: float) -> dict[str, str]:
    """Distinct for every index: a one-week period and a threshold no reading is under."""
    start = YEAR + timedelta(days=index % STARTS)
    threshold = salt + (index // STARTS) * THRESHOLD_STEP
    return {
        "period": f"{start}/{start + timedelta(days=6)}",
        "min_chlorophyll_a": f"{threshold:.4f}",
    }


def hot_params(index: int) -> dict[str, str]:
    start = YEAR + timedelta(weeks=index % HOT)
    return {"period": f"{start}/{start + timedelta(days=6)}"}


def bindings_of(given: dict[str, str]) -> dict:
    """The values the service binds for ``given`` (its placeholders), for plain DuckDB."""
    start, end = given["period"].split("/")
    threshold = given.get("min_chlorophyll_a")
    return {
        "period_start": date.fromisoformat(start),
        "period_end": date.fromisoformat(end),
        "min_chlorophyll_a": None if threshold is None else float(threshold),
    }


def url_of(given: dict[str, str]) -> str:
    return f"{PATH}?{urlencode(given)}"


# --- the load process ---------------------------------------------------------------------


def load(port: int, secret: str, paths: list[str], clients: int, seconds: float) -> dict:
    """In its own process: ``clients`` threads, a connection each, take the paths in turn
    until all are sent or ``seconds`` have passed. Latencies in ms, statuses, cache hits."""
    lock = threading.Lock()
    pending = iter(range(len(paths)))
    results: list[tuple[float, int | str, bool]] = []
    headers = {"Authorization": f"ApiKey {secret}", "Accept": "application/json"}
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    deadline = began + seconds

    def client() -> None:
        # HTTP/1.1 keep-alive; gunicorn's sync workers close after each response and
        # http.client then opens the next connection itself.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        try:
            while time.perf_counter() < deadline:
                with lock:
                    index = next(pending, None)
                if index is None:
                    break
                start = time.perf_counter()
                cached = False
                try:
                    conn.request("GET", paths[index], headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    status: int | str = response.status
                    if status == 200:
                        cached = json.loads(body)["cached"]
                except (OSError, http.client.HTTPException) as error:
                    conn.close()
                    status = type(error).__name__
                mine.append(((time.perf_counter() - start) * 1000, status, cached))
        finally:
            conn.close()
            with lock:
                results.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "seconds": wall,
        "latencies": [r[0] for r in results],
        "statuses": Counter(r[1] for r in results),
        "hits": sum(r[2] for r in results),
        "cpu": cpu,
    }


def http_run(pool, server, label: str, port: int, secret: str, paths, clients, seconds) -> Run:
    before = tree_cpu(server.pid)
    answer = pool.submit(load, port, secret, paths, clients, seconds).result()
    return Run(
        cpu=tree_cpu(server.pid) - before,
        label=label,
        calls=len(answer["latencies"]),
        seconds=answer["seconds"],
        latencies=answer["latencies"],
        statuses=answer["statuses"],
        hits=answer["hits"],
        client_cpu=answer["cpu"],
    )


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(pid: int) -> float:
    """CPU seconds of gunicorn's master and its live workers (every thread of each)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for process in [pid, *map(int, children)]:
        try:
            stat = Path(f"/proc/{process}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


# --- in this process ----------------------------------------------------------------------


def in_process_run(label: str, secret: str, params: list[dict], seconds: float) -> Run:
    """``service_call`` directly, one caller, as the view calls it (one text per name)."""
    from core.errors import ApplicationError
    from scenarios.dataservices.calls import service_call

    run = Run(label=label, hits=0)
    cpu = own_cpu()
    began = time.perf_counter()
    deadline = began + seconds
    for given in params:
        if time.perf_counter() > deadline:
            break
        start = time.perf_counter()
        try:
            answer = service_call(secret=secret, code=CODE, given=dict(given))
            run.statuses[200] += 1
            run.hits += answer["cached"]
        except ApplicationError as error:
            run.statuses[error.status] += 1
        run.latencies.append((time.perf_counter() - start) * 1000)
    run.seconds = time.perf_counter() - began
    run.cpu = own_cpu() - cpu
    run.calls = len(run.latencies)
    return run


def plain_run(label: str, target: Target, bindings, threads, seconds, *, held: bool) -> Run:
    """The service's SQL in plain DuckDB: one database (the table ``held`` in its memory,
    else a view over the Parquet file), ``threads`` cursors."""
    import duckdb

    from bench.ingest import _literal

    database = duckdb.connect(config={"threads": 1, "memory_limit": memory_limit()})
    kind = "TABLE" if held else "VIEW"
    database.execute(
        f"CREATE {kind} {target.view} AS SELECT * FROM read_parquet({_literal(target.table)})"  # noqa: S608
    )
    sql = target.definition.sql
    run = Run(label=label)
    lock = threading.Lock()
    pending = iter(range(len(bindings)))
    cpu = own_cpu()
    began = time.perf_counter()
    deadline = began + seconds

    def worker() -> None:
        cursor = database.cursor()
        mine = []
        try:
            while time.perf_counter() < deadline:
                with lock:
                    index = next(pending, None)
                if index is None:
                    break
                start = time.perf_counter()
                try:
                    cursor.execute(sql, bindings[index]).fetchall()
                    status: int | str = 200
                except duckdb.Error as error:
                    status = type(error).__name__
                mine.append(((time.perf_counter() - start) * 1000, status))
        finally:
            cursor.close()
            with lock:
                run.latencies.extend(ms for ms, _status in mine)
                run.statuses.update(status for _ms, status in mine)

    try:
        workers = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        run.seconds = time.perf_counter() - began
        run.cpu = own_cpu() - cpu
    finally:
        database.close()
    run.calls = len(run.latencies)
    return run


def plain_rows(target: Target, given: dict[str, str]) -> list[list]:
    """The service's SQL on the workspace table in plain DuckDB, rows as JSON values."""
    import duckdb

    from bench.ingest import _literal
    from scenarios.disclosure.cells import plain

    with duckdb.connect() as con:
        con.execute(
            f"CREATE VIEW {target.view} AS SELECT * FROM read_parquet({_literal(target.table)})"  # noqa: S608
        )
        found = con.execute(target.definition.sql, bindings_of(given)).fetchall()
    return sorted([plain(value) for value in row] for row in found)


def http_answer_rows(port: int, secret: str, given: dict[str, str]) -> list[list]:
    """One call over HTTP: its rows (none suppressed), as lists of values."""
    status, data, _ms = request(
        port, "GET", url_of(given), headers={"Authorization": f"ApiKey {secret}"}
    )
    if status != 200:
        raise RuntimeError(f"check: HTTP {status} {data[:300]!r}")
    answer = json.loads(data)
    if answer["cells_suppressed"]:
        raise RuntimeError("check: the answer has suppressed cells")
    return sorted([row[c] for c in answer["columns"]] for row in answer["rows"])


def memory_limit() -> str:
    from django.conf import settings

    return settings.SERVICES_MEMORY_LIMIT


def held_by_workers(table: Path) -> bool:
    """Whether a web worker holds ``table`` in memory: the decision a fresh worker makes
    at its first call (the settings' room, no other table held yet)."""
    from django.conf import settings

    from scenarios.dataservices import engine

    hold_bytes = settings.SERVICES_HOLD_MB * 1024 * 1024
    seconds = settings.SERVICES_TIMEOUT_SECONDS
    return engine._database(table, memory_limit(), hold_bytes, seconds).held > 0


# --- environment --------------------------------------------------------------------------


def postgres_database(url: str) -> tuple[str, str, str]:
    """(the server's maintenance URL, a new database's URL, its name) on ``url``'s server."""
    parts = urlsplit(url)
    name = f"sandbox_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{name}")), name


def postgres(admin_url: str, statement: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def seed(env: dict[str, str], scale: int) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--scale", str(scale)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=1800,
    )


def prepare(reuse: bool) -> Target:
    """The demo key, service and workspace table; the key's rate and the quota raised."""
    import duckdb
    from django.contrib.auth import get_user_model

    from bench.ingest import _literal
    from core.storage import data_path
    from demo.management.commands.seed_demo import DEMO_API_KEY, STAFF
    from scenarios.dataservices import engine
    from scenarios.dataservices.quotas import api_key_rate_set, quota_set
    from scenarios.models import (
        ApiKey,
        DefinitionStatus,
        ServiceDefinition,
        ServiceQuota,
        WorkspaceStatus,
    )

    key = ApiKey.objects.select_related("scenario__scenario_type").get(prefix="demo0001")
    definition = ServiceDefinition.objects.select_related("service").get(
        service__code=CODE, status=DefinitionStatus.APPROVED
    )
    scenario = key.scenario
    scope = scenario.scenario_type.scope.select_related("catalog")
    shape = engine.template_check(  # the catalog the template reads
        definition.sql,
        parameters=definition.parameters,
        columns=definition.columns,
        unit=definition.unit,
        scope={item.catalog.code: item.columns for item in scope},
    )
    workspace = scenario.workspaces.filter(status=WorkspaceStatus.READY).latest("version")
    table = data_path(workspace.path) / workspace.manifest["tables"][shape.table]["file"]
    staff = get_user_model().objects.get(username=STAFF[0][0])
    quota = ServiceQuota.objects.filter(
        organization=key.organization, service=definition.service
    ).first()
    restore = {"rate": key.rate_per_minute, "quota": quota.calls_per_day if quota else None}
    api_key_rate_set(by=staff, key=key, rate_per_minute=LIMIT)
    quota_set(
        by=staff, organization=key.organization, service=definition.service, calls_per_day=LIMIT
    )
    with duckdb.connect() as con:
        rows, floor = con.execute(
            f"SELECT count(*), min(chlorophyll_a) FROM read_parquet({_literal(table)})"  # noqa: S608
        ).fetchone()
    return Target(
        secret=DEMO_API_KEY,
        key=key,
        definition=definition,
        organization=key.organization,
        table=table,
        view=shape.table.lower().replace("-", "_"),
        rows=rows,
        floor=floor,
        restore=restore if reuse else {},
    )


def restore_limits(target: Target) -> None:
    from django.contrib.auth import get_user_model

    from demo.management.commands.seed_demo import STAFF
    from scenarios.dataservices.quotas import api_key_rate_set, quota_set

    staff = get_user_model().objects.get(username=STAFF[0][0])
    api_key_rate_set(by=staff, key=target.key, rate_per_minute=target.restore["rate"])
    quota_set(
        by=staff,
        organization=target.organization,
        service=target.definition.service,
        calls_per_day=target.restore["quota"],
    )


def counted(target: Target) -> tuple[int, int]:
    """(ServiceCall rows of the key, the quota counters' sum for the service, all days)."""
    import redis
    from django.conf import settings

    from scenarios.dataservices.calllog import calls_log_drain
    from scenarios.models import ServiceCall

    while calls_log_drain():  # what beat does every few seconds
        pass
    calls = ServiceCall.objects.filter(api_key=target.key).count()
    name = f"{settings.SERVICES_KEY_PREFIX}quota:{target.organization.pk}:{CODE}:"
    with redis.Redis.from_url(settings.SERVICES_REDIS_URL) as client:
        quota = sum(int(client.get(k) or 0) for k in client.scan_iter(match=f"{name}*"))
    return calls, quota


def embedded_redis(var_dir: Path) -> LocalRedis | None:
    """The embedded default's Redis on ``VAR_DIR/redis/redis.sock``, where the settings look
    for it without CELERY_BROKER_URL: None when one answers there (a reused demo's),
    otherwise a throwaway one started here."""
    folder = var_dir / "redis"
    if answers(socket_path(folder)):
        return None
    server = LocalRedis(folder, persistent=False)
    server.start()
    return server


def redis_clean(url: str, prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
    return len(keys)


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, worker_class: str, log
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            *("--workers", str(workers)),
            *("--worker-class", worker_class),  # gthread: one thread, keep-alive connections
            *(("--threads", "1") if worker_class == "gthread" else ()),
            *("--bind", f"127.0.0.1:{port}"),
            "--no-control-socket",  # gunicorn 27's default ~/.gunicorn/gunicorn.ctl is shared
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


# --- report -------------------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(runs: list[Run], args, target: Target, backend: str, load_before) -> None:
    by_label = {run.label: run for run in runs}
    print()
    print(
        f"Data service `{CODE}` on a {target.rows:,}-row buoy workspace (one-week periods, "
        f"{args.result_rows} rows an answer), {backend}; gunicorn {args.workers} "
        f"{args.worker_class} workers "
        f"on 127.0.0.1, load from a separate process; {os.cpu_count()} CPUs, load average "
        f"{load_before[0]:.1f} before the runs, {os.getloadavg()[0]:.1f} after. Each run at "
        f"most {args.calls:,} calls or {args.seconds:g} s. CPU ms/call: gunicorn's master and "
        "workers (HTTP rows; not the database's or Redis's) or this process (the others), "
        "per call. Ratios: this row ÷ the "
        "plain DuckDB row of the same concurrency (calls/s: plain ÷ this)."
    )
    print()
    print(
        "| path | calls | non-200 | cache hits | calls/s | p50 ms | p99 ms | CPU ms/call "
        "| ratio calls/s | ratio CPU/call |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        base = by_label.get(run.baseline)
        rate = f"{base.rate / run.rate:.1f}" if base is not None else "1"
        cpu = f"{run.cpu_ms / base.cpu_ms:.1f}" if base is not None else "1"
        hits = "" if run.hits is None else f"{run.hits:,}"
        print(
            f"| {run.label} | {run.calls:,} | {run.failed} | {hits} | {run.rate:,.1f} "
            f"| {percentile(run.latencies, 50):.1f} | {percentile(run.latencies, 99):.1f} "
            f"| {run.cpu_ms:.1f} | {rate} | {cpu} |"
        )
    print()
    shares = [run.client_cpu / run.seconds for run in runs if run.client_cpu is not None]
    print(
        f"- The load process used {min(shares):.0%} to {max(shares):.0%} of one CPU "
        "during the HTTP runs."
    )
    failures = Counter()
    for run in runs:
        failures.update({s: n for s, n in run.statuses.items() if s != 200})
    print(f"- Non-200 answers: {sum(failures.values())} {dict(failures) or ''}".rstrip())


def as_json(runs: list[Run], args, target: Target, backend: str, load_before) -> dict:
    """The runs as one JSON object: each run's calls/s, p50, p99 and CPU ms per call."""
    return {
        "service": CODE,
        "table_rows": target.rows,
        "result_rows": args.result_rows,
        "backend": backend,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "clients": args.clients,
        "scale": args.scale,
        "cpus": os.cpu_count(),
        "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "runs": [
            {
                "label": run.label,
                "calls": run.calls,
                "failed": run.failed,
                "cache_hits": run.hits,
                "calls_per_second": round(run.rate, 1),
                "p50_ms": round(percentile(run.latencies, 50), 2),
                "p99_ms": round(percentile(run.latencies, 99), 2),
                "cpu_ms_per_call": round(run.cpu_ms, 3),
                "baseline": run.baseline or None,
            }
            for run in runs
        ],
    }


def show_tail(log, lines: int = 30) -> None:
    if log is not None:
        log.seek(0)
        tail = log.read().decode(errors="replace").splitlines()[-lines:]
        print("gunicorn's log, last lines:", *tail, sep="\n  ", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections/threads")
    parser.add_argument("--calls", type=int, default=1500, help="at most this many calls a run")
    parser.add_argument("--seconds", type=float, default=8, help="at most this long a run")
    parser.add_argument("--scale", type=int, default=1, help="seed_demo --scale (fresh only)")
    parser.add_argument("--var-dir", type=Path, help="reuse this seeded VAR_DIR")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--port", type=int, help="gunicorn's port (default: a free one)")
    parser.add_argument("--json", action="store_true", help="one JSON object, not Markdown")
    args = parser.parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs the clean-up below
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("the time budget (--timeout) is spent"))
    signal.alarm(int(args.timeout))

    reuse = args.var_dir is not None
    var_dir = args.var_dir.resolve() if reuse else Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    if not reuse:
        var_dir.chmod(0o755)  # the seed's sandboxed job reaches its workspace through it
    database_url = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    prefix = f"bench-services-{os.getpid()}-{secrets.token_hex(3)}:"
    server = log = pool = target = admin_url = pg_name = redis_server = redis_url = None
    try:
        # DEBUG=0, a secret key, 127.0.0.1; no DATABASE_URL or CELERY_BROKER_URL
        env = bench_env(var_dir)
        if broker:
            env["CELERY_BROKER_URL"] = broker
        else:
            redis_server = embedded_redis(var_dir)
        if reuse:
            env["DATA_ROOT"] = os.environ.get("DATA_ROOT", str(var_dir / "data"))
            if (var_dir / "secret_key").exists():
                env["SECRET_KEY"] = (var_dir / "secret_key").read_text().strip()
            if database_url:
                env["DATABASE_URL"] = database_url
        elif database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
            admin_url, env["DATABASE_URL"], pg_name = postgres_database(database_url)
            postgres(admin_url, "CREATE DATABASE {}", pg_name)
        elif database_url:
            raise SystemExit("DATABASE_URL: PostgreSQL only (or leave it unset for SQLite)")
        env["SERVICES_KEY_PREFIX"] = prefix  # counters and cached results of this run only
        os.environ.update(env)  # before Django is imported
        for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
            if name not in env:
                os.environ.pop(name, None)
        if not reuse:
            migrate(env)
            seed(env, args.scale)
            print(f"  migrated and seeded in {time.monotonic() - started:.1f} s", file=sys.stderr)
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        redis_url = settings.SERVICES_REDIS_URL  # SERVICES_REDIS_URL, or the broker's
        target = prepare(reuse)
        scheme = urlsplit(redis_url).scheme
        where = "on a unix socket" if scheme == "unix" else f"over {scheme}://"
        backend = f"{connection.vendor}, counters and cache in Redis {where}"
        calls_before = counted(target)

        port = args.port or free_port()
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below; its tail shown on error)
        server = start_gunicorn(env, port, args.workers, args.worker_class, log)
        wait_until_up(port, server, timeout=60)
        context = multiprocessing.get_context("spawn")
        pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=context)
        load_before = os.getloadavg()
        runs, args.result_rows, sent = measure(args, pool, server, port, target)
        connection.close()
        calls_after = counted(target)
        if args.json:
            print(json.dumps(as_json(runs, args, target, backend, load_before)))
        else:
            report(runs, args, target, backend, load_before)
        sent += sum(run.calls for run in runs if not run.label.startswith("plain"))
        grown = (calls_after[0] - calls_before[0], calls_after[1] - calls_before[1])
        print(
            f"- Every call counted: {sent:,} calls made (warm-up and check included), "
            f"ServiceCall rows +{grown[0]:,}, daily quota counter +{grown[1]:,}.",
            file=sys.stderr if args.json else sys.stdout,
        )
        print(
            f"Total wall time {time.monotonic() - started:.0f} s (setup included).",
            file=sys.stderr if args.json else sys.stdout,
        )
        if grown != (sent, sent) or any(run.failed for run in runs):
            show_tail(log)
            raise SystemExit("some calls failed or were not counted (see above)")
    except Exception:
        show_tail(log)
        raise
    finally:
        signal.alarm(0)
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if server is not None:
            stop(server)
        if log is not None:
            log.close()
        if target is not None and target.restore:
            restore_limits(target)
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if pg_name is not None:
            postgres(admin_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", pg_name)
        if redis_url:
            redis_clean(redis_url, prefix)
        if redis_server is not None:
            redis_server.stop()
        if not reuse:
            shutil.rmtree(var_dir, ignore_errors=True)


def measure(args, pool, server, port: int, target: Target) -> tuple[list[Run], int, int]:
    """The runs, in order; the rows of one answer; the calls made outside the runs (the
    warm-up and the check)."""
    n, workers, clients, seconds = args.calls, args.workers, args.clients, args.seconds
    # Thresholds under every reading: the same work as no threshold, a distinct cache key.
    # The salt: a reused environment's cache holds no answer to this run's misses.
    salt = round(random.uniform(0, target.floor / 2), 3)
    if salt + (3 * n // STARTS + 1) * THRESHOLD_STEP >= target.floor:
        raise SystemExit(f"--calls {n}: too many calls for distinct thresholds under the data's")
    warm = [url_of(hot_params(i)) for i in range(max(HOT, 10 * workers))]
    answer = pool.submit(load, port, target.secret, warm, clients, 60).result()
    if answer["statuses"] != Counter({200: len(warm)}):
        raise RuntimeError(f"warm-up: {dict(answer['statuses'])}; see the gunicorn log")
    print(f"  warmed up with {len(warm)} calls", file=sys.stderr)
    # The check: an answer over HTTP has the rows plain DuckDB finds for the same values.
    check = miss_params(3 * n, salt)
    rows = http_answer_rows(port, target.secret, check)
    if rows != plain_rows(target, check):
        raise RuntimeError("the service's answer and plain DuckDB's differ in rows")

    runs: list[Run] = []

    def step(run: Run, baseline: str = "") -> None:
        run.baseline = baseline
        runs.append(run)
        print(
            f"  {run.label}: {run.calls} calls, {run.rate:.1f}/s, {run.failed} failed",
            file=sys.stderr,
        )

    def over_http(what: str, paths: list[str], clients: int, baseline: str) -> None:
        connections = f"{clients} client" + ("s" if clients > 1 else "")
        kind = f"{workers} gunicorn {args.worker_class} workers"
        label = f"service over HTTP ({kind}, {connections}), {what}"
        run = http_run(pool, server, label, port, target.secret, paths, clients, seconds)
        step(run, baseline)

    misses = [miss_params(i, salt) for i in range(n)]
    held = held_by_workers(target.table)
    storages = {True: "table in memory", False: "Parquet"}
    sequential, parallel = (
        f"plain DuckDB, same query, {storages[held]}, {count}"
        for count in ("1 thread", f"{clients} threads")
    )
    over_http("cache misses", [url_of(p) for p in misses], clients, parallel)
    over_http("cache hits", [url_of(hot_params(i)) for i in range(n)], clients, parallel)
    single = [url_of(miss_params(i, salt)) for i in range(n, 2 * n)]
    over_http("cache misses", single, 1, sequential)
    in_process = [miss_params(i, salt) for i in range(2 * n, 3 * n)]
    label = "`service_call` in process (no HTTP), 1 caller, cache misses"
    step(in_process_run(label, target.secret, in_process, seconds), sequential)
    bindings = [bindings_of(p) for p in misses]
    for storage in (held, not held):
        for threads, count in ((1, "1 thread"), (clients, f"{clients} threads")):
            label = f"plain DuckDB, same query, {storages[storage]}, {count}"
            step(plain_run(label, target, bindings, threads, seconds, held=storage))
    return runs, len(rows), len(warm) + 1


if __name__ == "__main__":
    main()
