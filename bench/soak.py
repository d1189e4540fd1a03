"""Soak: the embedded default (``make demo``) driven like a busy week, for a bounded time.

Several organizations at once (``xmu_lab`` and ``insurer``, each in its own thread) submit
SQL and Python jobs of about 1 s to 2 minutes (Python: ``time.sleep`` and a real aggregate
through ``workspace.sql``; SQL: aggregates over the scenario's first table, some made
longer by a cross join with ``range``), dry runs, cancellations of queued and running
jobs, and release requests of the checked outputs of succeeded jobs; a third thread calls
the demo's data service with the demo key. Each organization keeps within its limit of
``SANDBOX_MAX_ACTIVE_JOBS`` (10) active jobs; a 409 at that limit, or a 429 from the data
service's rate limit, is expected, not a failure.

When ``--minutes`` are over, nothing more is submitted and every job is followed until it
is finished (``--drain-minutes`` at most). Then it prints:

- lost jobs: answered 201, later not found (404), or back to queued/running after a final
  state;
- stuck jobs: still queued or running after the drain (marked when past their wall limit
  plus ``--margin`` seconds), and jobs that ran past their wall limit plus ``--margin``
  before they ended (a dead worker's job reaped late);
- 5xx answers, and requests that got no answer at all;
- worker restarts: the demo's log lines ``[supervisor] <name> exited (<why>); restarting``.

It exits 1 when lost, stuck, 5xx or unanswered are not all 0. Run from the project root::

    .venv/bin/python -m bench.soak --minutes 30        # --port 8821 --var-dir /tmp/hc-soak

It starts the demo itself (``setsid make demo ADDR=127.0.0.1:<port>`` with its own
``VAR_DIR``, a new temporary folder unless ``--var-dir`` is given) and stops its whole
process group at the end; ``--url`` drives a demo that is already running instead (then
``--demo-log`` names its log, for the restarts).
"""

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-pass-2025"  # noqa: S105 (seed_demo's DEMO_PASSWORD)
ORGANIZATIONS = ("xmu_lab", "insurer")
DEMO_KEY = "sbx_demo0001_xmu-lab-red-tide-demo-key-not-secret"
SERVICE = "redtide-risk"
FINAL = {"succeeded", "failed", "cancelled", "timed_out", "killed"}
ACTIVE_LIMIT = 10  # SANDBOX_MAX_ACTIVE_JOBS
SQL_ROWS_PER_SECOND = 40e6  # the cross join's pace on the 2-core development machine
RESTART_LINE = re.compile(r"^\[supervisor\] .* restarting", re.MULTILINE)


# --- the demo ---------------------------------------------------------------------------------


