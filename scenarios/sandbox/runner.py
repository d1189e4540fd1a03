"""Runs one job inside the sandbox.

Executed by the sandbox's own Python (``SANDBOX_PYTHON``) as ``python runner.py SPEC``; it
imports nothing from the project and sees only what bubblewrap mounts: the workspace
(read-only), the output folder, a private /tmp and the job's spec. It reports the outcome
in ``status.json``: the error's class and line only, which the worker bounds again.

SQL jobs: each workspace table is a view named by its catalog code ("HY-0001", quoted) and
by the same in lower case with underscores (hy_0001). A line
``-- output: NAME`` names the result of the statement after it, saved as ``NAME.csv``;
without any such line, the result of the last statement is saved as ``result.csv``.
``COPY (...) TO '<output folder>/file.parquet'`` works too.

Python jobs: ``import workspace`` gives ``workspace.table(code)`` (a pandas DataFrame),
``workspace.sql(query)`` (DuckDB over the same views), ``workspace.tables()`` and
``workspace.OUTPUT`` (the output folder, also the working directory).
"""

import errno
import json
import math
import os
import re
import resource
import sys
import types
from pathlib import Path

EXIT_ERROR = 1
EXIT_MEMORY = 3
MARKER = re.compile(r"^[ \t]*--[ \t]*output:[ \t]*([A-Za-z0-9_.-]{1,80})[ \t]*$", re.M | re.I)


