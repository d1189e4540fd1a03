import datetime
import json
import re
import shutil
import stat

import duckdb
import pyarrow.parquet as pq
import pytest

from core.storage import data_path
from operation.services.catalogs import catalog_fields_update
from operation.synthetic import BATCH_ROWS
from scenarios.agreement import AGREEMENT_SHA256
from scenarios.models import WorkspaceStatus
from scenarios.sandbox.synthetic import build_synthetic
from scenarios.services import scenarios as svc
from tests.factories import (
    approved_type,
    published_demo_catalog,
    published_vessel_catalog,
    staff_user,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
PSEUDONYM = re.compile(r"^P[0-9a-f]{20}$")
# HY-0001: every kind of masking; HY-0002: the same vessels (mmsi) with arrival times
# generalized to the day.
SCOPE = {
    "HY-0001": ["mmsi", "vessel_name", "vessel_type", "berth", "arrival_time", "tonnage"],
    "HY-0002": ["mmsi", "arrival_time"],
}


@pytest.fixture
def workspace(tmp_path, django_capture_on_commit_callbacks):
    """A ready workspace of a scenario over two vessel catalogs."""
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    second = published_vessel_catalog(operator, tmp_path, rows=120, code="HY-0002")
    catalog_fields_update(
        by=operator, catalog=second, fields={"arrival_time": {"generalize": "day"}}
    )
    scenario_type, proposer = approved_type(tmp_path, scope=SCOPE)
    with django_capture_on_commit_callbacks(execute=True):
        scenario = svc.scenario_apply(
            by=proposer,
            scenario_type=scenario_type,
            name="厦门港拥堵分析",
            purpose="泊位利用率",
            responsible_person="王五",
            period_start=TODAY,
            period_end=TODAY + datetime.timedelta(days=30),
            scope=SCOPE,
            agreement_sha256=AGREEMENT_SHA256,
        )
    workspace = scenario.workspaces.get()
    assert workspace.status == WorkspaceStatus.READY, workspace.reason
    return workspace


def read(folder, code):
    return pq.read_table(folder / f"{code}.parquet").to_pylist()


def test_tables_have_the_real_files_names_columns_types_and_the_asked_rows(workspace, tmp_path):
    target = tmp_path / "dry" / "ws"
    build_synthetic(workspace, target, rows=400)
    real = data_path(workspace.path)
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in real.iterdir())
    for code in SCOPE:
        synthetic_schema = pq.read_schema(target / f"{code}.parquet")
        real_schema = pq.read_schema(real / f"{code}.parquet")
        assert synthetic_schema.names == real_schema.names == SCOPE[code]
        assert synthetic_schema.types == real_schema.types
        assert pq.read_metadata(target / f"{code}.parquet").num_rows == 400


def test_no_real_value_or_real_pseudonym_appears(workspace, tmp_path):
    target = tmp_path / "dry"
    build_synthetic(workspace, target, rows=2000)
    real = data_path(workspace.path)
    # The identifying values of the uploaded vessels (see tests.factories.vessel_csv) and
    # the pseudonyms the real workspace holds for them.
    secret = {str(412000000 + n) for n in range(200)} | {f"远洋{n:04d}号" for n in range(200)}
    for code in SCOPE:
        secret |= {row["mmsi"] for row in read(real, code)}
    secret |= {row["vessel_name"] for row in read(real, "HY-0001")}
    assert len(secret) == 200 + 200 + 200 + 200  # raw MMSI and names, their pseudonyms
    for code in SCOPE:
        cells = {str(value) for row in read(target, code) for value in row.values()}
        assert not cells & secret


def test_pseudonyms_look_real_and_come_from_a_pool_that_joins_across_tables(workspace, tmp_path):
    target = tmp_path / "dry"
    build_synthetic(workspace, target, rows=400)
    first, second = read(target, "HY-0001"), read(target, "HY-0002")
    mmsis = [row["mmsi"] for row in first]
    assert all(PSEUDONYM.match(value) for value in mmsis)
    assert all(PSEUDONYM.match(row["vessel_name"]) for row in first)
    assert all(PSEUDONYM.match(row["mmsi"]) for row in second)
    assert 1 < len(set(mmsis)) <= 400 // 20 + 1  # repeated: GROUP BY has groups
    # The same SQL runs on the dry run and on the real data; the join finds vessels.
    query = (
        "SELECT count(DISTINCT a.mmsi) FROM read_parquet($a) a "
        "JOIN read_parquet($b) b ON a.mmsi = b.mmsi"
    )
    for folder in (target, data_path(workspace.path)):
        params = {"a": str(folder / "HY-0001.parquet"), "b": str(folder / "HY-0002.parquet")}
        assert duckdb.sql(query, params=params).fetchall()[0][0] > 1


def test_generalized_columns_are_generalized_like_the_real_ones(workspace, tmp_path):
    target = tmp_path / "dry"
    build_synthetic(workspace, target, rows=400)
    first, second = read(target, "HY-0001"), read(target, "HY-0002")
    tonnages = {row["tonnage"] for row in first}
    assert len(tonnages) > 1 and all(t % 1000 == 0 for t in tonnages)  # band:1000
    assert all(row["arrival_time"].minute == 0 for row in first)  # hour
    days = {row["arrival_time"] for row in second}
    assert len(days) > 1 and all(t.hour == 0 for t in days)  # day


