"""The cell rules (scenarios.disclosure.cells) at and around their thresholds, on evidence
DuckDB derives from small microdata files."""

# SQL of these tests is built from their own temporary paths.
# ruff: noqa: S608

import csv

import duckdb
import pytest

from scenarios.disclosure.cells import (
    InputError,
    check_microdata,
    combine,
    evaluate,
    evidence_sql,
)
from scenarios.disclosure.params import FAIL, NOT_APPLICABLE, PASS, REVIEW, Parameters


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def cells_by_key(record):
    return {tuple(cell["key"]): cell for cell in record["aggregate"]["cells"]}


def contributions(tmp_path, cells: dict[str, list[float]], *, name="data.csv"):
    """One row per contribution, each from its own vessel."""
    rows, number = [], 0
    for port, values in cells.items():
        for value in values:
            number += 1
            rows.append([port, f"V{number}", value])
    return write_csv(tmp_path / name, ["port", "vessel", "tonnage"], rows)


# --- MinimumThresholdCheck ------------------------------------------------------------------


def test_threshold_cells_just_under_at_and_over(tmp_path):
    counts = {"under": 9, "at": 10, "over": 11}
    rows = [[port, f"{port}-{i}"] for port, n in counts.items() for i in range(n)]
    path = write_csv(tmp_path / "ports.csv", ["port", "vessel"], rows)

    record = check_microdata(path, group_by=["port"], entity="vessel", params=Parameters())

    cells = cells_by_key(record)
    assert cells[("under",)]["status"] == FAIL
    assert cells[("under",)]["failed"] == ["MinimumThresholdCheck"]
    assert cells[("at",)]["status"] == PASS
    assert cells[("over",)]["status"] == PASS
    threshold = record["checks"]["MinimumThresholdCheck"]
    assert threshold["status"] == FAIL
    assert threshold["cells"] == [["under"]]
    assert record["status"] == FAIL
    assert record["summary"] == "fail; MinimumThresholdCheck: 1 cell"


def test_threshold_counts_one_vessel_with_many_rows_once(tmp_path):
    rows = [["Qingdao", "V1"]] * 30 + [["Xiamen", f"V{i}"] for i in range(12)]
    path = write_csv(tmp_path / "calls.csv", ["port", "vessel"], rows)

    by_vessel = check_microdata(path, group_by=["port"], entity="vessel", params=Parameters())
    by_row = check_microdata(path, group_by=["port"], params=Parameters())

    qingdao = cells_by_key(by_vessel)[("Qingdao",)]
    assert (qingdao["rows"], qingdao["entities"], qingdao["status"]) == (30, 1, FAIL)
    assert cells_by_key(by_vessel)[("Xiamen",)]["status"] == PASS
    assert cells_by_key(by_row)[("Qingdao",)]["status"] == PASS  # 30 rows, each a unit


def test_threshold_of_a_mean_counts_contributors_with_a_value(tmp_path):
    rows = [["A", f"V{i}", 5 if i < 9 else ""] for i in range(12)]
    path = write_csv(tmp_path / "m.csv", ["port", "vessel", "tonnage"], rows)

    record = check_microdata(
        path,
        group_by=["port"],
        value="tonnage",
        agg="mean",
        entity="vessel",
        params=Parameters(check_missing=False, dominance_k=1.0, p_percent=0),
    )

    cell = cells_by_key(record)[("A",)]
    assert cell["entities"] == 12
    assert "MinimumThresholdCheck" in cell["failed"]  # 9 contributors


# --- N-K dominance --------------------------------------------------------------------------


def test_nk_fails_exactly_at_k_and_passes_just_below(tmp_path):
    path = contributions(
        tmp_path,
        {
            "at": [450, 450] + [10] * 10,  # top 2 = 900 of 1000: 0.9
            "below": [450, 449] + [10] * 10 + [1],  # 899 of 1000
        },
    )

    record = check_microdata(
        path, group_by=["port"], value="tonnage", agg="sum", entity="vessel", params=Parameters()
    )

    cells = cells_by_key(record)
    assert "NKCheck" in cells[("at",)]["failed"]
    assert "NKCheck" not in cells[("below",)]["failed"]
    assert cells[("below",)]["status"] == PASS
    assert record["checks"]["NKCheck"]["cells"] == [["at"]]