class Demo:
    """``make demo`` in its own session, with its own VAR_DIR and address; its output in
    ``VAR_DIR/demo.log``."""

    def __init__(self, var_dir: Path, port: int):
        self.var_dir, self.port = var_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = var_dir / "demo.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 900) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir.chmod(0o755)  # the sandbox's own user reaches workspaces through it
        env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
        }
        env["VAR_DIR"] = str(self.var_dir)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["make", "demo", f"ADDR=127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # setsid: one process group to stop at the end
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"make demo exited with {self.process.returncode}; see {self.log_path}"
                )
            if healthz(self.url) == 200:
                return
            time.sleep(1)
        raise TimeoutError(f"the demo was not healthy within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        pgid = self.process.pid  # its own session: the group id is make's pid
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            else:
                continue
            break
        self.process.wait(10)


def healthz(url: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def log_size(log_path: Path | None) -> int:
    return log_path.stat().st_size if log_path is not None and log_path.exists() else 0


def restarts_in(log_path: Path | None, offset: int = 0) -> int | None:
    """Lines of the demo's supervisor saying it restarts a process, written after ``offset``
    (the log's size when the soak began); None: no log to read."""
    if log_path is None or not log_path.exists():
        return None
    with open(log_path, "rb") as log:
        log.seek(offset)
        return len(RESTART_LINE.findall(log.read().decode(errors="replace")))


def supervisor_present() -> bool:
    """Whether the demo restarts what exits (``core/supervisor.py``, used by rundemo)."""
    supervisor = ROOT / "core" / "supervisor.py"
    return supervisor.exists() and "restarting" in supervisor.read_text()


# --- the API ----------------------------------------------------------------------------------


class Tally:
    """Every answer, by what was asked and its status; 5xx and no answer kept in detail."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers: Counter = Counter()  # (what, status)
        self.server_errors: list[str] = []
        self.unanswered: list[str] = []
        self.unexpected: list[str] = []

    def record(self, what: str, status: int | None, detail: str, expected: tuple[int, ...]):
        with self.lock:
            self.answers[(what, status)] += 1
            line = f"{time.strftime('%H:%M:%S')} {what} {status}: {detail[:300]}"
            if status is None:
                self.unanswered.append(line)
            elif status >= 500:
                self.server_errors.append(line)
            elif status not in expected:
                self.unexpected.append(line)


class Client:
    """A small JSON client on urllib: token or API-key authentication, every answer tallied."""

    def __init__(self, url: str, tally: Tally, *, token: str = "", api_key: str = ""):
        self.url, self.tally = url.rstrip("/"), tally
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        if api_key:
            self.headers["Authorization"] = f"ApiKey {api_key}"

    @classmethod
    def login(cls, url: str, tally: Tally, username: str, password: str = PASSWORD) -> "Client":
        anonymous = cls(url, tally)
        status, body = anonymous.call(
            "POST", "/api/v1/auth/token/", {"username": username, "password": password}, "login"
        )
        if status != 200:
            raise RuntimeError(f"{username} could not log in: {status} {body}")
        return cls(url, tally, token=body["token"])

    def call(self, method, path, payload=None, what="", expected=(200, 201), timeout=60):
        data = None if payload is None else json.dumps(payload).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data, headers, method=method)  # noqa: S310
        what = what or f"{method} {path}"
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except OSError as error:  # refused, reset, timed out
            self.tally.record(what, None, f"{path}: {error!r}", expected)
            return None, None
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.tally.record(what, status, f"{path}: {str(body)[:300]}", expected)
        return status, body


def parse_time(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


# --- jobs -------------------------------------------------------------------------------------


@dataclass
class Tracked:
    id: int
    organization: str
    kind: str  # python, sql, dry-run
    planned_seconds: float
    submitted: float
    status: str = "queued"
    wall_limit: float = 600
    created_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    cancel_asked: bool = False
    release_asked: bool = False
    lost: str = ""
    history: list[str] = field(default_factory=list)
    body: dict = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status in FINAL


class Jobs:
    """Every job the soak submitted, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.all: dict[int, Tracked] = {}

    def add(self, job: Tracked) -> None:
        with self.lock:
            self.all[job.id] = job

    def of(self, organization: str) -> list[Tracked]:
        with self.lock:
            return [j for j in self.all.values() if j.organization == organization]


def python_code(table: str, seconds: float) -> str:
    return (
        "import time\n"  # noqa: S608 (a job's code, run in the sandbox)
        "import workspace\n"
        f"time.sleep({seconds:.1f})\n"
        f'frame = workspace.sql("SELECT count(*) AS n FROM {table}")\n'
        'frame.to_csv("summary.csv", index=False)\n'
        "print(frame)\n"
    )


def sql_code(table: str, columns: list[str], repeat: int = 1) -> str:
    if repeat <= 1:
        if "ts" in columns:
            return (
                f"SELECT date_trunc('month', ts) AS month, count(*) AS n FROM {table} "  # noqa: S608
                "GROUP BY 1 ORDER BY 1"
            )
        return f"SELECT count(*) AS n FROM {table}"  # noqa: S608
    # longer: every row against a range, hashed together (its cost grows with repeat)
    return (
        f"SELECT count(*) AS n FROM {table} AS a CROSS JOIN range({repeat}) AS r "  # noqa: S608
        f"WHERE hash(r.range, a.{columns[0]}) % 7 = 0"
    )


def planned_seconds(rng: random.Random, longest: float) -> float:
    """Mostly short jobs, some long: log-uniform between 1 s and ``longest``."""
    return round(min(longest, 10 ** rng.uniform(0, 2.1)), 1)


class Organization(threading.Thread):
    """One organization's member: submits, follows, cancels and asks for release."""

    def __init__(self, name: str, client: Client, jobs: Jobs, stop_at: float, args, seed: int):
        super().__init__(name=name, daemon=True)
        self.client, self.jobs, self.stop_at, self.args = client, jobs, stop_at, args
        self.rng = random.Random(seed)
        self.refused = 0  # 409 at the active-job limit
        self.counts: Counter = Counter()
        _status, me = client.call("GET", "/api/v1/me/", what="me")
        self.organization_id = me["organization"]["id"]
        _status, found = client.call("GET", "/api/v1/scenarios/?status=authorized", what="list")
        scenario = found["results"][0]
        self.scenario = scenario["id"]
        code, table = next(iter(scenario["workspace"]["tables"].items()))
        self.table = code.lower().replace("-", "_")  # the plain alias: hy_0001
        self.columns, self.rows = table["columns"], max(table["rows"], 1)

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            self.follow()
            active = [j for j in self.jobs.of(self.name) if not j.final]
            if len(active) < ACTIVE_LIMIT + 1 and self.rng.random() < 0.6:
                self.submit()  # now and then one beyond the limit: its 409 is expected
            if active and self.rng.random() < 0.03:
                self.cancel(self.rng.choice(active))
            self.ask_release()
            time.sleep(self.rng.uniform(0.5, 2.0))

    def submit(self) -> None:
        roll = self.rng.random()
        seconds = planned_seconds(self.rng, self.args.longest)
        if roll < 0.5:
            kind, payload = (
                "python",
                {"language": "python", "code": python_code(self.table, seconds)},
            )
        elif roll < 0.85:
            seconds = min(seconds, 60)  # two DuckDB threads: within the 300 CPU-second limit
            repeat = 1 if seconds < 3 else int(seconds * SQL_ROWS_PER_SECOND / self.rows)
            kind, payload = (
                "sql",
                {"language": "sql", "code": sql_code(self.table, self.columns, repeat)},
            )
        else:
            kind, seconds = "dry-run", min(seconds, 20)
            language = self.rng.choice(["sql", "python"])
            code = (
                sql_code(self.table, self.columns, 1)
                if language == "sql"
                else python_code(self.table, seconds)
            )
            payload = {"language": language, "code": code, "dry_run": True}
        status, body = self.client.call(
            "POST", f"/api/v1/scenarios/{self.scenario}/jobs/", payload, "submit", (201, 409)
        )
        self.counts[f"submit {status}"] += 1
        if status == 201:
            self.jobs.add(
                Tracked(
                    id=body["id"],
                    organization=self.name,
                    kind=kind,
                    planned_seconds=seconds,
                    submitted=time.time(),
                    wall_limit=body["limits"]["wall_seconds"],
                    created_at=parse_time(body["created_at"]),
                )
            )
        elif status == 409:
            self.refused += 1

    def follow(self, everything: bool = False) -> None:
        """Refresh unfinished jobs (and succeeded ones until their release is asked)."""
        for job in self.jobs.of(self.name):
            awaiting_release = (
                job.status == "succeeded" and job.kind != "dry-run" and not job.release_asked
            )
            if job.lost or (job.final and not awaiting_release and not everything):
                continue
            self.refresh(job)

    def refresh(self, job: Tracked) -> None:
        status, body = self.client.call(
            "GET", f"/api/v1/jobs/{job.id}/", what="job", expected=(200,)
        )
        if status == 404:
            job.lost = job.lost or "not found (404)"
            return
        if status != 200:
            return
        if job.final and body["status"] not in FINAL:
            job.lost = job.lost or f"{job.status} then {body['status']}"
        if body["status"] != job.status:
            job.history.append(f"{time.strftime('%H:%M:%S')} {body['status']}")
        job.status, job.body = body["status"], body
        job.started_at = parse_time(body["started_at"])
        job.finished_at = parse_time(body["finished_at"])

    def cancel(self, job: Tracked) -> None:
        status, _body = self.client.call(
            "POST", f"/api/v1/jobs/{job.id}/cancel/", what="cancel", expected=(200, 409)
        )
        self.counts[f"cancel {status}"] += 1
        job.cancel_asked = True

    def ask_release(self) -> None:
        """The checked outputs of one succeeded real job, asked for release once."""
        for job in self.jobs.of(self.name):
            if job.status != "succeeded" or job.kind == "dry-run" or job.release_asked:
                continue
            outputs = [o for o in job.body.get("outputs", []) if o["kind"] == "file"]
            if any(o["check_status"] == "pending" for o in outputs):
                continue  # its checks are still running: later
            job.release_asked = True
            items = [
                {
                    "output": o["id"],
                    "context": "Soak test: counts of the workspace table.",
                    "controls": "Aggregates only; checked automatically.",
                }
                for o in outputs
                if o["check_status"] in ("pass", "review")
            ]
            if not items:
                continue
            status, _body = self.client.call(
                "POST",
                "/api/v1/release-requests/",
                {"scenario": self.scenario, "items": items},
                "release",
                (201, 409),
            )
            self.counts[f"release {status}"] += 1
            return


class Services(threading.Thread):
    """Calls of the demo's data service with the demo key: a random week of 2025."""

    def __init__(self, client: Client, stop_at: float, seed: int):
        super().__init__(name="services", daemon=True)
        self.client, self.stop_at, self.rng = client, stop_at, random.Random(seed)
        self.counts: Counter = Counter()

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            start = date(2025, 1, 1) + timedelta(days=self.rng.randrange(358))
            query = {"period": f"{start}/{start + timedelta(days=6)}"}
            if self.rng.random() < 0.5:
                query["min_chlorophyll_a"] = self.rng.choice([5, 10, 20])
            status, _body = self.client.call(
                "GET",
                f"/api/v1/services/{SERVICE}/call?{urlencode(query)}",
                what="service",
                expected=(200, 429),
            )
            self.counts[f"service {status}"] += 1
            time.sleep(self.rng.uniform(1.5, 4.5))


def ensure_compute(url: str, tally: Tally, organizations: list[Organization]) -> None:
    """The operator grants 100 CPU-hours to an organization left with less than 5."""
    operator = None
    for org in organizations:
        _status, compute = org.client.call(
            "GET", f"/api/v1/organizations/{org.organization_id}/compute/", what="compute"
        )
        if compute and compute["balance_hours"] >= 5:
            continue
        operator = operator or Client.login(url, tally, "operator")
        operator.call(
            "POST",
            f"/api/v1/organizations/{org.organization_id}/compute/",
            {
                "cpu_hours": "100",
                "valid_until": str(date.today() + timedelta(days=30)),
                "reason": "soak test",
            },
            "voucher",
        )


# --- the run ----------------------------------------------------------------------------------


def drain(organizations: list[Organization], jobs: Jobs, minutes: float) -> float:
    """Follow every job until all are finished or ``minutes`` have passed; seconds taken."""
    began = time.monotonic()
    deadline = began + minutes * 60
    while time.monotonic() < deadline:
        for org in organizations:
            org.follow()
            org.ask_release()
        if all(j.final or j.lost for j in jobs.all.values()):
            break
        time.sleep(2)
    for org in organizations:
        org.follow(everything=True)  # a finished job must stay finished
    return time.monotonic() - began


def report(args, jobs: Jobs, tally: Tally, organizations, services, restarts, drained) -> int:
    now = time.time()
    everything = list(jobs.all.values())
    lost = [j for j in everything if j.lost]
    # A job that ran far past its wall limit before it ended was stuck meanwhile (a dead
    # worker's job that nothing reaped in time): it counts too.
    overdue = [
        j
        for j in everything
        if j.started_at
        and j.finished_at
        and j.finished_at - j.started_at > j.wall_limit + args.margin
    ]
    stuck = [j for j in everything if not j.final and not j.lost] + overdue
    print()
    print(
        f"Soak of {args.minutes:g} min against {args.url} "
        f"({len(organizations)} organizations and the data service at once), "
        f"drained in {drained:.0f} s"
    )
    print()
    print("| jobs | submitted (201) | succeeded | failed | cancelled | timed out | killed |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in ("python", "sql", "dry-run"):
        of_kind = [j for j in everything if j.kind == kind]
        by = Counter(j.status for j in of_kind)
        print(
            f"| {kind} | {len(of_kind)} | {by['succeeded']} | {by['failed']} | "
            f"{by['cancelled']} | {by['timed_out']} | {by['killed']} |"
        )
    runs = [j.finished_at - j.started_at for j in everything if j.started_at and j.finished_at]
    waits = [j.started_at - j.created_at for j in everything if j.started_at and j.created_at]
    if runs:
        print()
        print(
            f"Run time (started to finished): median {statistics.median(runs):.1f} s, "
            f"max {max(runs):.1f} s; wait (submitted to started): median "
            f"{statistics.median(waits):.1f} s, max {max(waits):.1f} s."
        )
    refused = sum(org.refused for org in organizations)
    cancels = Counter()
    releases = Counter()
    for org in organizations:
        cancels.update({k: v for k, v in org.counts.items() if k.startswith("cancel")})
        releases.update({k: v for k, v in org.counts.items() if k.startswith("release")})
    print(
        f"Refused at the active-job limit (409, expected): {refused}. "
        f"Cancellations: {dict(cancels)}. Release requests: {dict(releases)}. "
        f"Data-service calls: {dict(services.counts)}."
    )
    failed = [j for j in everything if j.status in ("failed", "killed", "timed_out")]
    for job in failed[:10]:
        print(f"  job {job.id} ({job.kind}) {job.status}: {job.body.get('reason', '')[:160]}")
    print()
    print(f"lost jobs: {len(lost)}")
    for job in lost:
        print(f"  job {job.id} ({job.organization}, {job.kind}): {job.lost}")
    print(f"stuck jobs: {len(stuck)}")
    for job in overdue:
        print(
            f"  job {job.id} ({job.organization}, {job.kind}) ran "
            f"{job.finished_at - job.started_at:.0f} s, past its wall limit + margin, "
            f"then ended {job.status}; history {job.history}"
        )
    for job in stuck[: len(stuck) - len(overdue)]:
        since = job.started_at if job.status == "running" else job.created_at
        age = now - (since or job.submitted)
        past = " PAST its wall limit + margin" if age > job.wall_limit + args.margin else ""
        print(
            f"  job {job.id} ({job.organization}, {job.kind}) {job.status} for {age:.0f} s{past}; "
            f"history {job.history}"
        )
    print(f"5xx responses: {len(tally.server_errors)}")
    for line in tally.server_errors[:20]:
        print(f"  {line}")
    print(f"requests without an answer: {len(tally.unanswered)}")
    for line in tally.unanswered[:20]:
        print(f"  {line}")
    if tally.unexpected:
        print(f"other unexpected answers (not counted as failures): {len(tally.unexpected)}")
        for line in tally.unexpected[:10]:
            print(f"  {line}")
    if restarts is None:
        print("worker restarts: unknown (no demo log to read; give --demo-log)")
    elif not supervisor_present():
        print(f"worker restarts: {restarts} (rundemo has no supervisor yet: it restarts nothing)")
    else:
        print(f"worker restarts: {restarts}")
    bad = len(lost) + len(stuck) + len(tally.server_errors) + len(tally.unanswered)
    print()
    print("PASS: nothing lost, stuck or answered 5xx" if bad == 0 else "FAIL")
    return 0 if bad == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30, help="how long jobs are submitted")
    parser.add_argument("--drain-minutes", type=float, default=12, help="longest wait at the end")
    parser.add_argument("--longest", type=float, default=120, help="longest planned job (s)")
    parser.add_argument("--margin", type=float, default=60, help="beyond a job's wall limit (s)")
    parser.add_argument("--port", type=int, default=8821, help="the demo's port (127.0.0.1)")
    parser.add_argument("--var-dir", type=Path, help="the demo's VAR_DIR (default: a new one)")
    parser.add_argument("--url", help="drive a demo already running at this URL")
    parser.add_argument("--demo-log", type=Path, help="with --url: its log, for the restarts")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs the clean-up below

    demo = None
    if args.url is None:
        var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="hc-soak-", dir="/tmp"))
        demo = Demo(var_dir, args.port)
        args.url = demo.url
        print(
            f"starting the demo on {demo.url}, VAR_DIR {var_dir} (log {demo.log_path})",
            file=sys.stderr,
        )
    log = demo.log_path if demo is not None else args.demo_log
    offset = log_size(log)  # restarts are counted in what the log gains from now on
    try:
        if demo is not None:
            began = time.monotonic()
            demo.start()
            print(f"  healthy after {time.monotonic() - began:.0f} s", file=sys.stderr)
        tally, jobs = Tally(), Jobs()
        stop_at = time.monotonic() + args.minutes * 60
        organizations = [
            Organization(
                name, Client.login(args.url, tally, name), jobs, stop_at, args, args.seed + i
            )
            for i, name in enumerate(ORGANIZATIONS)
        ]
        ensure_compute(args.url, tally, organizations)
        services = Services(Client(args.url, tally, api_key=DEMO_KEY), stop_at, args.seed + 99)
        threads = [*organizations, services]
        for thread in threads:
            thread.start()
        while time.monotonic() < stop_at:
            time.sleep(min(60, max(0.1, stop_at - time.monotonic())))
            status = healthz(args.url)
            tally.record("healthz", status, "", (200,))
            active = sum(1 for j in jobs.all.values() if not j.final)
            print(
                f"  {len(jobs.all)} jobs submitted, {active} active, healthz {status}",
                file=sys.stderr,
            )
        for thread in threads:
            thread.join(300)
        print(
            f"  submitting stopped; draining (at most {args.drain_minutes:g} min)", file=sys.stderr
        )
        drained = drain(organizations, jobs, args.drain_minutes)
        restarts = restarts_in(log, offset)
        return report(args, jobs, tally, organizations, services, restarts, drained)
    finally:
        if demo is not None:
            demo.stop()


if __name__ == "__main__":
    sys.exit(main())
