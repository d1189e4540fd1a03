"""Query shapes whose evidence the worker can derive, which statement produced which output,
and the checks of SQL and Python outputs (scenarios.disclosure.sqlshape and .check)."""

# SQL of these tests is built from their own temporary paths.
# ruff: noqa: S608

import json
from pathlib import Path

import duckdb
import pytest

from scenarios.disclosure import check
from scenarios.disclosure.check import check_python_output, check_sql_output
from scenarios.disclosure.params import FAIL, NOT_APPLICABLE, PASS, REVIEW, Parameters
from scenarios.disclosure.sqlshape import aggregate_shape, output_statements

TABLES = {"HY-0001": "hy_0001.parquet", "VS-0002": "vs_0002.parquet"}

# --- aggregate_shape ------------------------------------------------------------------------


def test_shape_of_a_grouped_count_by_alias():
    shape = aggregate_shape("SELECT port, count(*) AS n FROM hy_0001 GROUP BY port", TABLES)

    assert shape.table == "HY-0001"
    assert shape.where == ""
    assert shape.group_by == ('"port"',)
    assert [(i.name, i.function, i.column) for i in shape.items] == [
        ("port", None, None),
        ("n", "count", None),
    ]


def test_shape_by_quoted_code_with_table_alias_filters_and_functions():
    sql = (
        "SELECT h.port, date_trunc('month', h.ts) AS month, sum(tonnage) AS total, "
        'avg(tonnage), median(tonnage) FROM "HY-0001" AS h '
        "WHERE h.tonnage > 0 AND lower(flag) IN ('cn', 'hk') AND ts BETWEEN "
        "DATE '2024-01-01' AND DATE '2024-12-31' AND NOT (berth IS NULL) "
        "GROUP BY ALL ORDER BY total DESC"
    )

    shape = aggregate_shape(sql, TABLES)

    assert shape.table == "HY-0001"
    assert [item.name for item in shape.groups] == ["port", "month"]
    assert [item.label for item in shape.aggregates] == [
        "sum(tonnage)",
        "mean(tonnage)",
        "median(tonnage)",
    ]
    assert '"tonnage" > 0' in shape.where
    assert "h." not in shape.where  # qualifiers dropped


def test_shape_filters_are_normalized_alike():
    one = aggregate_shape(
        "select port, count(*) from hy_0001 where  tonnage>5 /* big */ and flag='cn' -- cn\n"
        "group by 1 -- by port",
        TABLES,
    )
    two = aggregate_shape(
        "SELECT port, COUNT(*) FROM \"HY-0001\" t WHERE t.tonnage > 5 AND t.flag = 'cn' "
        "GROUP BY port",
        TABLES,
    )

    assert one.where == two.where == '"tonnage" > 5 AND "flag" = \'cn\''


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT port, count(*) FROM hy_0001 JOIN vs_0002 USING (vessel) GROUP BY port",
        "SELECT port, count(*) FROM hy_0001, vs_0002 GROUP BY port",
        "SELECT port, count(*) FROM (SELECT * FROM hy_0001) GROUP BY port",
        "SELECT port, count(*) FROM hy_0001 WHERE vessel IN (SELECT vessel FROM vs_0002) "
        "GROUP BY port",
        "WITH t AS (SELECT * FROM hy_0001) SELECT port, count(*) FROM t GROUP BY port",
        "SELECT port, sum(tonnage) OVER (PARTITION BY port) FROM hy_0001",
        "SELECT port, count(*) FROM hy_0001 GROUP BY port HAVING count(*) > 10",
        "SELECT port, count(*) FROM hy_0001 GROUP BY port LIMIT 5",
        "SELECT DISTINCT port, count(*) FROM hy_0001 GROUP BY port",
        "SELECT port, count(DISTINCT vessel) FROM hy_0001 GROUP BY port",
        "SELECT port, count(*) FILTER (WHERE tonnage > 1) FROM hy_0001 GROUP BY port",
        "SELECT port, max(tonnage, 3) FROM hy_0001 GROUP BY port",
        "SELECT port, sum(tonnage * 2) FROM hy_0001 GROUP BY port",
        "SELECT port, count(*) FROM hy_0001 WHERE length(port) > 3 GROUP BY port",
        "SELECT port, count(*) FROM hy_0001 WHERE port = read_text('/etc/passwd') GROUP BY port",
        "SELECT port, count(*) FROM hy_0001 WHERE getenv('HOME') IS NULL GROUP BY port",
        "SELECT port, count(*) FROM read_parquet('/etc/passwd') GROUP BY port",
        "SELECT port, count(*) FROM '/etc/passwd' GROUP BY port",
        "SELECT port, count(*) FROM other_db.hy_0001 GROUP BY port",
        "SELECT port, count(*) FROM secrets GROUP BY port",
        "SELECT port, count(*) FROM hy_0001 AS h(port, vessel) GROUP BY port",
        "SELECT port, count(*) FROM hy_0001 WHERE other.port = 'x' GROUP BY port",
        "SELECT port, count(*) FROM hy_0001 GROUP BY ROLLUP (port)",
        "SELECT port, count(*) FROM hy_0001 GROUP BY port UNION ALL SELECT 'x', 1",
        "SELECT port, count(*) FROM hy_0001 GROUP BY port; SELECT 1",
        "SELECT port, vessel, count(*) FROM hy_0001 GROUP BY port",
        "SELECT lower(port) AS port, count(*) FROM hy_0001 GROUP BY port",
        "SELECT port FROM hy_0001 GROUP BY port",
        "SELECT * FROM hy_0001",
        "SELECT port, count(*) FROM hy_0001 WHERE tonnage > $1 GROUP BY port",
        "SELECT port, count(*) FROM hy_0001 USING SAMPLE 50 GROUP BY port",
        "CREATE TABLE x AS SELECT port, count(*) FROM hy_0001 GROUP BY port",
        "this is not SQL",
    ],
)
def test_shape_refused(sql):
    assert aggregate_shape(sql, TABLES) is None


