"""``pds``: the platform from the command line (see the README, "Command line: pds")."""

import argparse
import getpass
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from pds.client import (
    EXIT_FAILED,
    EXIT_LOGIN,
    EXIT_USAGE,
    Client,
    PdsError,
    config_load,
    config_save,
)
from pds.local import language_of, output_folder, tables_of, unpack
from pds.local import run as run_local

FINISHED = {"succeeded", "failed", "cancelled", "timed_out", "killed"}
POLL_SECONDS = 1.0
CHECK_WAIT_SECONDS = 120


def emit(args, data, lines) -> None:
    """JSON with --json, else the human lines."""
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for line in lines:
        print(line)


def table(rows: list[list], header: list[str]) -> list[str]:
    cells = [header, *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]


# -- commands ------------------------------------------------------------------------------


def cmd_login(args) -> int:
    password = args.password or os.environ.get("PDS_PASSWORD")
    if not password:
        password = getpass.getpass(f"password of {args.username}: ")
    client = Client.login(args.url, args.username, password)
    me = client.me()
    path = config_save({**config_load(), "url": client.url, "token": client.token})
    emit(
        args,
        {"url": client.url, "username": me.get("username", args.username), "config": str(path)},
        [f"logged in to {client.url} as {me.get('username', args.username)}"],
    )
    return 0


def cmd_logout(args) -> int:
    values = config_load()
    url, token = values.get("url"), values.get("token")
    if not url or not token:
        emit(args, {"url": url, "logged_out": False}, ["not logged in"])
        return 0
    try:
        Client(url, token).logout()
    except PdsError as exc:
        if exc.code != EXIT_LOGIN:  # else the server had ended it already
            raise PdsError(f"{exc}; the token is still valid and kept", exc.code) from None
    path = config_save({key: value for key, value in values.items() if key != "token"})
    emit(
        args,
        {"url": url, "logged_out": True, "config": str(path)},
        [f"logged out of {url}: the token is ended and removed from {path}"],
    )
    return 0


def cmd_scenarios(args) -> int:
    found = Client.from_config().scenarios()
    rows = [
        [s["id"], s["status"], (s.get("workspace") or {}).get("status", "-"), s["name"]]
        for s in found
    ]
    emit(args, found, table(rows, ["ID", "STATUS", "WORKSPACE", "NAME"]))
    return 0


def _job_row(job: dict) -> list:
    kind = "dry run" if job["dry_run"] else "job"
    return [
        job["id"],
        job["scenario"],
        kind,
        job["language"],
        job["status"],
        job["created_at"],
        job.get("name", ""),
    ]


def cmd_jobs(args) -> int:
    found = Client.from_config().jobs(args.scenario)
    rows = [_job_row(job) for job in found]
    emit(
        args,
        found,
        table(rows, ["ID", "SCENARIO", "KIND", "LANGUAGE", "STATUS", "SUBMITTED", "NAME"]),
    )
    return 0


def _failure(job: dict) -> str:
    """The server's reason in the user's language (it names the error's class and line),
    else the class."""
    where = f" at line {job['error_line']}" if job.get("error_line") else ""
    reason = job.get("reason_text") or job.get("reason") or f"{job.get('error_class') or ''}{where}"
    return f"job {job['id']} {job['status']}" + (f": {reason}" if reason.strip() else "")


def cmd_logs(args) -> int:
    client = Client.from_config()
    job = client.job(args.job)
    logs = job.get("logs")
    if logs is None:
        # A real job's stdout and stderr are outputs, in quarantine until released.
        logs = {}
        for output in job["outputs"]:
            if output["kind"] in ("stdout", "stderr") and output["download"]:
                logs[output["kind"]] = client.download(output["download"])[1].decode(
                    errors="replace"
                )
    if args.json:
        emit(args, {"job": job["id"], "status": job["status"], "logs": logs}, [])
        return 0
    for kind in ("stdout", "stderr"):
        if logs.get(kind):
            stream = sys.stdout if kind == "stdout" else sys.stderr
            stream.write(logs[kind])
    if not job["dry_run"] and not logs:
        print(
            f"job {job['id']}: a real job's stdout and stderr are outputs in quarantine "
            f"until released (see `pds outputs {job['id']}`)",
            file=sys.stderr,
        )
    if job["status"] in FINISHED and job["status"] != "succeeded":
        print(_failure(job), file=sys.stderr)
    return 0


