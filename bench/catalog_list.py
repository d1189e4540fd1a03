"""Catalog list and search with 10,000 catalogs: latency through the API on a local server.

A throwaway SQLite database under a temporary VAR_DIR gets one real catalog, made through
the services (tests/factories.py), and copies of it up to ``--catalogs``; gunicorn (two
workers) serves it on 127.0.0.1. Each query is requested ``--requests`` times in sequence
after a warm-up, with a staff user's API token; the baseline is the same query as plain
SQL (count, then the page with its joins) through sqlite3 on the same database file.

Run from the project root::

    .venv/bin/python -m bench.catalog_list

The server is stopped and the temporary directory removed at the end, whatever happens.
"""

import argparse
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 50  # REST_FRAMEWORK["PAGE_SIZE"]
STAFF = "bench_staff"
THEMES = [  # (name, English name, summary, keywords) of the copies, in turn
    ("海洋浮标观测", "Buoy observations", "近岸浮标水质与气象观测", "浮标, buoy, 水质, water"),
    ("在港船舶动态", "Vessels in port", "厦门港在港船舶到离港记录", "船舶, vessel, 港口, port"),
    ("公交车辆位置", "Bus positions", "公交车辆实时位置与到站记录", "公交, bus, 交通, transit"),
    ("逐时降雨量", "Hourly rainfall", "自动气象站逐时降雨量", "降雨, rainfall, 气象, weather"),
    ("河道水位监测", "River levels", "主要河道水位与流量监测", "水位, river, 水利, flood"),
    ("空气质量监测", "Air quality", "空气质量自动监测站小时数据", "空气, air, 环境, pm2.5"),
]
FREQUENCIES = ["daily", "realtime", "weekly", "monthly", "yearly", "irregular"]


@dataclass
class Query:
    label: str
    path: str
    sql_where: str = ""  # plain-SQL condition on c (catalog) and z (zone)
    sql_params: tuple = ()
    page: int = 1
    detail: bool = False
    hits: int | None = None
    http_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)


# --- environment and data -------------------------------------------------------------------


def bench_env(var_dir: Path) -> dict[str, str]:
    """The environment of every process: the embedded defaults under a throwaway VAR_DIR."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(var_dir),
        DATA_ROOT=str(var_dir / "data"),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )


def populate(total: int, source_dir: Path) -> str:
    """One catalog through the services, then copies up to ``total``; the database path."""
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from operation.models import Catalog, CatalogField, DataZone
    from operation.services.catalogs import _search_text
    from tests.factories import published_vessel_catalog, staff_user

    staff = staff_user(STAFF)
    real = published_vessel_catalog(staff, source_dir)  # HY-0001, through the services
    fields = list(real.fields.order_by("position"))
    zones = list(DataZone.objects.order_by("position"))
    numbers = {zone.pk: 1 for zone in zones}
    numbers[real.zone_id] = 2
    now = timezone.now()

    # A benchmark's setup: bulk ORM inserts (no audit events, no versions), copying the
    # real catalog's fields. The level is varied so that the level filter selects a
    # share of the catalogs (the services would derive L4 from these fields).
    copies = []
    for i in range(1, total):
        zone = zones[i % len(zones)]
        name, name_en, summary, keywords = THEMES[i % len(THEMES)]
        catalog = Catalog(
            code=f"{zone.code_prefix}-{numbers[zone.pk]:04d}",
            name=f"{name}{i:05d}",
            name_en=f"{name_en} {i:05d}",
            zone=zone,
            provider_id=real.provider_id,
            resource_version_id=real.resource_version_id,
            summary=summary,
            keywords=keywords,
            update_frequency=FREQUENCIES[i % len(FREQUENCIES)],
            status="published",
            level=1 + (i // len(zones)) % 4,
            version=1,
            published_at=now,
        )
        numbers[zone.pk] += 1
        catalog.search_text = _search_text(catalog, fields)
        copies.append(catalog)
    with transaction.atomic():
        Catalog.objects.bulk_create(copies, batch_size=500)
        CatalogField.objects.bulk_create(
            (
                CatalogField(
                    catalog=catalog,
                    position=f.position,
                    column=f.column,
                    name_zh=f.name_zh,
                    data_type=f.data_type,
                    description=f.description,
                    level=f.level,
                    is_identifier=f.is_identifier,
                    masking=f.masking,
                    generalize=f.generalize,
                )
                for catalog in copies
                for f in fields
            ),
            batch_size=1000,
        )
    assert Catalog.objects.count() == total
    database = str(connection.settings_dict["NAME"])
    connection.close()
    return database


# --- server and requests ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, *, headers=None, body=None):
    """One request on a new connection (gunicorn's sync workers close it anyway)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        begin = time.perf_counter()
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - begin) * 1000
    finally:
        conn.close()