def test_nk_sums_an_entitys_rows_into_one_contribution(tmp_path):
    # V1 has 20 small rows (200 in all) against ten others of 2: it dominates the cell.
    rows = [["A", "V1", 10]] * 20 + [["A", f"W{i}", 2] for i in range(10)]
    path = write_csv(tmp_path / "d.csv", ["port", "vessel", "tonnage"], rows)

    per_row = check_microdata(
        path, group_by=["port"], value="tonnage", agg="sum", params=Parameters()
    )
    per_vessel = check_microdata(
        path, group_by=["port"], value="tonnage", agg="sum", entity="vessel", params=Parameters()
    )

    assert "NKCheck" not in cells_by_key(per_row)[("A",)]["failed"]
    assert "NKCheck" in cells_by_key(per_vessel)[("A",)]["failed"]


def test_nk_is_not_applicable_to_counts(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["port"], [["A"]] * 12)

    record = check_microdata(path, group_by=["port"], params=Parameters())

    assert record["checks"]["NKCheck"]["status"] == NOT_APPLICABLE
    assert record["checks"]["PPercentCheck"]["status"] == NOT_APPLICABLE
    assert record["checks"]["NegativeOrMissingCheck"]["status"] == NOT_APPLICABLE
    assert record["status"] == PASS


# --- p-percent ------------------------------------------------------------------------------


def test_p_percent_passes_at_p_and_fails_just_below(tmp_path):
    path = contributions(
        tmp_path,
        {
            "at": [1000, 500] + [10] * 10,  # (1600 - 1000 - 500) / 1000 = 0.1
            "below": [1000, 500] + [10] * 9 + [9],  # 99 / 1000 = 0.099
        },
    )
    params = Parameters(dominance_k=0.99)  # N-K out of the way

    record = check_microdata(
        path, group_by=["port"], value="tonnage", agg="sum", entity="vessel", params=params
    )

    cells = cells_by_key(record)
    assert cells[("at",)]["status"] == PASS
    assert cells[("below",)]["failed"] == ["PPercentCheck"]
    assert record["checks"]["PPercentCheck"]["status"] == FAIL


def test_p_percent_single_contributor_fails_whatever_zeros_say():
    rows = [("A", 5, 1, 1, 70.0, [70.0], 0, 0)]

    strict = evaluate(rows, agg="sum", value="x", params=Parameters(threshold=1))
    loose = evaluate(
        rows, agg="sum", value="x", params=Parameters(threshold=1, zeros_are_disclosive=False)
    )

    # As ACRO 1.0.2: the rest of a one-contributor cell is nothing, it always fails.
    assert "PPercentCheck" in strict["cells"][0]["failed"]
    assert "PPercentCheck" in loose["cells"][0]["failed"]


# --- Zeros ---------------------------------------------------------------------------------


def test_zero_total_fails_when_zeros_are_disclosive_and_passes_otherwise(tmp_path):
    path = contributions(tmp_path, {"zero": [0] * 12, "some": [5] * 12})

    strict = check_microdata(
        path, group_by=["port"], value="tonnage", agg="sum", params=Parameters()
    )
    loose = check_microdata(
        path,
        group_by=["port"],
        value="tonnage",
        agg="sum",
        params=Parameters(zeros_are_disclosive=False),
    )

    assert set(cells_by_key(strict)[("zero",)]["failed"]) == {
        "PresenceOfZeroCheck",
        "NKCheck",
        "PPercentCheck",
    }
    assert strict["checks"]["PresenceOfZeroCheck"]["cells"] == [["zero"]]
    assert cells_by_key(strict)[("some",)]["status"] == PASS
    # Not disclosive zeros: the zero rule and N-K pass it, p-percent (as ACRO's) does not.
    assert cells_by_key(loose)[("zero",)]["failed"] == ["PPercentCheck"]
    assert loose["checks"]["PresenceOfZeroCheck"]["status"] == PASS
    assert loose["status"] == FAIL


def test_count_of_a_column_with_no_values_is_a_zero_cell():
    rows = [("A", 12, 12, 0, None, None, 0, 12)]

    result = evaluate(rows, agg="count", value="x", params=Parameters(check_missing=False))

    assert set(result["cells"][0]["failed"]) == {"MinimumThresholdCheck", "PresenceOfZeroCheck"}


# --- Negative and missing values --------------------------------------------------------------


def test_negative_value_sends_the_cell_to_review(tmp_path):
    path = contributions(tmp_path, {"neg": [-1] + [10] * 11, "pos": [10] * 12})

    record = check_microdata(
        path, group_by=["port"], value="tonnage", agg="mean", params=Parameters()
    )

    cells = cells_by_key(record)
    assert cells[("neg",)]["status"] == REVIEW
    assert cells[("neg",)]["review"] == ["NegativeOrMissingCheck"]
    assert cells[("pos",)]["status"] == PASS
    assert record["checks"]["NegativeOrMissingCheck"]["status"] == REVIEW
    assert record["status"] == REVIEW