# --- output_statements ------------------------------------------------------------------------


def test_output_statements_maps_markers_copies_and_result():
    code = """CREATE TEMP TABLE t AS SELECT 1;
-- output: by_port
SELECT port, count(*) AS n FROM hy_0001 GROUP BY port;
SELECT 'not saved';
-- output: twice
SELECT 1;
COPY (SELECT 2) TO '/output/twice.csv';
COPY (SELECT port, sum(tonnage) FROM hy_0001 GROUP BY port)
  TO '/output/sums.parquet' (FORMAT parquet);
COPY hy_0001 TO '/output/dump.csv';
COPY t FROM '/output/twice.csv';
"""

    mapping = output_statements(code)

    assert set(mapping) == {"by_port.csv", "sums.parquet"}
    assert aggregate_shape(mapping["by_port.csv"], TABLES) is not None
    assert aggregate_shape(mapping["sums.parquet"], TABLES).aggregates[0].label == "sum(tonnage)"


def test_output_statements_without_marker_is_the_last_statement():
    code = "SELECT 1;\nSELECT port, count(*) FROM hy_0001 GROUP BY port;\n"

    assert output_statements(code) == {
        "result.csv": "SELECT port, count(*) FROM hy_0001 GROUP BY port;\n"
    }


def test_output_statements_of_code_duckdb_cannot_parse_is_empty():
    assert output_statements("SELECT 1; SELEC broken") == {}


# --- check_sql_output -------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path):
    folder = tmp_path / "workspace"
    folder.mkdir()
    duckdb.connect().execute(
        "COPY (SELECT 'P' || (range % 4) AS port, 'V' || (range % 40) AS vessel, "
        "CAST(range % 7 AS DOUBLE) AS tonnage FROM range(800)) "
        f"TO '{folder / 'hy_0001.parquet'}' (FORMAT parquet)"
    )
    manifest = {
        "tables": {
            "HY-0001": {
                "file": "hy_0001.parquet",
                "columns": ["port", "vessel", "tonnage"],
                "masking": {"vessel": "pseudonym"},
                "rows": 800,
            }
        }
    }
    return folder, manifest


