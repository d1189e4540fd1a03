"""Data-service answers leave without a person reviewing them: the unit counted is never
replaced by rows, a template that filters on an identifier counts units, and a cast that
could fail on a value is refused (its error would tell whether the value is there)."""

import duckdb
import pytest

from scenarios.dataservices import engine
from scenarios.disclosure.params import Parameters
from scenarios.disclosure.sqlshape import aggregate_shape

pytestmark = pytest.mark.security

PARAMS = Parameters(threshold=5, check_missing=False)
# One vessel ("secret") with 6 port calls at berth B; 20 vessels with one call each at A.
ROWS = [(f"v{i}", 100 + i, "A") for i in range(20)] + [("secret", 7, "B")] * 6
CREATE = "CREATE TABLE t (mmsi VARCHAR, tonnage INTEGER, berth VARCHAR)"
SQL = "SELECT berth AS berth, count(*) AS calls, sum(tonnage) AS tonnage FROM t GROUP BY berth"


def _table(path, create, rows):
    with duckdb.connect() as con:
        con.execute(create)
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO t VALUES ({marks})", rows)  # noqa: S608
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    return path


def _run(path, sql, *, unit, fields):
    result = engine.run(
        aggregate_shape(sql, {"t": "t"}, placeholders=True),
        table=path,
        fields=frozenset(fields),
        bindings={},
        unit=unit,
        params=PARAMS,
        max_rows=1000,
        memory_limit="256MB",
        hold_bytes=0,
        seconds=30,
    )
    return {row[0]: (row[1:], hidden) for row, hidden in zip(result.rows, result.suppressed)}  # noqa: B905


def test_a_unit_missing_from_the_table_is_an_error_never_rows_counted(tmp_path):
    with_unit = _table(tmp_path / "with.parquet", CREATE, ROWS)
    found = _run(with_unit, SQL, unit="MMSI", fields={"berth", "tonnage"})  # any case
    assert found["B"] == ([None, None], ["calls", "tonnage"])  # one vessel: hidden
    without = _table(
        tmp_path / "without.parquet",
        "CREATE TABLE t (tonnage INTEGER, berth VARCHAR)",
        [row[1:] for row in ROWS],
    )
    with pytest.raises(engine.RunError, match="does not match the workspace"):
        _run(without, SQL, unit="mmsi", fields={"berth", "tonnage"})


def _check(sql, *, unit="", parameters=(), columns=("berth", "calls")):
    return engine.template_check(
        sql,
        parameters=engine.parameters_clean(list(parameters)),
        columns=list(columns),
        unit=unit,
        scope={"t": ["mmsi", "tonnage", "berth", "arrival"]},
        identifiers={"t": {"mmsi"}},
        field_types={
            "t": {"mmsi": "string", "berth": "string", "tonnage": "integer", "arrival": "timestamp"}
        },
    )


def test_a_template_filtering_on_an_identifier_counts_units():
    sql = "SELECT berth AS berth, count(*) AS calls FROM t WHERE mmsi = $vessel GROUP BY berth"
    vessel = [{"name": "vessel", "type": "choice", "choices": ["secret", "v1"]}]
    with pytest.raises(engine.TemplateError, match="filters on an identifier") as refused:
        _check(sql, parameters=vessel)
    assert refused.value.field == "unit"
    assert _check(sql, parameters=vessel, unit="mmsi").table == "t"


@pytest.mark.parametrize(
    ("cast", "refused"),
    [
        ("CAST(berth AS INTEGER) >= 0", True),  # text to a number: fails on some values
        ("CAST(tonnage AS DECIMAL(4, 1)) > 1", True),  # may overflow
        ("TRY_CAST(berth AS INTEGER) >= 0", False),
        ("CAST(tonnage AS DOUBLE) > 1", False),
        ("CAST(arrival AS DATE) >= DATE '2025-03-01'", False),
        ("CAST(date_trunc('day', arrival) AS DATE) >= DATE '2025-03-01'", False),
        ("CAST(tonnage AS VARCHAR) <> ''", False),
    ],
)
def test_a_cast_that_may_fail_on_a_value_is_refused(cast, refused):
    sql = f"SELECT berth AS berth, count(*) AS calls FROM t WHERE {cast} GROUP BY berth"  # noqa: S608
    if refused:
        with pytest.raises(engine.TemplateError, match="use TRY_CAST"):
            _check(sql)
    else:
        assert _check(sql).table == "t"


def test_minus_zero_and_zero_are_one_cell_in_the_evidence_as_in_the_answer(tmp_path):
    """round(temp, 0) puts -0.2 and 0.2 in one cell: its evidence is the whole cell's (ten
    small vessels and one that makes 99.99% of the total: dominated, suppressed), not the
    half whose text the answer shows."""
    rows = [(f"v{i}", -0.2, 10) for i in range(10)] + [("big", 0.2, 1_000_000)]
    path = _table(
        tmp_path / "t.parquet", "CREATE TABLE t (mmsi VARCHAR, temp DOUBLE, w INTEGER)", rows
    )
    sql = "SELECT round(temp, 0) AS t0, sum(w) AS total FROM t GROUP BY round(temp, 0)"
    (found,) = _run(path, sql, unit="mmsi", fields={"temp", "w"}).values()
    assert found == ([None], ["total"])
