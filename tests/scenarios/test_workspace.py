"""A workspace's rows do not keep their source's order where a field is generalized."""

import itertools

import duckdb

from operation.models import CatalogField, FieldType, MaskingRule
from scenarios.workspace import materialize

FIELDS = [
    CatalogField(
        column="ts",
        data_type=FieldType.TIMESTAMP,
        masking=MaskingRule.GENERALIZE,
        generalize="hour",
    ),
    CatalogField(column="seq", data_type=FieldType.INTEGER, masking=MaskingRule.KEEP),
]


def _built(tmp_path, sort_by) -> list[int]:
    """5,000 readings within one hour, in time order (``seq`` their order), built into a
    workspace; ``seq`` in the workspace's row order."""
    source = tmp_path / "source.parquet"
    readings = (
        "SELECT TIMESTAMP '2025-03-01 10:00:00' + to_milliseconds(i * 600) AS ts, i AS seq "
        "FROM range(5000) t(i)"
    )
    duckdb.execute(f"COPY ({readings}) TO '{source}' (FORMAT parquet)")
    final = tmp_path / f"ws-{sort_by}"
    manifest = materialize(
        [
            {
                "code": "T-1",
                "source": source,
                "fields": FIELDS,
                "sort_by": sort_by,
                "catalog_version": 1,
                "resource_version": 1,
                "source_sha256": "",
            }
        ],
        key_hex="00" * 32,
        final_dir=final,
        tmp_root=tmp_path,
        memory_limit="256MB",
    )
    table = final / manifest["tables"]["T-1"]["file"]
    rows = duckdb.execute("SELECT ts, seq FROM read_parquet($p)", {"p": str(table)}).fetchall()
    assert {ts.minute for ts, _seq in rows} == {0}  # generalized to the hour
    return [seq for _ts, seq in rows]


def test_rows_within_a_generalized_hour_are_shuffled_sorted_or_not(tmp_path):
    for sort_by in ("ts", None):
        order = _built(tmp_path, sort_by)
        assert sorted(order) == list(range(5000))
        # in time order, the row order would tell which reading came first within the hour
        rising = sum(1 for a, b in itertools.pairwise(order) if b == a + 1)
        assert rising < 100, (sort_by, rising)
