import json

from scenarios.disclosure.differencing import cells_of, differencing_check, find_pairs
from scenarios.disclosure.params import FAIL, PASS

THRESHOLD = 10


def aggregate(id_, cells: dict, *, filters="", group_by=("berth",), table="HY-0001") -> dict:
    return {
        "id": id_,
        "table": table,
        "group_by": list(group_by),
        "filters": filters,
        "cells": [{"key": list(key), "entities": count} for key, count in cells.items()],
    }


ALL_VESSELS = aggregate(7, {("A",): 40, ("B",): 25, ("C",): 31})
ALL_BUT_ONE = aggregate(
    12, {("A",): 39, ("B",): 25, ("C",): 31}, filters="mmsi <> 'P0123456789abcdef4242'"
)


def test_all_vessels_against_all_vessels_but_one_is_a_pair_naming_the_released_output():
    pairs = find_pairs(ALL_BUT_ONE, [ALL_VESSELS], threshold=THRESHOLD)

    assert len(pairs) == 1
    assert pairs[0]["released"] == 7
    assert pairs[0]["cells"] == [["A"]]
    assert "Released output 7" in pairs[0]["reason"]
    assert "P0123456789abcdef4242" not in pairs[0]["reason"]


def test_the_check_fails_naming_the_released_output():
    entry = differencing_check(ALL_BUT_ONE, [ALL_VESSELS], threshold=THRESHOLD)

    assert entry["status"] == FAIL
    assert "released output 7" in entry["reason"]
    assert entry["released"] == [7]


def test_it_works_in_both_directions():
    # the narrower population released first, the wider one now
    pairs = find_pairs(ALL_VESSELS, [ALL_BUT_ONE], threshold=THRESHOLD)

    assert [pair["released"] for pair in pairs] == [12]


def test_populations_differing_by_the_threshold_or_more_in_every_cell_are_no_pair():
    year = aggregate(13, {("A",): 30, ("B",): 15, ("C",): 21}, filters="year = 2024")

    assert find_pairs(year, [ALL_VESSELS], threshold=THRESHOLD) == []
    assert differencing_check(year, [ALL_VESSELS], threshold=THRESHOLD)["status"] == PASS


def test_a_difference_just_below_the_threshold_is_a_pair():
    close = aggregate(14, {("A",): 31, ("B",): 15, ("C",): 21}, filters="year = 2024")

    pairs = find_pairs(close, [ALL_VESSELS], threshold=THRESHOLD)

    assert pairs[0]["cells"] == [["A"]]  # 40 - 31 = 9


def test_a_cell_on_one_side_only_counts_against_zero():
    few = aggregate(15, {("A",): 40, ("B",): 25, ("C",): 31, ("D",): 3}, filters="x > 1")
    many = aggregate(16, {("A",): 40, ("B",): 25, ("C",): 31, ("D",): 12}, filters="x > 1")

    assert find_pairs(few, [ALL_VESSELS], threshold=THRESHOLD)[0]["cells"] == [["D"]]
    assert find_pairs(many, [ALL_VESSELS], threshold=THRESHOLD) == []


def test_the_same_filters_are_the_same_population():
    again = aggregate(17, {("A",): 39, ("B",): 25, ("C",): 31}, filters="  mmsi <>\n'x' ")
    same = aggregate(18, {("A",): 38, ("B",): 25, ("C",): 31}, filters="mmsi <> 'x'")

    assert find_pairs(again, [same], threshold=THRESHOLD) == []


def test_another_grouping_or_table_is_not_compared():
    by_month = aggregate(19, {("A",): 39}, filters="x", group_by=("month",))
    by_two = aggregate(20, {("A", "Jan"): 39}, filters="x", group_by=("berth", "month"))
    elsewhere = aggregate(21, {("A",): 39}, filters="x", table="HY-0002")

    for candidate in (by_month, by_two, elsewhere):
        assert find_pairs(candidate, [ALL_VESSELS], threshold=THRESHOLD) == []


def test_the_same_grouping_in_another_order_is_compared_cell_by_cell():
    released = aggregate(22, {("A", "Jan"): 40, ("B", "Jan"): 30}, group_by=("berth", "month"))
    candidate = aggregate(
        23, {("Jan", "A"): 40, ("Jan", "B"): 28}, filters="x", group_by=("month", "berth")
    )

    pairs = find_pairs(candidate, [released], threshold=THRESHOLD)

    assert pairs[0]["cells"] == [["Jan", "B"]]


def test_cells_given_as_a_mapping_are_read_like_a_list():
    released = {
        "id": 24,
        "table": "HY-0001",
        "group_by": ["berth", "year"],
        "filters": "",
        "cells": {json.dumps(["A", 2024]): 40, ("B", 2024): 25},
    }
    candidate = aggregate(
        25, {("A", "2024"): 39, ("B", "2024.0"): 25}, filters="x", group_by=("berth", "year")
    )

    assert cells_of(released) == {("A", "2024"): 40, ("B", "2024"): 25}
    assert find_pairs(candidate, [released], threshold=THRESHOLD)[0]["cells"] == [["A", "2024"]]


def test_several_released_outputs_are_all_named_and_the_candidate_itself_is_skipped():
    other = aggregate(26, {("A",): 38, ("B",): 25, ("C",): 31}, filters="x > 2")

    entry = differencing_check(ALL_BUT_ONE, [ALL_VESSELS, other, ALL_BUT_ONE], threshold=THRESHOLD)

    assert entry["released"] == [7, 26]
    assert "released outputs 7, 26" in entry["reason"]


def test_cells_without_a_count_are_not_compared():
    suppressed = aggregate(27, {("A",): 40}, filters="x")
    suppressed["cells"].append({"key": ["B"], "entities": None})

    released = aggregate(28, {("A",): 40, ("B",): 3})

    assert find_pairs(suppressed, [released], threshold=THRESHOLD) == []
    assert find_pairs(released | {"id": 29, "filters": "y"}, [suppressed], threshold=10) == []


def test_ungrouped_totals_are_compared_too():
    total = aggregate(30, {(): 96}, group_by=())
    all_but_two = aggregate(31, {(): 94}, filters="berth <> 'C'", group_by=())

    assert find_pairs(all_but_two, [total], threshold=THRESHOLD)[0]["cells"] == [[]]
