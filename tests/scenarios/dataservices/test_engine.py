"""Calls read only the row groups their day range needs: a day range on a cast timestamp
is also checked on the column itself, and workspace tables are sorted by the time field
the services filter on, with row-group statistics."""

import pyarrow.parquet as pq
import pytest

from core.storage import data_path
from scenarios.dataservices.engine import pruning_filter
from scenarios.models import Workspace

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