def test_values_follow_the_displayed_statistics(workspace, tmp_path):
    target = tmp_path / "dry"
    build_synthetic(workspace, target, rows=400)
    first = read(target, "HY-0001")
    types = {row["vessel_type"] for row in first}
    assert types == {"集装箱船", "散货船", "油轮", "客滚船"}  # the shown categories
    assert {row["arrival_time"].strftime("%Y-%m") for row in first} == {"2025-03"}


def test_manifest_says_synthetic_with_row_counts_and_files_are_read_only(workspace, tmp_path):
    target = tmp_path / "dry" / "ws"
    manifest = build_synthetic(workspace, target, rows=50)
    assert manifest["synthetic"] is True
    assert json.loads((target / "manifest.json").read_text()) == manifest
    for code, entry in manifest["tables"].items():
        real_entry = workspace.manifest["tables"][code]
        assert entry["rows"] == 50 and real_entry["rows"] != 50
        assert entry["file"] == real_entry["file"]
        assert entry["columns"] == real_entry["columns"]
        assert entry["masking"] == real_entry["masking"]
        assert entry["sha256"] != real_entry["sha256"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in target.iterdir())
    assert [p.name for p in target.parent.iterdir()] == ["ws"]  # no temporary folder left


def test_the_same_workspace_gives_the_same_data_and_a_rebuild_replaces_it(workspace, tmp_path):
    first = build_synthetic(workspace, tmp_path / "a", rows=300)
    again = build_synthetic(workspace, tmp_path / "a", rows=300)
    assert again == first
    workspace.version += 1  # another version of the workspace: other made-up data
    other = build_synthetic(workspace, tmp_path / "b", rows=300)
    assert other["tables"]["HY-0001"]["sha256"] != first["tables"]["HY-0001"]["sha256"]


def test_more_rows_than_one_batch(workspace, tmp_path):
    rows = BATCH_ROWS + 7
    manifest = build_synthetic(workspace, tmp_path / "dry", rows=rows)
    assert manifest["tables"]["HY-0001"]["rows"] == rows
    assert pq.read_metadata(tmp_path / "dry" / "HY-0001.parquet").num_rows == rows


def test_types_still_match_when_the_real_workspace_is_gone(workspace, tmp_path):
    real = data_path(workspace.path)
    real_schemas = {code: pq.read_schema(real / f"{code}.parquet") for code in SCOPE}
    shutil.rmtree(real)
    target = tmp_path / "dry"
    build_synthetic(workspace, target, rows=100)
    for code, real_schema in real_schemas.items():
        assert pq.read_schema(target / f"{code}.parquet").types == real_schema.types


BUOY_COLUMNS = [
    "buoy_id",
    "longitude",
    "latitude",
    "ts",
    "water_temp",
    "salinity",
    "ph",
    "dissolved_oxygen",
    "chlorophyll_a",
]
XIAMEN_BAY = (
    "SELECT count(*) FROM read_parquet($file) "
    "WHERE longitude BETWEEN 117.9 AND 118.3 AND latitude BETWEEN 24.3 AND 24.6"
)


@pytest.fixture
def buoy_workspace(tmp_path, django_capture_on_commit_callbacks):
    """A ready workspace over the demo's red-tide buoys (87,600 hourly rows)."""
    published_demo_catalog(staff_user("op"), tmp_path, "redtide_buoys")
    scope = {"HY-0001": BUOY_COLUMNS}
    scenario_type, proposer = approved_type(tmp_path, scope=scope)
    with django_capture_on_commit_callbacks(execute=True):
        scenario = svc.scenario_apply(
            by=proposer,
            scenario_type=scenario_type,
            name="厦门湾赤潮预警",
            purpose="赤潮风险模型",
            responsible_person="王五",
            period_start=TODAY,
            period_end=TODAY + datetime.timedelta(days=30),
            scope=scope,
            agreement_sha256=AGREEMENT_SHA256,
        )
    workspace = scenario.workspaces.get()
    assert workspace.status == WorkspaceStatus.READY, workspace.reason
    return workspace


def test_a_dry_run_finds_the_buoys_where_the_real_data_has_them(buoy_workspace, tmp_path):
    target = tmp_path / "dry"
    build_synthetic(buoy_workspace, target, rows=2000)
    real = data_path(buoy_workspace.path) / "HY-0001.parquet"
    made_up = target / "HY-0001.parquet"
    assert duckdb.sql(XIAMEN_BAY, params={"file": str(real)}).fetchall()[0][0] == 87_600
    assert duckdb.sql(XIAMEN_BAY, params={"file": str(made_up)}).fetchall()[0][0] > 1800
    rows = read(target, "HY-0001")
    stamps = [row["ts"] for row in rows]
    assert stamps == sorted(stamps)  # in time order, as the buoys report
    months = "SELECT count(DISTINCT month(ts)), count(DISTINCT buoy_id) FROM read_parquet($file)"
    assert duckdb.sql(months, params={"file": str(made_up)}).fetchall()[0] == (12, 10)
    real_buoys = {row["buoy_id"] for row in pq.read_table(real, columns=["buoy_id"]).to_pylist()}
    made_up_buoys = {row["buoy_id"] for row in rows}
    assert all(PSEUDONYM.match(b) for b in made_up_buoys) and not made_up_buoys & real_buoys