def job_output(workspace, tmp_path, sql, name="result.csv"):
    """What the sandbox writes for ``sql``: its result as CSV."""
    folder, _manifest = workspace
    output = tmp_path / "output"
    output.mkdir(exist_ok=True)
    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW hy_0001 AS SELECT * FROM read_parquet('{folder / 'hy_0001.parquet'}')"
    )
    connection.sql(sql).write_csv(str(output / name))
    return output / name


def checked(workspace, path, sql, **options):
    folder, manifest = workspace
    return check_sql_output(
        path,
        statement_sql=sql,
        workspace_dir=folder,
        manifest=manifest,
        identifiers={"HY-0001": "vessel"},
        params=options.pop("params", Parameters()),
        **options,
    )


def test_sql_aggregate_passes_on_evidence_derived_from_the_workspace(workspace, tmp_path):
    sql = "SELECT port, count(*) AS n, sum(tonnage) AS t FROM hy_0001 GROUP BY port"
    path = job_output(workspace, tmp_path, sql)

    record = checked(workspace, path, sql)

    assert record["status"] == PASS, record["summary"]
    assert record["checks"]["QueryShapeCheck"]["status"] == PASS
    assert record["checks"]["FileMatchesQueryCheck"]["status"] == PASS
    assert record["aggregate"]["group_by"] == ["port"]
    assert record["aggregate"]["entity"] == "vessel"
    assert {tuple(c["key"]): c["entities"] for c in record["aggregate"]["cells"]} == {
        ("P0",): 10,
        ("P1",): 10,
        ("P2",): 10,
        ("P3",): 10,
    }


def test_sql_aggregate_fails_cells_under_threshold_counting_entities(workspace, tmp_path):
    # 200 rows per port, but only 10 vessels each: a threshold of 11 fails every cell.
    sql = "SELECT port, count(*) AS n FROM hy_0001 WHERE port <> 'P3' GROUP BY port"
    path = job_output(workspace, tmp_path, sql)

    record = checked(workspace, path, sql, params=Parameters(threshold=11))

    assert record["status"] == FAIL
    assert record["checks"]["MinimumThresholdCheck"]["cells"] == [["P0"], ["P1"], ["P2"]]
    assert record["aggregate"]["filters"] == "\"port\" <> 'P3'"
    assert all(cell["status"] == FAIL for cell in record["aggregate"]["cells"])


def test_sql_output_that_does_not_match_its_query_is_review(workspace, tmp_path):
    sql = "SELECT port, count(*) AS n FROM hy_0001 GROUP BY port"
    path = job_output(workspace, tmp_path, sql)
    path.write_text(path.read_text().replace("P2,200", "P2,199"))

    record = checked(workspace, path, sql)

    assert record["checks"]["FileMatchesQueryCheck"]["status"] == REVIEW
    assert record["status"] == REVIEW
    assert record["aggregate"] is None


def test_sql_output_with_extra_rows_is_review(workspace, tmp_path):
    sql = "SELECT port, count(*) AS n FROM hy_0001 GROUP BY port"
    path = job_output(workspace, tmp_path, sql)
    with open(path, "a") as handle:
        handle.write("P9,500\n")

    record = checked(workspace, path, sql)

    assert record["checks"]["FileMatchesQueryCheck"]["status"] == REVIEW


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT h.port, count(*) AS n FROM hy_0001 h JOIN hy_0001 g USING (vessel) GROUP BY h.port",
        "SELECT port, count(*) AS n FROM (SELECT * FROM hy_0001) GROUP BY port",
        "SELECT port, count(*) OVER () AS n FROM hy_0001",
        "SELECT port, count(*) AS n FROM hy_0001 GROUP BY port HAVING count(*) > 1",
        "SELECT port, count(*) AS n FROM hy_0001 WHERE length(port) = 2 GROUP BY port",
    ],
)
def test_sql_output_of_other_shapes_is_review(workspace, tmp_path, sql):
    path = job_output(workspace, tmp_path, sql)

    record = checked(workspace, path, sql)

    assert record["checks"]["QueryShapeCheck"]["status"] == REVIEW
    assert record["checks"]["MinimumThresholdCheck"]["status"] == NOT_APPLICABLE
    assert record["status"] in (REVIEW, FAIL)
    assert record["aggregate"] is None


