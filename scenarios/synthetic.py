"""The synthetic copy of a scenario's workspace, built once per workspace version by the
generator in ``sandbox/synthetic.py``: dry runs read it, and its members pull it (``pds
workspace pull``) to develop locally with the code that later runs on the real data."""

import fcntl
import io
import json
import zipfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.storage import data_path
from operation.models import CatalogVersion
from scenarios.models import Scenario, ScenarioStatus, Workspace, WorkspaceStatus
from scenarios.sandbox.synthetic import build_synthetic
from tenants.permissions import check_member


def synthetic_folder(workspace: Workspace) -> Path:
    """The workspace's synthetic copy (``SANDBOX_DRY_RUN_ROWS`` rows a table), built on
    first use; a lock keeps two processes from building it at once."""
    folder = data_path(f"synthetic/{workspace.scenario_id}/v{workspace.version}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "manifest.json").exists():
            build_synthetic(workspace, folder, rows=settings.SANDBOX_DRY_RUN_ROWS)
    return folder


def _schema(scenario: Scenario, workspace: Workspace, manifest: dict) -> dict:
    """Each table's catalog and columns, as the catalog version it was built from
    describes them."""
    tables = {}
    for code, entry in sorted(manifest["tables"].items()):
        version = CatalogVersion.objects.get(catalog__code=code, number=entry["catalog_version"])
        snapshot = version.snapshot
        by_column = {f["column"]: f for f in snapshot["fields"]}
        tables[code] = {
            "file": entry["file"],
            "name": snapshot["name"],
            "name_en": snapshot.get("name_en", ""),
            "rows": entry["rows"],
            "columns": [
                {
                    "name": column,
                    "name_zh": by_column[column]["name_zh"],
                    "data_type": by_column[column]["data_type"],
                    "description": by_column[column]["description"],
                    "masking": entry["masking"].get(column, ""),
                }
                for column in entry["columns"]
            ],
        }
    return {
        "scenario": {"id": scenario.pk, "name": scenario.name},
        "workspace_version": workspace.version,
        "synthetic": True,
        "tables": tables,
    }


def synthetic_workspace_pull(*, by, scenario: Scenario) -> tuple[str, bytes]:
    """A member's copy of the synthetic workspace of an authorized scenario: a zip of its
    Parquet files, manifest.json and schema.json. Returns (file name, bytes). Nothing real
    is in it, so it is not audited (a read, as a dry run's outputs are)."""
    check_member(
        by,
        scenario.organization_id,
        _("Only members of the scenario's organization pull its workspace."),
    )
    if scenario.status != ScenarioStatus.AUTHORIZED:
        raise Conflict(
            _("The scenario is %(status)s: it has no workspace to pull.")
            % {"status": scenario.get_status_display()}
        )
    workspace = (
        scenario.workspaces.filter(status=WorkspaceStatus.READY).order_by("-version").first()
    )
    if workspace is None:
        raise Conflict(_("The scenario's workspace is not ready yet."))
    folder = synthetic_folder(workspace)
    manifest = json.loads((folder / "manifest.json").read_text())
    schema = _schema(scenario, workspace, manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        archive.writestr("schema.json", json.dumps(schema, ensure_ascii=False, indent=2))
        for entry in manifest["tables"].values():
            archive.write(folder / entry["file"], entry["file"])
    name = f"scenario-{scenario.pk}-v{workspace.version}-synthetic.zip"
    return name, buffer.getvalue()
