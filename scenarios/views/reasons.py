"""A disclosure check's reason in the reader's language. The engine (scenarios/disclosure)
records each reason as a code with its parameters (``reasons``) beside its English
sentence (``reason``); this words the codes through gettext. Records made before the codes
are read back from the English sentence's shape; a sentence of no known shape reads as a
pointer to the rule's description, never as English in another language's page."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# Names in the parameters: the file's kinds, blocked categories, aggregates, limits.
KINDS = {
    "csv": gettext_lazy("CSV"),
    "tsv": gettext_lazy("TSV"),
    "text": gettext_lazy("text"),
    "json": gettext_lazy("JSON"),
    "svg": gettext_lazy("an SVG image"),
    "png": gettext_lazy("a PNG image"),
    "jpeg": gettext_lazy("a JPEG image"),
    "pdf": gettext_lazy("a PDF document"),
    "parquet": gettext_lazy("a Parquet file"),
    "binary": gettext_lazy("binary data"),
    "empty": gettext_lazy("empty"),
}
CATEGORIES = {
    "archive": gettext_lazy("an archive"),
    "database": gettext_lazy("a database"),
    "serialized object": gettext_lazy("a serialized object"),
    "executable": gettext_lazy("an executable"),
}
AGGREGATES = {
    "min": gettext_lazy("minimum"),
    "max": gettext_lazy("maximum"),
    "median": gettext_lazy("median"),
}
LIMITS = {
    "timeout": gettext_lazy("time"),
    "cpu": gettext_lazy("CPU time"),
    "memory": gettext_lazy("memory"),
    "crash": gettext_lazy("a crash of the check's process"),
    "error": gettext_lazy("an error of the check's process"),
}
ROLES = {"identifier": gettext_lazy("an identifier"), "pseudonym": gettext_lazy("a pseudonym")}
NOT_DERIVED = {
    "no_statement": gettext_lazy("no statement of the job is known to have produced this file"),
    "shape_unknown": gettext_lazy(
        "the query is not a single SELECT of plain aggregates over one workspace table, "
        "filtered and grouped by columns"
    ),
    "no_table": gettext_lazy("the workspace table's file is missing"),
    "not_regular": gettext_lazy("the output is not a regular file within the size limit"),
    "input_error": gettext_lazy("the query cannot be checked as it is written"),
    "query_error": gettext_lazy("the query does not run on the workspace"),
}


def _name(names: dict, code) -> str:
    """A parameter's name in words; one unknown here (a newer engine's) as "another kind"."""
    return str(names.get(code, _("another kind")))


def _percent(share) -> str:
    return f"{float(share):.0%}"


def _cells(p: dict) -> str:
    """``n of N cells`` (what failed of how many)."""
    return ngettext("%(n)s of %(cells)s cell", "%(n)s of %(cells)s cells", p["cells"]) % p


def _units(p: dict, count: int) -> str:
    if p.get("values", True):
        return ngettext("%(count)s contributor", "%(count)s contributors", count) % {"count": count}
    return ngettext("%(count)s entity", "%(count)s entities", count) % {"count": count}


def _threshold_fail(p):
    return _("%(cells)s have fewer than %(units)s (the fewest: %(fewest)s).") % {
        "cells": _cells(p),
        "units": _units(p, p["threshold"]),
        "fewest": p["fewest"],
    }


def _threshold_pass(p):
    return ngettext(
        "The %(cells)s cell has at least %(units)s.",
        "Every one of %(cells)s cells has at least %(units)s.",
        p["cells"],
    ) % {"cells": p["cells"], "units": _units(p, p["threshold"])}


def _zero_allowed(p):
    text = (
        ngettext(
            "Zeros are not disclosive under these parameters (%(n)s cell with a zero total).",
            "Zeros are not disclosive under these parameters (%(n)s cells with a zero total).",
            p["zeros"],
        )
        if p.get("total")
        else ngettext(
            "Zeros are not disclosive under these parameters (%(n)s cell with a zero count).",
            "Zeros are not disclosive under these parameters (%(n)s cells with a zero count).",
            p["zeros"],
        )
    )
    return text % {"n": p["zeros"]}


def _zero_fail(p):
    if p.get("total"):
        text = _("%(cells)s have a zero total, and zeros are disclosive under these parameters.")
    else:
        text = _("%(cells)s have a zero count, and zeros are disclosive under these parameters.")
    return text % {"cells": _cells(p)}


def _nk_fail(p):
    text = _(
        "In %(cells)s the largest %(largest)s contributors make up %(k)s or more of the "
        "cell's total."
    ) % {"cells": _cells(p), "largest": p["largest"], "k": _percent(p["k"])}
    if p.get("zeros"):
        text += " " + _(
            "Cells with a total of zero or less count as failing: zeros are disclosive."
        )
    return text


def _p_fail(p):
    return (
        _(
            "In %(cells)s the rest of the cell, less the second largest contributor, estimates "
            "the largest to within %(p)s."
        )
        % {"cells": _cells(p), "p": _percent(p["p"])}
        + " "
        + _("Cells with fewer than two contributors or a total of zero or less count as failing.")
    )


def _negative_review(p):
    parts = []
    if p.get("negative"):
        parts.append(
            ngettext(
                "%(n)s cell with negative values", "%(n)s cells with negative values", p["negative"]
            )
            % {"n": p["negative"]}
        )
    if p.get("missing"):
        parts.append(
            ngettext(
                "%(n)s cell with missing values", "%(n)s cells with missing values", p["missing"]
            )
            % {"n": p["missing"]}
        )
    found = (
        _("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]}
        if len(parts) == 2
        else "".join(parts)
    )
    return _("%(found)s: the other rules do not hold there; review.") % {"found": found}


def _single_fail(p):
    agg = _name(AGGREGATES, p["agg"])
    if p.get("allowed"):
        text = _(
            "A %(agg)s is one unit's own value (allowed only in cells with at least "
            "%(threshold)s contributors): %(cells)s fail."
        )
    else:
        text = _(
            "A %(agg)s is one unit's own value (not allowed by the scenario type): %(cells)s fail."
        )
    return text % {"agg": agg, "threshold": p.get("threshold"), "cells": _cells(p)}


def _not_derived(p):
    if p.get("why") == "timeout":
        return _(
            "The evidence could not be derived: deriving it took longer than %(seconds)s "
            "seconds; it needs a reviewer."
        ) % {"seconds": f"{p.get('seconds', 0):g}"}
    return _("The evidence could not be derived: %(why)s; it needs a reviewer.") % {
        "why": _name(NOT_DERIVED, p.get("why"))
    }


def _identifier_columns(p):
    roles = _(" or ").join(str(ROLES.get(role, role)) for role in p.get("roles", []))
    return ngettext(
        "The output has %(n)s column named like %(roles)s column of input table %(table)s.",
        "The output has %(n)s columns named like %(roles)s columns of input table %(table)s.",
        p["columns"],
    ) % {"n": p["columns"], "roles": roles, "table": p["table"]}


def _comparable(p, rows: str):
    return _(
        "The output has %(rows)s, comparable to the %(table_rows)s rows of input table %(table)s."
    ) % {"rows": rows, "table_rows": p["table_rows"], "table": p["table"]}


# One translatable template per code; a function where counts or names need choosing.
TEMPLATES = {
    "threshold_fail": _threshold_fail,
    "threshold_pass": _threshold_pass,
    "zero_single": lambda p: _("A minimum, maximum or median is not a count or total."),
    "zero_allowed": _zero_allowed,
    "zero_fail": _zero_fail,
    "zero_pass": lambda p: _("No cell is zero."),
    "dominance_not_sum": lambda p: _("Only totals and means of a value are checked for dominance."),
    "nk_fail": _nk_fail,
    "nk_pass": lambda p: (
        _("In no cell do the largest %(largest)s contributors make up %(k)s or more of the total.")
        % {"largest": p["largest"], "k": _percent(p["k"])}
    ),
    "p_fail": _p_fail,
    "p_pass": lambda p: (
        _("In every cell the largest contributor is hidden by more than %(p)s of it.")
        % {"p": _percent(p["p"])}
    ),
    "negative_count": lambda p: _("A count of rows has no values to be negative or missing."),
    "negative_review": _negative_review,
    "negative_pass": lambda p: (
        _("No cell holds negative or missing values.")
        if p.get("missing")
        else _("No cell holds negative values.")
    ),
    "single_other": lambda p: _("Not a minimum, maximum or median."),
    "single_fail": _single_fail,
    "single_pass": lambda p: (
        _(
            "The scenario type allows a %(agg)s in cells that pass the threshold, and every "
            "cell does."
        )
        % {"agg": _name(AGGREGATES, p["agg"])}
    ),
    "not_checked": lambda p: _("Not checked."),
    "compare_unreadable": lambda p: _(
        "Not compared with the query: the file cannot be read strictly as a table."
    ),
    "compare_columns": lambda p: (
        _("The file has %(file)s columns, the query %(query)s: the file is not the query's result.")
        % p
    ),
    "compare_names": lambda p: _(
        "The file's column names differ from the query's: not its result (name each column "
        "of the query with AS)."
    ),
    "compare_records": lambda p: (
        _(
            "The file does not hold the query's result: %(rows)s data records in the file, "
            "%(cells)s cells in the query re-run on the workspace. The job may have overwritten it."
        )
        % p
    ),
    "compare_rows": lambda p: (
        _(
            "The file does not hold the query's result: %(rows)s rows in the file, %(cells)s "
            "cells in the query re-run on the workspace, %(different)s rows that differ. The job "
            "may have overwritten it."
        )
        % p
    ),
    "compare_pass": lambda p: (
        _(
            "The file holds exactly the %(cells)s cells and values of the query re-run on the "
            "workspace."
        )
        % p
    ),
    "unfinished": lambda p: (
        _(
            "The checks of this output did not finish within their limit (%(limit)s). It needs a "
            "reviewer."
        )
        % {"limit": _name(LIMITS, p.get("limit"))}
    ),
    "unfinished_skipped": lambda p: _("Not checked: the checks did not finish."),
    "unfinished_scan": lambda p: (
        _(
            "The checks of this output did not finish within their limit (%(limit)s). The file "
            "may be too large to scan."
        )
        % {"limit": _name(LIMITS, p.get("limit"))}
    ),
    "not_derived": _not_derived,
    "no_evidence": lambda p: _("Not checked: no evidence could be derived for this output."),
    "shape_pass": lambda p: (
        _(
            "An aggregate of %(table)s: evidence derived by the worker from the same rows, "
            "filters and grouping over the workspace."
        )
        % p
    ),
    "python_output": lambda p: _(
        "No query to derive evidence from (a Python job's output or a log): Python outputs "
        "never pass on their own."
    ),
    "differencing_pass": lambda p: (
        _(
            "No released aggregate of the same table and grouping differs from this one by fewer "
            "than %(threshold)s entities in any cell."
        )
        % p
    ),
    "differencing_fail": lambda p: (
        ngettext(
            "With released output %(released)s, this aggregate differs by fewer than "
            "%(threshold)s entities in some cells: subtracting one from the other would disclose "
            "them.",
            "With released outputs %(released)s, this aggregate differs by fewer than "
            "%(threshold)s entities in some cells: subtracting one from the other would disclose "
            "them.",
            len(p["released"]),
        )
        % {"released": ", ".join(map(str, p["released"])), "threshold": p["threshold"]}
    ),
    "blocked_content": lambda p: (
        _("The file's content is %(category)s: such outputs are blocked.")
        % {"category": _name(CATEGORIES, p["category"])}
    ),
    "blocked_extension": lambda p: (
        _("Files with this extension (%(category)s) are blocked.")
        % {"category": _name(CATEGORIES, p["category"])}
    ),
    "extension_not_allowed": lambda p: (
        _("The file's extension is not an allowed output type; allowed are %(allowed)s.")
        % {"allowed": ", ".join(f".{extension}" for extension in p["allowed"])}
    ),
    "content_differs": lambda p: (
        _("The file's content is %(detected)s, not %(kind)s as its extension says.")
        % {
            "detected": _name(KINDS, p.get("detected") or "binary"),
            "kind": _name(KINDS, p["kind"]),
        }
    ),
    "utf16": lambda p: _(
        "The text is encoded as UTF-16, which the checks cannot scan; write UTF-8."
    ),
    "type_pass": lambda p: (
        _("The file is %(kind)s, an allowed type.") % {"kind": _name(KINDS, p["kind"])}
    ),
    "dof_none": lambda p: _("No statistical model was found in the file."),
    "dof_infinite": lambda p: _(
        "A model in the file reports residual degrees of freedom that are not finite."
    ),
    "dof_fail": lambda p: (
        ngettext(
            "Of %(n)s model in the file, the lowest residual degrees of freedom are below the "
            "minimum of %(min)s.",
            "Of %(n)s models in the file, the lowest residual degrees of freedom are below the "
            "minimum of %(min)s.",
            p["models"],
        )
        % {"n": p["models"], "min": p["min_dof"]}
    ),
    "dof_pass": lambda p: (
        ngettext(
            "Of %(n)s model in the file, the lowest residual degrees of freedom are at least the "
            "minimum of %(min)s.",
            "Of %(n)s models in the file, the lowest residual degrees of freedom are at least the "
            "minimum of %(min)s.",
            p["models"],
        )
        % {"n": p["models"], "min": p["min_dof"]}
    ),
    "not_a_file": lambda p: _(
        "The output is not a regular file (a link, folder or device) and is blocked."
    ),
    "not_regular": lambda p: _("Not a regular file."),
    "size_fail": lambda p: (
        ngettext(
            "The file has %(size)s byte, over the limit of %(limit)s.",
            "The file has %(size)s bytes, over the limit of %(limit)s.",
            p["size"],
        )
        % p
    ),
    "size_pass": lambda p: (
        ngettext(
            "The file has %(size)s byte, within the limit of %(limit)s.",
            "The file has %(size)s bytes, within the limit of %(limit)s.",
            p["size"],
        )
        % p
    ),
    "type_unreadable": lambda p: _("Not checked: the file's type is not one that can be read."),
    "too_large": lambda p: _("Not checked: the file is larger than the size limit."),
    "svg_active": lambda p: _(
        "The SVG image holds active content (scripts or event handlers) and is blocked."
    ),
    "unreadable": lambda p: (
        _("The file cannot be read fully as %(kind)s, so its content was not checked.")
        % {"kind": _name(KINDS, p.get("kind"))}
    ),
    "pseudonym": lambda p: _(
        "A pseudonym of the workspace appears in the file: row-level identifiers."
    ),
    "comparable_rows": lambda p: _comparable(
        p, ngettext("%(n)s row", "%(n)s rows", p["rows"]) % {"n": p["rows"]}
    ),
    "comparable_lines": lambda p: (
        _comparable(p, ngettext("%(n)s line", "%(n)s lines", p["rows"]) % {"n": p["rows"]})
        + " "
        + _("Is it a row-level listing?")
    ),
    "identifier_columns": _identifier_columns,
    "row_level_pass": lambda p: _(
        "No column named like an identifier, no pseudonym and no row count comparable to an "
        "input table's were found."
    ),
    "pdf_text": lambda p: (
        _(
            "Only the text of the PDF's first %(pages)s pages was checked: it has more text than "
            "the checks read."
        )
        % p
    ),
    "pdf_pages": lambda p: (
        _("Only the first %(checked)s of the PDF's %(pages)s pages were checked.") % p
    ),
}


def _worded(reason: dict) -> str | None:
    template = TEMPLATES.get(reason.get("code"))
    if template is None:
        return None
    params = reason.get("params") or {}
    try:
        text = template(params)
    except (KeyError, TypeError, ValueError):
        return None
    label = params.get("label")
    return _("%(label)s: %(reason)s") % {"label": label, "reason": text} if label else text


# Sentences of records made before the codes: their shape, and the code it says.
_LABEL = r"(?:(?P<label>(?:(?!\. )[^:])+?): )?"  # a value's label, within one sentence
OLD_SENTENCES = [
    (
        "threshold_fail",
        r"(?P<n>\d+) of (?P<cells>\d+) cells? have fewer than (?P<threshold>\d+) "
        r"(?P<units>contributors|entities) \(the fewest: (?P<fewest>\d+)\)\.",
    ),
    (
        "threshold_pass",
        r"Every one of (?P<cells>\d+) cells? has at least (?P<threshold>\d+) "
        r"(?P<units>contributors|entities)\.",
    ),
    ("zero_pass", r"No cell is zero\."),
    (
        "zero_fail",
        r"(?P<n>\d+) of (?P<cells>\d+) cells? have a zero (?P<what>count|total), and zeros are "
        r"disclosive under these parameters\.",
    ),
    ("dominance_not_sum", r"Only totals and means of a value are checked for dominance\."),
    (
        "nk_pass",
        r"In no cell do the largest (?P<largest>\d+) contributors make up (?P<k>\d+)% or more "
        r"of the total\.",
    ),
    (
        "p_pass",
        r"In every cell the largest contributor is hidden by more than (?P<p>\d+)% of it\.",
    ),
    ("negative_count", r"A count of rows has no values to be negative or missing\."),
    ("negative_pass", r"No cell holds negative(?P<or_missing> or missing)? values\."),
    (
        "zero_allowed",
        r"Zeros are not disclosive under these parameters \((?P<zeros>\d+) cells? with a zero "
        r"(?P<what>count|total)\)\.",
    ),
    (
        "nk_fail",
        r"In (?P<n>\d+) of (?P<cells>\d+) cells? the largest (?P<largest>\d+) contributors make "
        r"up (?P<k>\d+)% or more of the cell's total(?P<zeros_note> \(cells with a total of "
        r"zero or less count as failing: zeros are disclosive\))?\.",
    ),
    (
        "p_fail",
        r"In (?P<n>\d+) of (?P<cells>\d+) cells? the rest of the cell, less the second largest "
        r"contributor, estimates the largest to within (?P<p>\d+)% \(cells with fewer than two "
        r"contributors or a total of zero or less count as failing\)\.",
    ),
    (
        "negative_review",
        r"(?:(?P<negative>\d+) cells? with negative values)?(?: and )?(?:(?P<missing>\d+) "
        r"cells? with missing values)?: the other rules do not hold there; review\.",
    ),
    (
        "single_fail",
        r"A (?P<agg>min|max|median) is one unit's own value \((?:allowed only in cells with at "
        r"least (?P<threshold>\d+) contributors|(?P<refused>not allowed by the scenario type))"
        r"\): (?P<n>\d+) of (?P<cells>\d+) cells? fail\.",
    ),
    (
        "single_pass",
        r"The scenario type allows a (?P<agg>min|max|median) in cells that pass the threshold, "
        r"and every cell does\.",
    ),
    (
        "differencing_fail",
        r"With released outputs? (?P<released>\d+(?:, \d+)*), this aggregate differs by fewer "
        r"than (?P<threshold>\d+) entities in some cells: subtracting one from the other would "
        r"disclose them\.",
    ),
    (
        "compare_records",
        r"The file does not hold the query's result: (?P<rows>\d+) data records in the file, "
        r"(?P<cells>\d+) cells in the query re-run on the workspace\. The job may have "
        r"overwritten it\.",
    ),
    (
        "compare_rows",
        r"The file does not hold the query's result: (?P<rows>\d+) rows in the file, "
        r"(?P<cells>\d+) cells in the query re-run on the workspace, (?P<different>\d+) rows "
        r"that differ\. The job may have overwritten it\.",
    ),
    (
        "dof_fail",
        r"Of (?P<models>\d+) models? in the file, the lowest residual degrees of freedom are "
        r"below the minimum of (?P<min_dof>\d+)\.",
    ),
    (
        "dof_pass",
        r"Of (?P<models>\d+) models? in the file, the lowest residual degrees of freedom are at "
        r"least the minimum of (?P<min_dof>\d+)\.",
    ),
    ("single_other", r"Not a min, max or median\."),
    ("zero_single", r"A min, max or median is not a count or total\."),
    ("not_checked", r"Not checked\."),
    ("unfinished_skipped", r"Not checked: the checks did not finish\."),
    ("no_evidence", r"Not checked: no evidence could be derived for this output\."),
    (
        "python_output",
        r"No query to derive evidence from \(a Python job's output or a log\): Python "
        r"outputs never pass on their own\.",
    ),
    (
        "differencing_pass",
        r"No released aggregate of the same table and grouping differs from this one by "
        r"fewer than (?P<threshold>\d+) entities in any cell\.",
    ),
    (
        "size_pass",
        r"The file has (?P<size>\d+) bytes?, within the limit of (?P<limit>\d+)\.",
    ),
    ("size_fail", r"The file has (?P<size>\d+) bytes?, over the limit of (?P<limit>\d+)\."),
    (
        "row_level_pass",
        r"No column named like an identifier, no pseudonym and no row count comparable to an "
        r"input table's were found\.",
    ),
    ("pseudonym", r"A pseudonym of the workspace appears in the file: row-level identifiers\."),
    ("dof_none", r"No statistical model was found in the file\."),
    ("not_regular", r"Not a regular file\."),
    (
        "compare_pass",
        r"The file holds exactly the (?P<cells>\d+) cells and values of the query re-run on "
        r"the workspace\.",
    ),
    (
        "shape_pass",
        r"An aggregate of (?P<table>[\w-]+): evidence derived by the worker from the same "
        r"rows, filters and grouping over the workspace\.",
    ),
]
# each ends where the reason does or where the next (joined by a space) begins
_OLD = [(code, re.compile(_LABEL + pattern + r"(?= |$)")) for code, pattern in OLD_SENTENCES]


def _old_params(found: dict) -> dict:
    """The parameters the code's words need, from a sentence's groups."""
    params = {key: int(value) for key, value in found.items() if value and value.isdigit()}
    params.update(
        label=found.get("label") or "",
        values=found.get("units") != "entities",
        total=found.get("what") == "total",
        zeros=bool(found.get("zeros_note")) or params.get("zeros", 0),
        allowed=not found.get("refused"),
    )
    if "or_missing" in found:
        params["missing"] = bool(found["or_missing"])
    for share in ("k", "p"):
        if share in params:
            params[share] = params[share] / 100
    for word in ("table", "agg"):
        if found.get(word):
            params[word] = found[word]
    if found.get("released"):
        params["released"] = [int(number) for number in found["released"].split(", ")]
    return params


def _old_reasons(text: str) -> list[dict] | None:
    """The codes of an English reason of an old record, one sentence shape after the
    other (a rule's reasons for several values are joined by spaces), or None."""
    reasons, at, text = [], 0, text.strip()
    while at < len(text):
        for code, pattern in _OLD:
            found = pattern.match(text, at)
            if found:
                reasons.append({"code": code, "params": _old_params(found.groupdict())})
                at = found.end() + 1
                break
        else:
            return None
    return reasons or None


def reason_text(entry: dict) -> str:
    """A check entry's reason in the active language ("" when it has none)."""
    reasons = entry.get("reasons")
    if not reasons and entry.get("reason"):
        reasons = _old_reasons(entry["reason"])
    if not reasons:
        return _("See the rule's description.") if entry.get("reason") else ""
    worded = [_worded(reason) for reason in reasons]
    if not all(worded):
        return _("See the rule's description.")
    return " ".join(worded)
