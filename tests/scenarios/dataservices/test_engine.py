"""Calls read only the row groups their day range needs: a day range on a cast timestamp
is also checked on the column itself, and workspace tables are sorted by the time field
the services filter on, with row-group statistics. A service counting rows gets its
cells and their evidence from one query."""

import pyarrow.parquet as pq
import pytest

from core.storage import data_path
from scenarios.dataservices.calls import service_call
from scenarios.dataservices.engine import pruning_filter
from scenarios.models import Workspace
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


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "where"), [SMALL_CELLS[0], SMALL_CELLS[2], (MONTH, FULL)])
def test_a_service_counting_rows_is_answered_and_suppressed_from_one_query(
    tmp_path, django_capture_on_commit_callbacks, params, where
):
    """No unit field: every row is a unit, and the cells with their evidence come from
    one query; a cell of fewer rows than the threshold is suppressed, the others exact."""
    with django_capture_on_commit_callbacks(execute=True):
        scenario, _developer, _definition, secret = serviced_scenario(tmp_path, unit="")
    threshold = scenario.scenario_type.min_cell_count
    truth = true_counts(scenario, where)

    answer = service_call(secret=secret, code="berth-traffic", given=params)

    assert answer["rows"] == [
        {"berth": berth, "port_calls": rows, "suppressed": []}
        if rows >= threshold
        else {"berth": berth, "port_calls": None, "suppressed": ["port_calls"]}
        for berth, (rows, _vessels) in sorted(truth.items())
    ]