def wait_until_up(port: int, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            request(port, "GET", "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the server did not answer within {timeout:.0f} s")


def api_token(port: int, password: str) -> str:
    status, data, _ms = request(
        port,
        "POST",
        "/api/v1/auth/token/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"username": STAFF, "password": password}),
    )
    if status != 200:
        raise RuntimeError(f"token: HTTP {status} {data[:200]!r}")
    return json.loads(data)["token"]


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session, started above
            server.wait(10)


# --- plain SQL --------------------------------------------------------------------------------


class PlainSQL:
    """The API's queries as hand-written SQL, as the ORM sends them minus authentication: a
    count and a page with the list's joins, or the detail's catalog and its fields."""

    def __init__(self, database: str):
        from operation.models import Catalog, CatalogField, DataZone, ResourceVersion
        from tenants.models import Organization

        self.db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        self.catalog = Catalog._meta.db_table
        self.fields = CatalogField._meta.db_table
        self.with_zone = f"{self.catalog} c JOIN {DataZone._meta.db_table} z ON z.id = c.zone_id"
        self.joins = (
            f"{self.with_zone} JOIN {Organization._meta.db_table} o ON o.id = c.provider_id "
            f"JOIN {ResourceVersion._meta.db_table} r ON r.id = c.resource_version_id"
        )

    def run(self, query: Query) -> None:
        where = f"WHERE {query.sql_where}" if query.sql_where else ""
        params = query.sql_params
        if query.detail:
            row = self.db.execute(self._sql(f"{where} LIMIT 1"), params).fetchone()
            self.db.execute(
                f"SELECT * FROM {self.fields} WHERE catalog_id = ? ORDER BY position",  # noqa: S608
                (row[0],),
            ).fetchall()
            return
        # Like the ORM's count: only the joins that the filter needs.
        tables = self.with_zone if "z." in where else f"{self.catalog} c"
        count_sql = f"SELECT COUNT(*) FROM {tables} {where}"  # noqa: S608
        self.db.execute(count_sql, params).fetchone()
        offset = (query.page - 1) * PAGE_SIZE
        page = self._sql(f"{where} ORDER BY c.code LIMIT {PAGE_SIZE} OFFSET {offset}")
        self.db.execute(page, params).fetchall()

    def _sql(self, tail: str) -> str:
        return f"SELECT c.*, z.*, o.*, r.* FROM {self.joins} {tail}"  # noqa: S608

    def close(self) -> None:
        self.db.close()


def queries(total: int) -> list[Query]:
    last = math.ceil(total / PAGE_SIZE)
    api = "/api/v1/catalogs/"
    like = "c.search_text LIKE ? ESCAPE '\\'"
    return [
        Query("list, page 1", api),
        Query("search 船舶", f"{api}?{urlencode({'search': '船舶'})}", like, ("%船舶%",)),
        Query("search vessel", f"{api}?search=vessel", like, ("%vessel%",)),
        # Every copy has the vessel catalog's fields (船舶类型, vessel_name), so the two
        # searches above match every catalog; this one matches one theme in six.
        Query("search 浮标", f"{api}?{urlencode({'search': '浮标'})}", like, ("%浮标%",)),
        Query(
            "zone=marine & level=2",
            f"{api}?zone=marine&level=2",
            "z.key = ? AND c.level = ?",
            ("marine", 2),
        ),
        Query(f"page {last} of {last}", f"{api}?page={last}", page=last),
        Query("detail HY-0001", f"{api}HY-0001/", "c.code = ?", ("HY-0001",), detail=True),
    ]


def measure(port, token, plain: PlainSQL, query: Query, n: int, warmup: int, deadline) -> None:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    for i in range(warmup + n):
        if time.monotonic() > deadline:
            raise TimeoutError("the time budget (--timeout) is spent")
        status, data, ms = request(port, "GET", query.path, headers=headers)
        if status != 200:
            raise RuntimeError(f"{query.path}: HTTP {status} {data[:200]!r}")
        if i == 0:
            query.hits = json.loads(data).get("count", 1)
        if i >= warmup:
            query.http_ms.append(ms)
    for i in range(warmup + n):
        begin = time.perf_counter()
        plain.run(query)
        if i >= warmup:
            query.sql_ms.append((time.perf_counter() - begin) * 1000)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def report(queries_done: list[Query], total: int, n: int) -> None:
    print()
    print(
        f"Catalog API with {total:,} catalogs: gunicorn, 2 sync workers, SQLite, 127.0.0.1; "
        f"{n} sequential requests per query after warm-up, staff token"
    )
    print()
    print("| query | median ms | p95 ms | plain SQL median ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for q in queries_done:
        http_median, sql_median = statistics.median(q.http_ms), statistics.median(q.sql_ms)
        label = f"{q.label} ({q.hits:,} hits)" if not q.detail else q.label
        print(
            f"| {label} | {http_median:.1f} | {p95(q.http_ms):.1f} | {sql_median:.2f} "
            f"| {http_median / sql_median:.1f} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="measured requests per query")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + args.timeout
    # SIGTERM runs the clean-up below too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    var_dir = Path(tempfile.mkdtemp(prefix="sandbox-bench-catalogs-"))
    server = log = None
    try:
        env = bench_env(var_dir)
        os.environ.update(env)  # before Django is imported
        for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
            os.environ.pop(name, None)
        migrate(env)
        source_dir = var_dir / "source"
        source_dir.mkdir()
        database = populate(args.catalogs, source_dir)
        print(f"setup: {time.monotonic() - started:.1f} s", file=sys.stderr)

        port = free_port()
        log = open(var_dir / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(port, server, timeout=60)
        from tests.factories import PASSWORD

        token = api_token(port, PASSWORD)
        plain = PlainSQL(database)
        done = []
        try:
            for query in queries(args.catalogs):
                measure(port, token, plain, query, args.requests, args.warmup, deadline)
                done.append(query)
                print(f"  {query.label}: done", file=sys.stderr)
        finally:
            plain.close()
        report(done, args.catalogs, args.requests)
        print()
        print(f"Total wall time {time.monotonic() - started:.0f} s (setup included).")
    finally:
        if server is not None:
            stop(server)
        if log is not None:
            log.close()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