def alias(code: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", code.lower())


# What a connection is made of: a warm sandbox's connection, made before its job arrived,
# serves the job when the job's spec gives the same.
CONNECTION = ("workspace", "output", "tables", "duckdb_memory", "threads", "tmp")
_made_ahead: dict = {}
_fast_exit = False


def _connection_key(spec: dict) -> str:
    return json.dumps([spec.get(name) for name in CONNECTION], sort_keys=True)


def connect(spec: dict):
    """DuckDB with the workspace's tables as views, then locked down: files only inside the
    workspace and the output folder, no extension, no configuration change."""
    if _made_ahead.get("key") == _connection_key(spec):
        _made_ahead.pop("key")
        return _made_ahead.pop("connection")
    import duckdb

    workspace, output = spec["workspace"], spec["output"]
    connection = duckdb.connect(
        config={
            "memory_limit": spec["duckdb_memory"],
            "threads": spec["threads"],
            "temp_directory": spec["tmp"] + "/duckdb",
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    for code, file in spec["tables"].items():
        path = "'" + f"{workspace}/{file}".replace("'", "''") + "'"
        # By its code ("HY-0001", quoted in SQL) and as a plain identifier (hy_0001).
        for name in dict.fromkeys([code, alias(code)]):
            quoted = '"' + name.replace('"', '""') + '"'
            connection.execute(f"CREATE VIEW {quoted} AS SELECT * FROM read_parquet({path})")
    allowed = ", ".join("'" + p.replace("'", "''") + "/'" for p in (workspace, output))
    for statement in (
        "SET enable_progress_bar = false",
        f"SET allowed_directories = [{allowed}]",
        "SET enable_external_access = false",
        "SET lock_configuration = true",
    ):
        connection.execute(statement)
    return connection


def _line_of(code: str, offset: int) -> int:
    return code.count("\n", 0, offset) + 1


def run_sql(spec: dict, code: str, state: dict) -> None:
    connection = connect(spec)
    output = Path(spec["output"])
    marks = list(MARKER.finditer(code))
    # (offset, name): sections of code; a named section saves its first statement's result.
    bounds = [(0, None)] + [(m.end(), m.group(1)) for m in marks]
    last = None
    for index, (start, name) in enumerate(bounds):
        end = marks[index].start() if index < len(marks) else len(code)
        section = code[start:end]
        cursor = 0
        for position, statement in enumerate(connection.extract_statements(section)):
            text = statement.query
            found = section.find(text.strip()[:40], cursor)
            cursor = max(found, cursor)
            state["line"] = _line_of(code, start + cursor)
            relation = connection.sql(text)
            if relation is None:
                continue
            if name and position == 0:
                relation.write_csv(str(output / f"{name}.csv"))
            else:
                last = relation
    if not marks and last is not None:
        last.write_csv(str(output / "result.csv"))


def run_python(spec: dict, code: str, state: dict) -> None:
    connection = connect(spec)
    helper = types.ModuleType("workspace")
    helper.OUTPUT = Path(spec["output"])
    helper.tables = lambda: sorted(spec["tables"])
    helper.sql = lambda query: connection.sql(query).df()

    def table(code_name: str):
        if code_name not in spec["tables"] and code_name not in map(alias, spec["tables"]):
            raise KeyError(f"no table {code_name!r}; tables: {', '.join(sorted(spec['tables']))}")
        return connection.sql('SELECT * FROM "' + code_name.replace('"', '""') + '"').df()

    helper.table = table
    sys.modules["workspace"] = helper
    compiled = compile(code, "<job>", "exec")
    exec(compiled, {"__name__": "__main__"})  # noqa: S102 (the sandbox exists to run this)


def _python_line(exc: BaseException) -> int | None:
    if isinstance(exc, SyntaxError) and exc.filename == "<job>":
        return exc.lineno
    line, trace = None, exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<job>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _is_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryException"


def _wait_for_job(ready: int, spec_file: str) -> bool:
    """A warm sandbox: load the runtime its job needs, say so on ``ready``, then wait on
    standard input for the job (False: discarded unused). The job's CPU limit counts
    from its arrival."""
    ahead = json.loads(Path(spec_file).read_text())
    if ahead.get("language") == "python":
        import pandas  # noqa: F401
    # Most of a cold job's start: loading DuckDB and opening its connection.
    _made_ahead["connection"] = connect(ahead)
    _made_ahead["key"] = _connection_key(ahead)
    os.write(ready, b"R")
    os.close(ready)
    arrived = os.read(0, 16)
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)  # standard input is /dev/null, as in a cold job
    if not arrived:
        return False
    limit = json.loads(Path(spec_file).read_text())["cpu_seconds"]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # Between the limit and a second more of its own, as a cold job's (pid 1 ignores SIGXCPU:
    # the hard limit kills).
    own = math.ceil(usage.ru_utime + usage.ru_stime + limit)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (min(own, hard), min(own, hard)))
    return True


def main() -> int:
    arguments = sys.argv[1:]
    if arguments[0] == "--warm" and not _wait_for_job(int(arguments[1]), arguments[2]):
        return 0
    spec = json.loads(Path(arguments[-1]).read_text())
    if spec.get("processes"):
        # In the job's own user namespace, so it counts this job's processes only; set
        # before any of the job's code runs, which cannot raise it again.
        limit = spec["processes"]
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
    code = Path(spec["code"]).read_text()
    global _fast_exit
    _fast_exit = spec["language"] == "sql"
    state: dict = {"line": None}
    status_path = Path(spec["status"])
    try:
        (run_sql if spec["language"] == "sql" else run_python)(spec, code, state)
    except BaseException as exc:  # reported as class and line, never the message
        line = _python_line(exc) if spec["language"] == "python" else state["line"]
        if isinstance(exc, SystemExit) and exc.code in (None, 0):
            status_path.write_text(json.dumps({"ok": True}))
            return 0
        report = {"ok": False, "error_class": type(exc).__name__, "line": line}
        report["memory"] = _is_memory(exc)
        report["file_size"] = isinstance(exc, OSError) and exc.errno == errno.EFBIG
        status_path.write_text(json.dumps(report))
        import traceback

        traceback.print_exc()  # to stderr: quarantined with the outputs (shown for dry runs)
        return EXIT_MEMORY if report["memory"] else EXIT_ERROR
    status_path.write_text(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    code = main()
    if _fast_exit:
        # A SQL job's files are complete (DuckDB wrote them): no interpreter tear-down.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