def cmd_cancel(args) -> int:
    job = Client.from_config().cancel(args.job)
    state = "cancelled" if job["status"] == "cancelled" else "cancellation requested"
    emit(args, job, [f"job {job['id']}: {state} (status {job['status']})"])
    return 0


def _output_rows(outputs: list[dict]) -> list[str]:
    rows = [
        [o["id"], o["name"], o["kind"], o["check_status"], "yes" if o["released_at"] else "no"]
        for o in outputs
    ]
    return table(rows, ["ID", "NAME", "KIND", "CHECK", "RELEASED"])


def cmd_outputs(args) -> int:
    job = Client.from_config().job(args.job)
    emit(args, job["outputs"], _output_rows(job["outputs"]))
    return 0


def cmd_release(args) -> int:
    found = Client.from_config().release(
        args.outputs, context=args.context, controls=args.controls, exception=args.exception
    )
    names = ", ".join(item["name"] for item in found["items"])
    emit(args, found, [f"release request {found['id']} {found['status']}: {names}"])
    return 0


def cmd_fetch(args) -> int:
    name, content, sha256 = Client.from_config().fetch(args.output)
    if sha256 and hashlib.sha256(content).hexdigest() != sha256:
        raise PdsError(f"output {args.output}: the download does not match its SHA-256")
    name = name or f"output-{args.output}"
    target = Path(args.out or name)
    if args.out and args.out.endswith(("/", os.sep)):
        target.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        target = target / name
    target.write_bytes(content)
    emit(
        args,
        {"output": args.output, "path": str(target), "bytes": len(content), "sha256": sha256},
        [f"{target} ({len(content)} bytes, sha256 {sha256})"],
    )
    return 0


def _check_lines(client: Client, job: dict) -> list[str]:
    lines = []
    for output in job["outputs"]:
        if job["dry_run"]:
            lines.append(f"  {output['id']:>6}  {output['name']}  (dry run: synthetic, no checks)")
            continue
        record = client.output(output["id"])["check_record"] or {}
        checks = record.get("checks") or {}
        flagged = [
            f"{name} {entry.get('status')}"
            for name, entry in checks.items()
            if entry.get("status") not in ("pass", "not_applicable")
        ]
        status = record.get("status", output["check_status"])
        said = f"({', '.join(flagged)})" if flagged else f"({len(checks)} checks)"
        lines.append(f"  {output['id']:>6}  {output['name']}  {status} {said}")
    return lines


def _follow(client: Client, job: dict, args) -> dict:
    """Prints each change of state and new log text until the job finishes."""
    status, printed = None, {}
    while True:
        if job["status"] != status:
            status = job["status"]
            note = (job.get("queue") or {}).get("note", "") if status == "queued" else ""
            if not args.json and status not in FINISHED:  # the end is told with its time
                print(f"job {job['id']}: {status}" + (f" ({note})" if note else ""), flush=True)
        for kind, text in (job.get("logs") or {}).items():
            if not args.json and len(text) > printed.get(kind, 0):
                stream = sys.stdout if kind == "stdout" else sys.stderr
                stream.write(text[printed.get(kind, 0) :])
                stream.flush()
                printed[kind] = len(text)
        if status in FINISHED:
            return job
        time.sleep(POLL_SECONDS)
        job = client.job(job["id"])


