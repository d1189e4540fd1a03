"""Calls read only the row groups their day range needs: a day range on a cast timestamp
is also checked on the column itself, and workspace tables are sorted by the time field
the services filter on, with row-group statistics. A service counting rows gets its
cells and their evidence from one query."""

import multiprocessing
import os
import time

import duckdb
import pyarrow.parquet as pq
import pytest

from core.storage import data_path
from scenarios.dataservices import engine
from scenarios.dataservices.calls import service_call
from scenarios.dataservices.engine import pruning_filter
from scenarios.disclosure.cells import evaluate, evidence_sql
from scenarios.disclosure.params import Parameters
from scenarios.disclosure.sqlshape import aggregate_shape
from scenarios.models import Workspace
from scenarios.workspace import sorted_row_group_rows
from tests.factories import serviced_scenario
from tests.security.test_service_calls import SMALL_CELLS, true_counts

MONTH = {"period": "2025-03-01/2025-03-31"}
FULL = "CAST(arrival_time AS DATE) BETWEEN '2025-03-01' AND '2025-03-31'"

WHERE = (
    "CAST(ts AS DATE) BETWEEN $period_start AND $period_end "
    "AND ($since IS NULL OR CAST(ts AS DATE) >= $since) AND CAST(day AS DATE) <= $until"
)


def test_a_day_range_on_a_cast_timestamp_becomes_a_range_on_the_column():
    found = pruning_filter(WHERE, (("ts", "TIMESTAMP"), ("day", "DATE")))
    assert found == (
        '"ts" >= CAST($period_start AS TIMESTAMP) '
        'AND "ts" < CAST($period_end AS TIMESTAMP) + INTERVAL 1 DAY '
        'AND "day" < CAST($until AS TIMESTAMP) + INTERVAL 1 DAY'
    )  # the optional filter under OR is no range every row must meet: left out


def test_no_range_is_implied_where_the_cast_depends_on_a_time_zone():
    assert pruning_filter(WHERE, (("ts", "TIMESTAMP WITH TIME ZONE"), ("day", "VARCHAR"))) == ""
    assert pruning_filter("", (("ts", "TIMESTAMP"),)) == ""


@pytest.mark.django_db
def test_a_workspace_table_is_sorted_by_its_time_field_with_row_group_statistics(serviced):
    scenario, _developer, _definition, _secret = serviced
    workspace = Workspace.objects.get(scenario=scenario)
    info = workspace.manifest["tables"]["HY-0001"]
    parquet = pq.ParquetFile(data_path(workspace.path) / info["file"])
    times = parquet.read(columns=["arrival_time"]).column(0).to_pylist()
    assert len(times) > 10 and times == sorted(times)
    position = parquet.schema_arrow.get_field_index("arrival_time")
    assert parquet.metadata.row_group(0).column(position).statistics.has_min_max
    assert parquet.metadata.row_group(0).num_rows <= sorted_row_group_rows(len(times))


def test_a_sorted_tables_row_groups_are_small_and_few():
    """A week of the demo's 87,600 buoy readings (1,680) reads one row group of 16,384, not
    the whole table; a year of 10 million readings is cut into at most 256 groups; a
    billion rows keep DuckDB's 122,880."""
    assert sorted_row_group_rows(87_600) == 16_384
    assert sorted_row_group_rows(10_074_000) == 40_960
    assert 10_074_000 / sorted_row_group_rows(10_074_000) <= 256
    assert sorted_row_group_rows(10**9) == 122_880
    assert sorted_row_group_rows(0) == 16_384


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "where"), [SMALL_CELLS[0], SMALL_CELLS[2], (MONTH, FULL)])
def test_a_service_counting_rows_is_answered_and_suppressed_from_one_query(
    tmp_path, django_capture_on_commit_callbacks, params, where
):
    """No unit field: every row is a unit, and the cells with their evidence come from
    one query; a cell of fewer rows than the threshold is suppressed (its row left out:
    its berth alone would say it holds a few port calls, not none), the others exact."""
    with django_capture_on_commit_callbacks(execute=True):
        scenario, _developer, _definition, secret = serviced_scenario(tmp_path, unit="")
    threshold = scenario.scenario_type.min_cell_count
    truth = true_counts(scenario, where)

    answer = service_call(secret=secret, code="berth-traffic", given=params)

    assert answer["rows"] == [
        {"berth": berth, "port_calls": rows, "suppressed": []}
        for berth, (rows, _vessels) in sorted(truth.items())
        if rows >= threshold
    ]
    small = sum(1 for rows, _vessels in truth.values() if rows < threshold)
    assert answer["cells_suppressed"] == small