def test_sql_output_without_a_known_statement_is_review(workspace, tmp_path):
    path = job_output(workspace, tmp_path, "SELECT 1 AS one")

    record = checked(workspace, path, None)

    assert record["checks"]["QueryShapeCheck"]["status"] == REVIEW
    assert record["status"] == REVIEW


def test_hostile_where_never_reads_files_outside_the_workspace(workspace, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4711\n")
    path = job_output(workspace, tmp_path, "SELECT 'P0' AS port, 1 AS n")
    for sql in (
        f"SELECT port, count(*) AS n FROM hy_0001 WHERE port <> read_text('{secret}') "
        "GROUP BY port",
        f"SELECT port, count(*) AS n FROM read_csv('{secret}') GROUP BY port",
        f"SELECT port, count(*) AS n FROM '{secret}' GROUP BY port",
        "SELECT port, count(*) AS n FROM hy_0001 WHERE port IN "
        f"(SELECT content FROM read_text('{secret}')) GROUP BY port",
    ):
        record = checked(workspace, path, sql)

        assert record["checks"]["QueryShapeCheck"]["status"] == REVIEW
        assert "TOPSECRET" not in json.dumps(record)


def test_locked_connection_refuses_files_outside_the_workspace(workspace, tmp_path):
    folder, _manifest = workspace
    path = job_output(workspace, tmp_path, "SELECT 'P0' AS port, 1 AS n")
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")

    with check._Locked(folder / "hy_0001.parquet", path, seconds=10) as db:
        assert db.rows(f"SELECT count(*) FROM {check.SOURCE}") == [(800,)]
        with pytest.raises(duckdb.PermissionException):
            db.rows("SELECT length(content) FROM read_text('/etc/passwd')")
        with pytest.raises(duckdb.PermissionException):
            db.rows(f"SELECT count(*) FROM read_csv('{secret}')")
        with pytest.raises(duckdb.InvalidInputException, match="configuration"):
            db.rows("SET enable_external_access = true")


def test_evidence_that_takes_too_long_is_review(tmp_path):
    folder = tmp_path / "workspace"
    folder.mkdir()
    duckdb.connect().execute(
        "COPY (SELECT range AS vessel, range % 997 AS tonnage FROM range(3000000)) "
        f"TO '{folder / 'big.parquet'}' (FORMAT parquet)"
    )
    manifest = {"tables": {"HY-0001": {"file": "big.parquet", "columns": [], "rows": 0}}}
    output = tmp_path / "result.csv"
    output.write_text("vessel,n\n1,1\n")
    sql = "SELECT vessel, sum(tonnage) AS n FROM hy_0001 GROUP BY vessel"

    record = check_sql_output(
        output,
        statement_sql=sql,
        workspace_dir=folder,
        manifest=manifest,
        identifiers={"HY-0001": None},
        params=Parameters(),
        seconds=0.01,
    )

    assert record["checks"]["QueryShapeCheck"]["status"] == REVIEW
    assert "longer than" in record["checks"]["QueryShapeCheck"]["reason"]


def test_python_output_never_passes_on_its_own(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("port,n\nP0,200\n")

    record = check_python_output(path, tables={}, params=Parameters())

    assert record["status"] == REVIEW
    assert record["checks"]["QueryShapeCheck"]["status"] == REVIEW
    assert record["checks"]["BlockedTypeCheck"]["status"] == PASS
    assert record["aggregate"] is None


def test_parquet_output_of_a_copy_is_compared_too(workspace, tmp_path):
    folder, _manifest = workspace
    code = (
        "COPY (SELECT port, avg(tonnage) AS mean_t FROM hy_0001 GROUP BY port) "
        "TO '/output/means.parquet' (FORMAT parquet);"
    )
    sql = output_statements(code)["means.parquet"]
    path = Path(tmp_path / "means.parquet")
    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW hy_0001 AS SELECT * FROM read_parquet('{folder / 'hy_0001.parquet'}')"
    )
    connection.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")

    record = checked(workspace, path, sql)

    assert record["checks"]["FileMatchesQueryCheck"]["status"] == PASS
    assert record["checks"]["NKCheck"]["status"] == PASS
    assert record["aggregate"]["agg"] == ["mean(tonnage)"]