def _checked(client: Client, job: dict, args) -> dict:
    """A real job's outputs are checked after it ends, by another worker: waits (up to
    CHECK_WAIT_SECONDS) until none is pending."""
    deadline = time.monotonic() + CHECK_WAIT_SECONDS
    told = False
    while not job["dry_run"] and any(o["check_status"] == "pending" for o in job["outputs"]):
        if time.monotonic() > deadline:
            break
        if not told and not args.json:
            print(f"job {job['id']}: waiting for its outputs' checks", flush=True)
            told = True
        time.sleep(POLL_SECONDS)
        job = client.job(job["id"])
    return job


def cmd_submit(args) -> int:
    path = Path(args.file)
    language = language_of(path)
    code = path.read_text()
    client = Client.from_config()
    job = client.submit(args.scenario, code, language, dry_run=args.dry_run, name=args.name or "")
    label = f" ({job['name']})" if job.get("name") else ""
    if not args.wait:
        emit(args, job, [f"job {job['id']}{label} submitted: {job['status']}"])
        return 0
    if not args.json:
        print(f"job {job['id']}{label} submitted")
    try:
        job = _checked(client, _follow(client, job, args), args)
    except KeyboardInterrupt:
        print(f"\nstopped following job {job['id']}: `pds cancel {job['id']}` cancels it")
        return 130
    if args.json:
        emit(args, job, [])
    else:
        print(f"job {job['id']}: {job['status']} in {job.get('wall_seconds') or 0:.1f} s")
        if job["outputs"]:
            print("outputs:")
            for line in _check_lines(client, job):
                print(line)
    if job["status"] != "succeeded":
        print(_failure(job), file=sys.stderr)
        return EXIT_FAILED
    return 0


def cmd_workspace_pull(args) -> int:
    client = Client.from_config()
    scenario, archive = client.synthetic_workspace(args.scenario)
    folder = Path(args.dir or f"workspace-{scenario['id']}").resolve()
    schema = unpack(archive, folder)
    config_save({**config_load(), "workspace": str(folder)})
    tables = {code: t["rows"] for code, t in schema["tables"].items()}
    summary = ", ".join(f"{code} ({rows} rows)" for code, rows in tables.items())
    emit(
        args,
        {"scenario": scenario["id"], "dir": str(folder), "tables": tables},
        [f"synthetic workspace of scenario {scenario['id']} in {folder}: {summary}"],
    )
    return 0