def test_missing_value_is_review_unless_missing_values_are_not_checked(tmp_path):
    rows = [["A", f"V{i}", "" if i == 0 else 10] for i in range(13)]
    path = write_csv(tmp_path / "m.csv", ["port", "vessel", "tonnage"], rows)

    checked = check_microdata(
        path, group_by=["port"], value="tonnage", agg="sum", params=Parameters()
    )
    unchecked = check_microdata(
        path,
        group_by=["port"],
        value="tonnage",
        agg="sum",
        params=Parameters(check_missing=False),
    )

    assert checked["status"] == REVIEW
    assert "missing values" in checked["checks"]["NegativeOrMissingCheck"]["reason"]
    assert unchecked["status"] == PASS


# --- Single-unit statistics ---------------------------------------------------------------------


@pytest.mark.parametrize("agg", ["min", "max", "median"])
def test_single_unit_statistic_fails_unless_allowed_and_cell_passes_threshold(agg):
    rows = [("big", 20, 20, 20, 200.0, [10.0, 10.0], 0, 0), ("small", 3, 3, 3, 30.0, [10.0], 0, 0)]

    refused = evaluate(rows, agg=agg, value="x", params=Parameters())
    allowed = evaluate(rows, agg=agg, value="x", params=Parameters(allow_single_unit=True))

    assert all("SingleUnitStatisticCheck" in cell["failed"] for cell in refused["cells"])
    assert refused["checks"]["SingleUnitStatisticCheck"]["status"] == FAIL
    assert allowed["cells"][0]["status"] == PASS
    assert allowed["cells"][1]["failed"] == ["MinimumThresholdCheck", "SingleUnitStatisticCheck"]
    assert allowed["checks"]["NKCheck"]["status"] == NOT_APPLICABLE


# --- Evidence and records -----------------------------------------------------------------------


def test_evidence_gives_per_entity_contributions_largest_first():
    connection = duckdb.connect()
    relation = (
        "SELECT * FROM (VALUES ('A', 'v1', 5), ('A', 'v1', 7), ('A', 'v2', 3), "
        "('A', 'v3', -1), ('A', NULL, 4), ('A', 'v4', NULL)) AS t(port, vessel, tonnage)"
    )

    rows = connection.execute(evidence_sql(relation, ["port"], "tonnage", "vessel", 3)).fetchall()

    assert rows == [("A", 6, 5, 4, 18.0, [12.0, 4.0, 3.0], 1, 1)]


def test_combine_takes_the_worst_verdict_per_rule_and_cell():
    counts = evaluate([("A", 20, 20, 20, None, None, 0, 0)], agg="count", params=Parameters())
    sums = evaluate(
        [("A", 20, 20, 20, 100.0, [95.0, 1.0], 0, 0)], agg="sum", value="x", params=Parameters()
    )

    combined = combine([counts, sums])

    assert combined["checks"]["NKCheck"]["status"] == FAIL
    assert combined["checks"]["MinimumThresholdCheck"]["status"] == PASS
    assert combined["cells"] == [
        {
            "key": ["A"],
            "entities": 20,
            "rows": 20,
            "status": FAIL,
            "failed": ["NKCheck", "PPercentCheck"],
        }
    ]


def test_check_microdata_reads_parquet_and_keeps_parameters(tmp_path):
    path = tmp_path / "d.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT range % 3 AS port FROM range(60)) TO '{path}' (FORMAT parquet)"
    )
    params = Parameters(threshold=25)

    record = check_microdata(path, group_by=["port"], params=params)

    assert record["parameters"] == params.to_dict()
    assert [cell["key"] for cell in record["aggregate"]["cells"]] == [[0], [1], [2]]
    assert record["checks"]["MinimumThresholdCheck"]["status"] == FAIL


def test_check_microdata_names_a_missing_file_or_column(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["port", "tonnage"], [["A", 1]])

    with pytest.raises(InputError, match="No data file"):
        check_microdata(tmp_path / "nope.csv", group_by=["port"], params=Parameters())
    with pytest.raises(InputError, match="No column 'vessel'"):
        check_microdata(path, group_by=["port"], entity="vessel", params=Parameters())
    with pytest.raises(InputError, match="needs a value column"):
        check_microdata(path, group_by=["port"], agg="sum", params=Parameters())
    with pytest.raises(InputError, match="not numeric"):
        check_microdata(path, group_by=["tonnage"], value="port", agg="sum", params=Parameters())