def _mixed_table(path) -> None:
    """Cells of every kind: small, large, dominated by one value, with negatives, missing
    values and a total of zero."""
    rows, random = [], __import__("random").Random(7)
    for cell in range(40):
        size = random.choice([1, 2, 4, 5, 9, 30])
        for index in range(size):
            value = random.uniform(0, 50) if cell % 7 else random.uniform(1, 2)
            if cell % 9 == 0 and index == size - 1:
                value = -1.0
            if cell % 5 == 0 and index == 0:
                value = 10_000.0  # dominates its cell
            if cell % 11 == 0:
                value = None
            amount = 0 if cell % 13 == 0 else random.randint(-3 if cell % 8 == 0 else 0, 40)
            rows.append((f"g{cell:02d}", value, amount))
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (g VARCHAR, v DOUBLE, w INTEGER)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")


SQL = (
    "SELECT g, count(*) AS n, avg(v) AS mean_v, sum(w) AS total_w, max(v) AS top_v, "
    "count(v) AS with_v FROM t WHERE ($low IS NULL OR w >= $low) GROUP BY g"
)


def _expected(path, params: Parameters, low) -> dict:
    """Per cell, the columns the rules (``evaluate``, with its reasons) suppress, from
    ``evidence_sql``: the checks' own evidence, which the service's one query must
    agree with."""
    where = "" if low is None else f" WHERE w >= {int(low)}"
    relation = f"SELECT * FROM read_parquet('{path}'){where}"  # noqa: S608
    hidden: dict[str, list[str]] = {}
    with duckdb.connect() as con:
        for name, agg, value in [
            ("n", "count", None),
            ("mean_v", "mean", "v"),
            ("total_w", "sum", "w"),
            ("top_v", "max", "v"),
            ("with_v", "count", "v"),
        ]:
            found = con.execute(evidence_sql(relation, ["g"], value, None, 2)).fetchall()
            for cell in evaluate(found, agg=agg, params=params, value=value)["cells"]:
                hidden.setdefault(cell["key"][0], [])
                if cell["status"] != "pass":
                    hidden[cell["key"][0]].append(name)
    return hidden


def _run(path, params, low, hold_bytes=64 * 1024 * 1024) -> engine.Result:
    shape = aggregate_shape(SQL, {"t": "t"}, placeholders=True)
    return engine.run(
        shape,
        table=path,
        fields=frozenset({"g", "v", "w"}),
        bindings={"low": low},
        unit=None,
        params=params,
        max_rows=1000,
        memory_limit="256MB",
        hold_bytes=hold_bytes,
        seconds=30,
    )


@pytest.mark.parametrize("low", [None, 3])
@pytest.mark.parametrize("single", [False, True])
@pytest.mark.parametrize("hold_bytes", [0, 64 * 1024 * 1024], ids=["parquet", "held"])
def test_one_querys_verdicts_are_the_checks_verdicts_cell_by_cell(
    tmp_path, low, single, hold_bytes, databases
):
    """The service's one query derives less evidence than the output checks (what the
    rules need); every cell's verdict per column is still the checks' own, whether the
    table is read from Parquet or held in memory."""
    path = tmp_path / "t.parquet"
    _mixed_table(path)
    params = Parameters(threshold=5, check_missing=False, allow_single_unit=single)
    expected = _expected(path, params, low)

    result = _run(path, params, low, hold_bytes=hold_bytes)

    found = {row[0]: hidden for row, hidden in zip(result.rows, result.suppressed, strict=True)}
    assert found == expected
    kinds = {name for names in found.values() for name in names}
    assert {"n", "mean_v", "total_w"} <= kinds  # the data makes every rule bite somewhere
    assert any("mean_v" not in names and "total_w" not in names for names in found.values())


def test_a_compiled_query_answers_as_the_query_itself(tmp_path, monkeypatch):
    """A service's query is compiled once per process into a table macro (parsed once);
    its answers are those of the query run as it is, its values still bound."""
    path = tmp_path / "t.parquet"
    _mixed_table(path)
    params = Parameters(threshold=5)
    compiled = [_run(path, params, low) for low in (None, 3, 10)]
    database = engine._database(path, "256MB", 0, 30)
    assert [call for call in database.macros.values() if call]  # it ran through a macro

    monkeypatch.setattr(engine, "MAX_MACROS", 0)
    engine._DATABASES.clear()
    assert [_run(path, params, low) for low in (None, 3, 10)] == compiled


def _source_kind(path, memory_limit="256MB") -> str:
    database = engine._database(path, memory_limit, 0, 30)  # the one the call made
    found = database.connection.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'service_source'"
    ).fetchone()[0]
    return "held" if found == "BASE TABLE" and database.held > 0 else found


@pytest.fixture
def databases():
    """This process's service databases, empty for the test and after it."""
    engine._DATABASES.clear()
    yield engine._DATABASES
    engine._DATABASES.clear()