def cmd_run(args) -> int:
    folder = args.dir or config_load().get("workspace")
    if not folder:
        raise PdsError("no workspace pulled yet: run `pds workspace pull SCENARIO` or give --dir")
    folder = Path(folder)
    tables_of(folder)  # a pulled workspace, before any folder is touched
    output = output_folder(folder, Path(args.out) if args.out else None)
    python = args.python or os.environ.get("PDS_PYTHON") or sys.executable
    if os.sep in python:  # a path: from here, since the job runs in its output folder
        python = os.path.abspath(python)
    status = run_local(Path(args.file), folder, output, python=python)
    files = sorted(p for p in output.iterdir() if p.is_file())
    data = {**status, "output": str(output), "files": [p.name for p in files]}
    lines = [f"{output / p.name} ({p.stat().st_size} bytes)" for p in files]
    if args.json:
        emit(args, data, [])
    else:
        for line in lines:
            print(line)
    if not status.get("ok"):
        where = f" at line {status['line']}" if status.get("line") else ""
        print(f"the job failed: {status.get('error_class') or 'error'}{where}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def cmd_call(args) -> int:
    key = args.key or os.environ.get("PDS_API_KEY")
    if not key:
        raise PdsError("give the service's API key: --key KEY or PDS_API_KEY", EXIT_LOGIN)
    url = args.url or config_load().get("url")
    if not url:
        raise PdsError("no server: give --url, or run `pds login --url URL` first", EXIT_LOGIN)
    parameters = {}
    for given in args.parameters:
        name, equals, value = given.partition("=")
        if not equals or not name:
            raise PdsError(f"a parameter is NAME=VALUE, not {given!r}", EXIT_USAGE)
        parameters[name] = value
    answer = Client(url).call(args.service, key, parameters)
    columns = answer.get("columns", [])
    rows = [
        [*(row.get(c) for c in columns), ";".join(row.get("suppressed", []))]
        for row in answer.get("rows", [])
    ]
    emit(args, answer, table(rows, [*columns, "suppressed"]))
    return 0


# -- the parser ----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON")
    main = argparse.ArgumentParser(
        prog="pds", description="The public-data sandbox from the command line."
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, handler, help_text):
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    sub = command("login", cmd_login, "get a token and store it in the user's config")
    sub.add_argument("--url", required=True, help="the platform, e.g. https://sandbox.example")
    sub.add_argument("--username", required=True)
    sub.add_argument("--password", help="else PDS_PASSWORD, else a prompt")
    command("logout", cmd_logout, "end the token on the server and remove it from the config")
    command("scenarios", cmd_scenarios, "the scenarios you see")
    sub = command("jobs", cmd_jobs, "jobs of one scenario, or of all you see")
    sub.add_argument("--scenario", help="id or exact name")
    sub = command("logs", cmd_logs, "a job's stdout and stderr (dry runs, or released)")
    sub.add_argument("job", type=int)
    sub = command("cancel", cmd_cancel, "cancel a queued or running job")
    sub.add_argument("job", type=int)
    sub = command("outputs", cmd_outputs, "a job's outputs and their checks")
    sub.add_argument("job", type=int)
    sub = command("release", cmd_release, "ask for the release of outputs (two reviewers)")
    sub.add_argument("outputs", type=int, nargs="+", metavar="OUTPUT")
    sub.add_argument("--context", required=True, help="what the outputs show")
    sub.add_argument("--controls", required=True, help="how disclosure was avoided")
    sub.add_argument("--exception", default="", help="why a failed check should be accepted")
    sub = command("fetch", cmd_fetch, "download a released output")
    sub.add_argument("output", type=int)
    sub.add_argument("--out", help="file or folder (default: its name, here)")
    sub = command("call", cmd_call, "call a data service with a scenario's API key")
    sub.add_argument("service", help="the service's code, e.g. redtide-risk")
    sub.add_argument("parameters", nargs="*", metavar="NAME=VALUE")
    sub.add_argument("--key", help="the API key (else PDS_API_KEY)")
    sub.add_argument("--url", help="the platform (else the one of `pds login`)")
    sub = command("submit", cmd_submit, "submit a .sql or .py job")
    sub.add_argument("file")
    sub.add_argument("--scenario", required=True, help="id or exact name")
    sub.add_argument("--dry-run", action="store_true", help="on the synthetic workspace")
    sub.add_argument("--name", help="the job's name (else the code's first comment line)")
    sub.add_argument("--wait", action="store_true", help="follow it; exit 1 if it fails")
    sub = command("run", cmd_run, "run a .sql or .py job locally on a pulled workspace")
    sub.add_argument("file")
    sub.add_argument("--dir", help="the pulled workspace (default: the last one pulled)")
    sub.add_argument("--out", help="a new or empty folder (default: DIR/output, emptied first)")
    sub.add_argument("--python", help="the Python to run it (else PDS_PYTHON, else this one)")

    workspace = commands.add_parser("workspace", help="the synthetic workspace")
    actions = workspace.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub = actions.add_parser(
        "pull", parents=[common], help="download a scenario's synthetic workspace"
    )
    sub.set_defaults(handler=cmd_workspace_pull)
    sub.add_argument("scenario", help="id or exact name")
    sub.add_argument("--dir", help="where (default: workspace-<id>)")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except PdsError as exc:
        print(f"pds: {exc}", file=sys.stderr)
        return exc.code
    except OSError as exc:
        print(f"pds: {exc}", file=sys.stderr)
        return EXIT_FAILED


def entry() -> None:
    sys.exit(main())
