"""Local development on a pulled synthetic workspace.

A job runs here through the sandbox's own runner (``scenarios/sandbox/runner.py``, a
script that imports nothing of the platform), as the worker runs it: the same table names
(the catalog code, quoted, and its lower-case alias), ``workspace.table(...)``,
``workspace.sql(...)``, ``workspace.OUTPUT`` (a Path, the working directory), ``-- output:
NAME`` saving ``NAME.csv`` and ``result.csv`` by default. Only the bubblewrap isolation
and the resource limits are left out: the data is made up.
"""

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from pds.client import PdsError

LANGUAGES = {".sql": "sql", ".py": "python"}


def language_of(path: Path) -> str:
    try:
        return LANGUAGES[path.suffix.lower()]
    except KeyError:
        raise PdsError(f"{path.name}: give a .sql or a .py file") from None


def runner_path() -> Path:
    found = importlib.util.find_spec("scenarios.sandbox.runner")
    if found is None or found.origin is None:
        raise PdsError("the sandbox runner is missing from this installation")
    return Path(found.origin)


def unpack(archive: bytes, folder: Path) -> dict:
    """The zip's flat files into ``folder`` (earlier tables removed), and README.md from its
    schema. Returns the schema."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        names = opened.namelist()
        if any("/" in name or "\\" in name or name.startswith(".") for name in names):
            raise PdsError("the server's archive holds unexpected paths")
        for old in folder.glob("*.parquet"):
            old.unlink()
        for name in names:
            (folder / name).write_bytes(opened.read(name))
    schema = json.loads((folder / "schema.json").read_text())
    (folder / "README.md").write_text(readme(schema))
    return schema


def readme(schema: dict) -> str:
    scenario = schema["scenario"]
    lines = [
        f"# Synthetic workspace of scenario {scenario['id']}: {scenario['name']}",
        "",
        f"Workspace version {schema['workspace_version']}. Every value is made up from what",
        "the catalogs publish (no real row is here); names, columns and types are the real",
        "workspace's, so a job that runs here (`pds run FILE`) runs there (`pds submit`).",
        "",
        "SQL: each table is a view named by its catalog code in double quotes and by the",
        'lower-case alias (`"HY-0001"` and `hy_0001`); `-- output: NAME` saves the next',
        "statement's result as NAME.csv, else the last one is result.csv. Python:",
        "`import workspace`, then `workspace.table(code)`, `workspace.sql(query)`,",
        "`workspace.tables()`, and write files into `workspace.OUTPUT`.",
        "",
    ]
    for code, table in schema["tables"].items():
        title = " / ".join(t for t in (table["name"], table.get("name_en")) if t)
        lines += [
            f"## {code}: {title}",
            "",
            f"File `{table['file']}`, {table['rows']} synthetic rows.",
            "",
            "| column | name | type | masking | description |",
            "|---|---|---|---|---|",
        ]
        for column in table["columns"]:
            cells = [
                f"`{column['name']}`",
                column["name_zh"],
                column["data_type"],
                column["masking"] or "",
                column["description"].replace("|", "/").replace("\n", " "),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def tables_of(folder: Path) -> dict[str, str]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except FileNotFoundError:
        raise PdsError(f"no pulled workspace in {folder}: run `pds workspace pull`") from None
    return {code: entry["file"] for code, entry in manifest["tables"].items()}


def output_folder(folder: Path, wanted: Path | None) -> Path:
    """An empty folder, as the sandbox's output starts: the workspace's own ``output``
    (emptied), or a folder of the user's that is new or empty (never emptied by pds)."""
    if wanted is None:
        output = folder / "output"
        if output.exists():
            shutil.rmtree(output)
    else:
        output = wanted
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise PdsError(f"{output}: give a new or empty folder for the job's outputs")
    output.mkdir(parents=True, exist_ok=True)
    return output


def run(code_file: Path, folder: Path, output: Path, *, python: str) -> dict:
    """Runs the job with its stdout and stderr on this terminal; its files land in the
    empty folder ``output``. Returns the runner's status: {"ok": true} or {"ok": false,
    "error_class", "line", ...}."""
    language = language_of(code_file)
    tables = tables_of(folder)
    with tempfile.TemporaryDirectory(prefix="pds-run-") as job:
        job = Path(job)
        (job / "tmp").mkdir()
        shutil.copyfile(code_file, job / "code.txt")
        (job / "status.json").touch()
        spec = {
            "language": language,
            "tables": tables,
            "workspace": str(folder.resolve()),
            "output": str(output.resolve()),
            "status": str(job / "status.json"),
            "code": str(job / "code.txt"),
            "tmp": str(job / "tmp"),
            "duckdb_memory": "1GB",
            "threads": 2,
            "processes": None,
        }
        (job / "spec.json").write_text(json.dumps(spec))
        environment = {
            **os.environ,
            "TMPDIR": str(job / "tmp"),
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(job / "tmp"),
        }
        sys.stdout.flush()
        subprocess.run(
            [python, "-I", str(runner_path()), str(job / "spec.json")],
            cwd=output,
            env=environment,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        text = (job / "status.json").read_text()
    return json.loads(text) if text.strip() else {"ok": False, "error_class": "", "line": None}
