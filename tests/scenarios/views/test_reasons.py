"""The disclosure checks' reasons in the reader's language: each code the engine records
has its words in English and Chinese; records made before the codes are read back from
their English sentences, and a sentence of no known shape never shows as English."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from scenarios.disclosure.cells import combine, evaluate
from scenarios.disclosure.differencing import differencing_check
from scenarios.disclosure.params import Parameters
from scenarios.views.reasons import TEMPLATES, reason_text

# Each code with parameters as the engine records them, and its English words.
SAMPLES = {
    "threshold_fail": (
        {"n": 3, "cells": 12, "threshold": 10, "fewest": 2, "values": False, "label": ""},
        "3 of 12 cells have fewer than 10 entities (the fewest: 2).",
    ),
    "threshold_pass": (
        {"cells": 4, "threshold": 10, "values": True, "label": ""},
        "Every one of 4 cells has at least 10 contributors.",
    ),
    "zero_single": ({}, "A minimum, maximum or median is not a count or total."),
    "zero_allowed": (
        {"zeros": 1, "total": True},
        "Zeros are not disclosive under these parameters (1 cell with a zero total).",
    ),
    "zero_fail": (
        {"n": 2, "cells": 5, "total": False},
        "2 of 5 cells have a zero count, and zeros are disclosive under these parameters.",
    ),
    "zero_pass": ({}, "No cell is zero."),
    "dominance_not_sum": ({}, "Only totals and means of a value are checked for dominance."),
    "nk_fail": (
        {"n": 1, "cells": 3, "largest": 2, "k": 0.85, "zeros": False},
        "In 1 of 3 cells the largest 2 contributors make up 85% or more of the cell's total.",
    ),
    "nk_pass": (
        {"largest": 2, "k": 0.85},
        "In no cell do the largest 2 contributors make up 85% or more of the total.",
    ),
    "p_fail": (
        {"n": 1, "cells": 1, "p": 0.1},
        "In 1 of 1 cell the rest of the cell, less the second largest contributor, estimates "
        "the largest to within 10%. Cells with fewer than two contributors or a total of zero "
        "or less count as failing.",
    ),
    "p_pass": (
        {"p": 0.1},
        "In every cell the largest contributor is hidden by more than 10% of it.",
    ),
    "negative_count": ({}, "A count of rows has no values to be negative or missing."),
    "negative_review": (
        {"negative": 1, "missing": 2},
        "1 cell with negative values and 2 cells with missing values: the other rules do not "
        "hold there; review.",
    ),
    "negative_pass": ({"missing": True}, "No cell holds negative or missing values."),
    "single_other": ({}, "Not a minimum, maximum or median."),
    "single_fail": (
        {"n": 2, "cells": 6, "agg": "max", "allowed": False, "threshold": 10},
        "A maximum is one unit's own value (not allowed by the scenario type): 2 of 6 cells fail.",
    ),
    "single_pass": (
        {"agg": "median"},
        "The scenario type allows a median in cells that pass the threshold, and every cell does.",
    ),
    "not_checked": ({}, "Not checked."),
    "compare_unreadable": (
        {},
        "Not compared with the query: the file cannot be read strictly as a table.",
    ),
    "compare_columns": (
        {"file": 3, "query": 2},
        "The file has 3 columns, the query 2: the file is not the query's result.",
    ),
    "compare_names": (
        {},
        "The file's column names differ from the query's: not its result (name each column "
        "of the query with AS).",
    ),
    "compare_records": (
        {"rows": 5, "cells": 4},
        "The file does not hold the query's result: 5 data records in the file, 4 cells in "
        "the query re-run on the workspace. The job may have overwritten it.",
    ),
    "compare_rows": (
        {"rows": 4, "cells": 4, "different": 1},
        "The file does not hold the query's result: 4 rows in the file, 4 cells in the query "
        "re-run on the workspace, 1 rows that differ. The job may have overwritten it.",
    ),
    "compare_pass": (
        {"cells": 4},
        "The file holds exactly the 4 cells and values of the query re-run on the workspace.",
    ),
    "unfinished": (
        {"limit": "memory"},
        "The checks of this output did not finish within their limit (memory). It needs a "
        "reviewer.",
    ),
    "unfinished_skipped": ({}, "Not checked: the checks did not finish."),
    "unfinished_scan": (
        {"limit": "timeout"},
        "The checks of this output did not finish within their limit (time). The file may be "
        "too large to scan.",
    ),
    "not_derived": (
        {"why": "timeout", "seconds": 30.0},
        "The evidence could not be derived: deriving it took longer than 30 seconds; it needs "
        "a reviewer.",
    ),
    "no_evidence": ({}, "Not checked: no evidence could be derived for this output."),
    "shape_pass": (
        {"table": "hy_0001"},
        "An aggregate of hy_0001: evidence derived by the worker from the same rows, filters "
        "and grouping over the workspace.",
    ),
    "python_output": (
        {},
        "No query to derive evidence from (a Python job's output or a log): Python outputs "
        "never pass on their own.",
    ),
    "differencing_pass": (
        {"threshold": 10},
        "No released aggregate of the same table and grouping differs from this one by fewer "
        "than 10 entities in any cell.",
    ),
    "differencing_fail": (
        {"released": [7, 9], "threshold": 10},
        "With released outputs 7, 9, this aggregate differs by fewer than 10 entities in some "
        "cells: subtracting one from the other would disclose them.",
    ),
    "blocked_content": (
        {"category": "archive"},
        "The file's content is an archive: such outputs are blocked.",
    ),
    "blocked_extension": (
        {"category": "executable"},
        "Files with this extension (an executable) are blocked.",
    ),
    "extension_not_allowed": (
        {"allowed": ["csv", "png"]},
        "The file's extension is not an allowed output type; allowed are .csv, .png.",
    ),
    "content_differs": (
        {"kind": "png", "detected": "empty"},
        "The file's content is empty, not a PNG image as its extension says.",
    ),
    "utf16": ({}, "The text is encoded as UTF-16, which the checks cannot scan; write UTF-8."),
    "type_pass": ({"kind": "csv"}, "The file is CSV, an allowed type."),
    "dof_none": ({}, "No statistical model was found in the file."),
    "dof_infinite": (
        {},
        "A model in the file reports residual degrees of freedom that are not finite.",
    ),
    "dof_fail": (
        {"models": 2, "min_dof": 10},
        "Of 2 models in the file, the lowest residual degrees of freedom are below the "
        "minimum of 10.",
    ),
    "dof_pass": (
        {"models": 1, "min_dof": 10},
        "Of 1 model in the file, the lowest residual degrees of freedom are at least the "
        "minimum of 10.",
    ),
    "not_a_file": (
        {},
        "The output is not a regular file (a link, folder or device) and is blocked.",
    ),
    "not_regular": ({}, "Not a regular file."),
    "size_fail": (
        {"size": 2048, "limit": 1024},
        "The file has 2048 bytes, over the limit of 1024.",
    ),
    "size_pass": ({"size": 1, "limit": 1024}, "The file has 1 byte, within the limit of 1024."),
    "type_unreadable": ({}, "Not checked: the file's type is not one that can be read."),
    "too_large": ({}, "Not checked: the file is larger than the size limit."),
    "svg_active": (
        {},
        "The SVG image holds active content (scripts or event handlers) and is blocked.",
    ),
    "unreadable": (
        {"kind": "json"},
        "The file cannot be read fully as JSON, so its content was not checked.",
    ),
    "pseudonym": ({}, "A pseudonym of the workspace appears in the file: row-level identifiers."),
    "comparable_rows": (
        {"rows": 120, "table_rows": 120, "table": "HY-0001"},
        "The output has 120 rows, comparable to the 120 rows of input table HY-0001.",
    ),
    "comparable_lines": (
        {"rows": 1, "table_rows": 1, "table": "HY-0001"},
        "The output has 1 line, comparable to the 1 rows of input table HY-0001. Is it a "
        "row-level listing?",
    ),
    "identifier_columns": (
        {"columns": 2, "roles": ["identifier", "pseudonym"], "table": "HY-0001"},
        "The output has 2 columns named like an identifier or a pseudonym columns of input "
        "table HY-0001.",
    ),
    "row_level_pass": (
        {},
        "No column named like an identifier, no pseudonym and no row count comparable to an "
        "input table's were found.",
    ),
    "pdf_text": (
        {"pages": 3},
        "Only the text of the PDF's first 3 pages was checked: it has more text than the "
        "checks read.",
    ),
    "pdf_pages": (
        {"checked": 50, "pages": 80},
        "Only the first 50 of the PDF's 80 pages were checked.",
    ),
}
# Notations that stay as they are in Chinese words.
NOTATIONS = {"Python", "AS", "CSV", "JSON", "PDF", "PNG", "SVG", "UTF", "CPU", "HY", "hy"}
GENERIC_ZH = "详见该规则的说明。"


def words(code: str, language: str, **params) -> str:
    given, _english = SAMPLES[code]
    with translation.override(language):
        return reason_text(
            {"reason": "…", "reasons": [{"code": code, "params": {**given, **params}}]}
        )


def test_every_code_the_engine_records_has_words():
    engine = Path(__file__).resolve().parents[3] / "scenarios" / "disclosure"
    said = set()
    for source in engine.glob("*.py"):
        said |= set(re.findall(r'say\(\s*"(\w+)"', source.read_text()))
    said |= {"comparable_rows", "comparable_lines"}  # say(f"comparable_{unit}s", ...)
    assert said - set(TEMPLATES) == set()
    assert set(SAMPLES) == set(TEMPLATES)


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_each_reason_reads_in_english_and_in_chinese(code):
    english = words(code, "en")
    chinese = words(code, "zh-hans")

    assert english == SAMPLES[code][1]
    assert chinese != GENERIC_ZH and re.search(r"[\u4e00-\u9fff]", chinese)
    assert set(re.findall(r"(?<![.\w])[A-Za-z]{2,}", chinese)) <= NOTATIONS, chinese


def test_counts_choose_their_plural_and_labels_prefix_the_reason():
    assert words("threshold_fail", "en", n=1, cells=1, label="n") == (
        "n: 1 of 1 cell have fewer than 10 entities (the fewest: 2)."
    )
    assert words("threshold_pass", "en", cells=1, threshold=1) == (
        "The 1 cell has at least 1 contributor."
    )
    assert words("threshold_fail", "zh-hans", label="n") == (
        "n：12 个单元格中的 3 个少于 10 个实体（最少的为 2）。"
    )


def test_merged_reasons_read_one_after_the_other():
    entry = {
        "reason": "…",
        "reasons": [
            {"code": "zero_pass", "params": {"label": "n"}},
            {"code": "dominance_not_sum", "params": {"label": "avg_speed"}},
        ],
    }
    with translation.override("zh-hans"):
        assert (
            reason_text(entry)
            == "n：没有为零的单元格。 avg_speed：只有数值的合计和均值才做优势检查。"
        )


def test_an_old_records_sentences_are_read_back_by_their_shape():
    old = {
        "reason": "n: 3 of 12 cells have fewer than 10 contributors (the fewest: 2). "
        "total: Every one of 1 cell has at least 10 contributors."
    }
    with translation.override("zh-hans"):
        chinese = reason_text(old)
    with translation.override("en"):
        english = reason_text(old)

    assert chinese == (
        "n：12 个单元格中的 3 个少于 10 个贡献者（最少的为 2）。 "
        "total：全部 1 个单元格都至少有 10 个贡献者。"
    )
    assert english == (
        "n: 3 of 12 cells have fewer than 10 contributors (the fewest: 2). "
        "total: The 1 cell has at least 10 contributors."
    )
    with translation.override("zh-hans"):
        assert (
            reason_text(
                {
                    "reason": "In no cell do the largest 2 contributors make up 85% or "
                    "more of the total."
                }
            )
            == "没有哪个单元格中最大的 2 个贡献者占合计的 85% 或以上。"
        )


def test_an_unknown_sentence_or_code_points_to_the_rules_description_never_english():
    with translation.override("zh-hans"):
        assert reason_text({"reason": "Something the engine once said."}) == GENERIC_ZH
        assert reason_text({"reason": "x", "reasons": [{"code": "gone", "params": {}}]}) == (
            GENERIC_ZH
        )
        assert reason_text({"reason": "x", "reasons": [{"code": "nk_pass", "params": {}}]}) == (
            GENERIC_ZH
        )  # parameters missing
        # a developer's record carries no reason: nothing is said
        assert reason_text({"status": "fail", "cells": 3}) == ""
    with translation.override("en"):
        assert reason_text({"reason": "Something the engine once said."}) == (
            "See the rule's description."
        )


# Evidence rows (group, rows, entities, contributors, total, largest contributions,
# negative values, missing values) with every verdict of the cell rules.
EVIDENCE = [
    ("big", 20, 20, 20, 200.0, [150.0, 10.0], 0, 0),
    ("small", 3, 3, 3, 30.0, [10.0, 10.0], 1, 2),
    ("zero", 12, 12, 12, 0.0, [0.0, 0.0], 0, 0),
]
EVALUATIONS = [
    ("sum", "tonnage", Parameters()),
    ("sum", "tonnage", Parameters(zeros_are_disclosive=False)),
    ("count", None, Parameters()),
    ("mean", "speed", Parameters(check_missing=False)),
    ("max", "speed", Parameters()),
    ("median", "speed", Parameters(allow_single_unit=True)),
]


def test_an_old_record_of_the_engine_reads_as_its_codes_do():
    """Every cell rule's English sentence, for one value or several joined, is read back
    to the same words as the codes recorded beside it."""
    evaluations = [
        evaluate(EVIDENCE, agg=agg, value=value, params=params, label=value)
        for agg, value, params in EVALUATIONS
    ]
    entries = [entry for e in evaluations for entry in e["checks"].values()]
    entries += combine(evaluations[:2])["checks"].values()
    entries.append(differencing_check({}, [], threshold=10))
    assert len(entries) > 40

    for entry in entries:
        old = {key: value for key, value in entry.items() if key != "reasons"}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                assert reason_text(old) == reason_text(entry), entry["reason"]
        with translation.override("zh-hans"):
            assert reason_text(entry) != GENERIC_ZH