def test_a_table_is_held_in_memory_within_the_processes_room_and_answers_the_same(
    tmp_path, databases
):
    """A worker holds a workspace table in memory while its tables fit in the room it is
    given, dropping the least recently used to make room; a table larger than the room
    is read from its Parquet file. Answers are the same either way."""
    small, other = tmp_path / "small.parquet", tmp_path / "other.parquet"
    _mixed_table(small)
    _mixed_table(other)
    params = Parameters(threshold=5)
    read = [_run(small, params, low, hold_bytes=0) for low in (None, 3, 10)]
    assert _source_kind(small) == "VIEW"

    databases.clear()
    held = [_run(small, params, low) for low in (None, 3, 10)]
    assert _source_kind(small) == "held"
    assert held == read
    # Room for one table only: the second is held, the first (least recent) dropped.
    room = databases[(str(small), "256MB")].held
    assert [_run(other, params, low, hold_bytes=room + 1000) for low in (None, 3, 10)] == read
    assert _source_kind(other) == "held"
    assert (str(small), "256MB") not in databases

    # Its in-memory size (DuckDB's) over the room, though its rows looked small: read.
    databases.clear()
    assert _run(small, params, None, hold_bytes=room - 1) == read[0]
    assert _source_kind(small) == "VIEW"


def test_a_table_that_cannot_be_loaded_within_its_memory_is_read_from_parquet(tmp_path, databases):
    path = tmp_path / "wide.parquet"
    with duckdb.connect() as con:
        con.sql(
            "SELECT 'g' || (i % 1000) AS g, repeat('x', 200) || i AS v, i AS w "
            "FROM range(300000) r(i)"
        ).write_parquet(str(path))
    assert _source_kind(path, memory_limit="16MB") == "VIEW"  # out of memory or paged out


def test_a_destroyed_workspaces_table_leaves_the_workers_memory(tmp_path, databases):
    gone, kept = tmp_path / "gone.parquet", tmp_path / "kept.parquet"
    _mixed_table(gone)
    _mixed_table(kept)
    _run(gone, Parameters(), None)
    assert databases[(str(gone), "256MB")].held > 0
    gone.unlink()
    _run(kept, Parameters(), None)
    assert (str(gone), "256MB") not in databases


def test_a_macro_takes_the_placeholders_never_text_that_looks_like_one():
    body, names = engine._macro_body(
        "SELECT \"a$b\", 'x $low y' FROM s WHERE w >= $low AND ($day IS NULL OR d = $day)"
    )
    assert names == ["low", "day"]
    assert body == (
        'SELECT "a$b", \'x $low y\' FROM s WHERE w >= "$low" AND ("$day" IS NULL OR d = "$day")'
    )


def _timed_out(path, seconds: float) -> str:
    shape = aggregate_shape(SQL, {"t": "t"}, placeholders=True)
    try:
        engine.run(
            shape,
            table=path,
            fields=frozenset({"g", "v", "w"}),
            bindings={"low": None},
            unit=None,
            params=Parameters(),
            max_rows=1000,
            memory_limit="256MB",
            hold_bytes=64 * 1024 * 1024,
            seconds=seconds,
        )
    except engine.RunError as error:
        return error.code
    return "answered"


def test_a_call_past_its_time_is_interrupted(tmp_path):
    path = tmp_path / "big.parquet"
    with duckdb.connect() as con:
        con.sql(
            "SELECT 'g' || (i % 1000) AS g, random() AS v, (i % 50)::INTEGER AS w "
            "FROM range(30000000) r(i)"
        ).write_parquet(str(path))
    assert _timed_out(path, 0.05) == "timeout"
    assert _run(path, Parameters(), 49).rows  # the database still answers


class _Call:
    def __init__(self, interrupted):
        self.interrupted = interrupted

    def interrupt(self):
        self.interrupted.put(os.getpid())


def _a_call_that_waits(interrupted) -> None:
    engine._DEADLINES.add(0.01, _Call(interrupted))
    time.sleep(3)


def test_a_forked_worker_interrupts_its_own_calls_past_their_time():
    """One thread per process watches the calls' deadlines; a worker forked from a
    process that had one (gunicorn's) starts its own."""
    fork = multiprocessing.get_context("fork")
    interrupted = fork.Queue()
    engine._DEADLINES.add(0.01, _Call(interrupted))
    assert interrupted.get(timeout=10) == os.getpid()

    child = fork.Process(target=_a_call_that_waits, args=(interrupted,))
    child.start()
    try:
        assert interrupted.get(timeout=10) == child.pid
    finally:
        child.join(timeout=10)
        child.kill()


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("2025-06-07/2025-06-01", "the period ends (2025-06-01) before it starts (2025-06-07)"),
        ("2025-01-01/2025-12-31", "at most 92 days; this period has 365"),
        ("2025-02-30/2025-03-02", "must be a date range, YYYY-MM-DD/YYYY-MM-DD"),
        ("garbage", "must be a date range, YYYY-MM-DD/YYYY-MM-DD"),
    ],
)
def test_a_date_range_refused_says_which_rule(given, says):
    spec = {"name": "period", "type": "date_range", "max_days": 92}
    with pytest.raises(engine.ParameterError) as refused:
        engine.parameters_bind(engine.parameters_clean([spec]), {"period": given})
    assert says in str(refused.value) and refused.value.field == "period"
