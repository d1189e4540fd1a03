"""Fair dispatch across organizations: a single job behind another organization's burst.

Organization A (``xmu_lab``) submits ``--jobs`` (10, its whole active-job allowance)
Python jobs of about ``--seconds`` (5) each (``time.sleep`` and a count through
``workspace.sql``); at once organization B (``insurer``) submits one such job. Every job is
followed to its end, and its wait (``created_at`` to ``started_at``) and run
(``started_at`` to ``finished_at``) are read from the API, i.e. from the server's clock.
With fair dispatch B's job takes the first slot that frees: it waits no longer than about
one job's run, whatever A has queued; first-in first-out makes it wait behind all of A's
(about ``jobs / slots`` runs). Repeated ``--rounds`` times (3), each on an idle queue.

It prints per round B's wait, A's median run, A's median and longest wait and the slots
seen busy at once, then the verdict: B's median wait against ``--tolerance`` (1.5) times
A's median run. Exit status 1 when that is exceeded. Run from the project root::

    .venv/bin/python -m bench.fairness              # --port 8823 --var-dir /tmp/hc-fair

Like ``bench.soak`` it starts ``make demo`` itself (its own VAR_DIR and port, stopped at
the end); ``--url`` measures a running demo or deployment instead (PostgreSQL and Redis
with real workers, seeded by ``seed_demo``).
"""

import argparse
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.soak import Client, Demo, Tally, parse_time, python_code

FIRST, SECOND = "xmu_lab", "insurer"
FINAL = {"succeeded", "failed", "cancelled", "timed_out", "killed"}


class Member:
    """An organization's member and its authorized scenario's first table."""

    def __init__(self, url: str, tally: Tally, username: str):
        self.username = username
        self.client = Client.login(url, tally, username)
        _status, found = self.client.call("GET", "/api/v1/scenarios/?status=authorized")
        scenario = found["results"][0]
        self.scenario = scenario["id"]
        self.table = next(iter(scenario["workspace"]["tables"])).lower().replace("-", "_")

    def submit(self, seconds: float) -> int:
        status, body = self.client.call(
            "POST",
            f"/api/v1/scenarios/{self.scenario}/jobs/",
            {"language": "python", "code": python_code(self.table, seconds)},
            expected=(201,),
        )
        if status != 201:
            raise RuntimeError(f"{self.username} could not submit: {status} {body}")
        return body["id"]

    def job(self, job_id: int) -> dict:
        status, body = self.client.call("GET", f"/api/v1/jobs/{job_id}/", expected=(200,))
        if status != 200:
            raise RuntimeError(f"job {job_id}: {status} {body}")
        return body

    def active(self) -> int:
        """Jobs of this scenario still queued or running (the newest page is enough)."""
        _status, found = self.client.call("GET", f"/api/v1/scenarios/{self.scenario}/jobs/")
        return sum(1 for job in found["results"] if job["status"] not in FINAL)


def wait_idle(members: list[Member], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(member.active() for member in members):
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs still active after {timeout:.0f} s: the queue is not idle")
        time.sleep(2)


def follow(member: Member, ids: list[int], timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = [member.job(job_id) for job_id in ids]
        if all(job["status"] in FINAL for job in jobs):
            return jobs
        if time.monotonic() > deadline:
            late = [(job["id"], job["status"]) for job in jobs if job["status"] not in FINAL]
            raise TimeoutError(f"jobs not finished within {timeout:.0f} s: {late}")
        time.sleep(0.5)


def times(job: dict) -> tuple[float, float]:
    """(wait, run) in seconds, from the server's timestamps."""
    created, started = parse_time(job["created_at"]), parse_time(job["started_at"])
    finished = parse_time(job["finished_at"])
    if job["status"] != "succeeded" or started is None or finished is None:
        raise RuntimeError(f"job {job['id']} ended {job['status']}: {job['reason']}")
    return started - created, finished - started


def busy_at_once(jobs: list[dict]) -> int:
    """The most jobs seen running at the same moment: the slots the workers gave."""
    edges = []
    for job in jobs:
        edges += [(parse_time(job["started_at"]), 1), (parse_time(job["finished_at"]), -1)]
    running = most = 0
    for _moment, step in sorted(edges, key=lambda edge: (edge[0], edge[1])):
        running += step
        most = max(most, running)
    return most


def one_round(first: Member, second: Member, args) -> dict:
    burst = [first.submit(args.seconds) for _ in range(args.jobs)]
    single = second.submit(args.seconds)
    timeout = args.jobs * (args.seconds + 30) + 120
    burst_jobs = follow(first, burst, timeout)
    single_job = follow(second, [single], timeout)[0]
    waits, runs = zip(*(times(job) for job in burst_jobs), strict=True)
    single_wait, _single_run = times(single_job)
    median_run = statistics.median(runs)
    return {
        "single_wait": single_wait,
        "median_run": median_run,
        "median_wait": statistics.median(waits),
        "max_wait": max(waits),
        "slots": busy_at_once([*burst_jobs, single_job]),
        "ratio": single_wait / median_run,
    }


def report(args, rounds: list[dict]) -> int:
    print()
    print(
        f"Fair dispatch: {FIRST} submits {args.jobs} Python jobs of ~{args.seconds:g} s, "
        f"then {SECOND} one; {len(rounds)} rounds against {args.url}"
    )
    print()
    print(
        f"| round | {SECOND}'s wait (s) | {FIRST}'s median run (s) | wait / run | "
        f"{FIRST}'s median wait (s) | {FIRST}'s longest wait (s) | slots busy at once |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for index, r in enumerate(rounds, 1):
        print(
            f"| {index} | {r['single_wait']:.1f} | {r['median_run']:.1f} | {r['ratio']:.2f} | "
            f"{r['median_wait']:.1f} | {r['max_wait']:.1f} | {r['slots']} |"
        )
    ratio = statistics.median(r["ratio"] for r in rounds)
    fair = ratio <= args.tolerance
    print()
    print(
        f"{SECOND}'s median wait is {ratio:.2f} of {FIRST}'s median run (goal: at most "
        f"{args.tolerance:g}, about one job's run): {'FAIR' if fair else 'UNFAIR'}"
    )
    return 0 if fair else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="organization A's burst")
    parser.add_argument("--seconds", type=float, default=5, help="each job's sleep")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tolerance", type=float, default=1.5, help="wait / run allowed")
    parser.add_argument("--port", type=int, default=8823, help="the demo's port (127.0.0.1)")
    parser.add_argument("--var-dir", type=Path, help="the demo's VAR_DIR (default: a new one)")
    parser.add_argument("--url", help="measure a demo or deployment already running here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs the clean-up below

    demo = None
    if args.url is None:
        var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="hc-fair-", dir="/tmp"))
        demo = Demo(var_dir, args.port)
        args.url = demo.url
        print(f"starting the demo on {demo.url}, VAR_DIR {var_dir}", file=sys.stderr)
    try:
        if demo is not None:
            demo.start()
        tally = Tally()
        members = [Member(args.url, tally, FIRST), Member(args.url, tally, SECOND)]
        rounds = []
        for index in range(args.rounds):
            wait_idle(members, timeout=900)
            rounds.append(one_round(*members, args))
            print(
                f"  round {index + 1}: {SECOND} waited {rounds[-1]['single_wait']:.1f} s",
                file=sys.stderr,
            )
        return report(args, rounds)
    finally:
        if demo is not None:
            demo.stop()


if __name__ == "__main__":
    sys.exit(main())
