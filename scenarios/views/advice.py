"""What a failed (or held) disclosure check means to the developer, in words, and the
changes that can make that rule pass: only those that can (rounding a row-level table, for
one, does not make it an aggregate). Two of them are done here by the platform, as a
mitigated copy (``suppress``, ``round``); the others are changes to the job's code."""

from django.utils.translation import gettext_lazy as _

from scenarios.disclosure.params import FAIL, REVIEW

# The rules a check record may name (scenarios/disclosure): what each guards against.
RULES = {
    "MinimumThresholdCheck": (
        _("Minimum cell count"),
        _("A cell counts fewer units (vessels, buoys, people) than the type's minimum."),
    ),
    "PresenceOfZeroCheck": (
        _("Zero cells"),
        _("A cell is zero, which says that no unit of that group exists."),
    ),
    "NKCheck": (
        _("Dominance"),
        _("In a cell, a few units make up most of the total, which reveals their values."),
    ),
    "PPercentCheck": (
        _("p-percent rule"),
        _("In a cell, the second largest unit could estimate the largest one's value."),
    ),
    "NegativeOrMissingCheck": (
        _("Negative or missing values"),
        _("Values are negative or missing, where the other rules do not hold."),
    ),
    "SingleUnitStatisticCheck": (
        _("Single-unit statistic"),
        _("A minimum, maximum or median is one unit's own value."),
    ),
    "RowLevelCheck": (
        _("Row-level data"),
        _("The file holds individual records or identifiers, not aggregates."),
    ),
    "BlockedTypeCheck": (
        _("File type"),
        _("The file is of a type that is not released."),
    ),
    "SizeCheck": (
        _("File size"),
        _("The file is larger than an output may be."),
    ),
    "dof": (
        _("Residual degrees of freedom"),
        _("A model has too few residual degrees of freedom: it could reproduce its data."),
    ),
    "QueryShapeCheck": (
        _("Checkable query"),
        _("The output is not one aggregate query the checks can verify cell by cell."),
    ),
    "FileMatchesQueryCheck": (
        _("File matches its query"),
        _("The file does not hold exactly the result of the query that names it."),
    ),
    "DifferencingCheck": (
        _("Differencing"),
        _("Compared with an output already released, it reveals a small group by subtraction."),
    ),
}

# The changes that can make a rule pass. ``suppress`` and ``round`` are buttons.
FIXES = {
    "coarser": (
        _("Coarser groups"),
        _(
            "Group by fewer or broader categories (e.g. vessel type instead of berth), so "
            "each cell counts more units."
        ),
    ),
    "period": (
        _("A wider period"),
        _("Cover a longer period (a month instead of a day), so each cell gathers more units."),
    ),
    "drop": (
        _("Drop the column"),
        _(
            "Leave out the column that isolates units: an identifier, or a minimum, maximum "
            "or median (a mean or a total is checked instead)."
        ),
    ),
    "filter": (
        _("Leave out missing values"),
        _("Filter out rows whose value is missing or negative (WHERE value IS NOT NULL)."),
    ),
    "aggregate": (
        _("Aggregate the rows"),
        _("Write counts or totals per group (GROUP BY) instead of the records themselves."),
    ),
    "suppress": (
        _("Suppress the failing cells"),
        _(
            "A mitigated copy: the failing cells, and those the totals would give away, are "
            "left empty."
        ),
    ),
    "round": (
        _("Rounding"),
        _(
            "A mitigated copy with every value rounded to a base, so that a difference no "
            "longer reveals an exact value."
        ),
    ),
    "file_type": (
        _("Another file type"),
        _("Write a table (CSV or Parquet) or a figure (PNG or JPEG)."),
    ),
    "smaller": (
        _("A smaller output"),
        _("Write fewer rows or columns: an aggregate rather than an extract."),
    ),
    "simpler_model": (
        _("A simpler model"),
        _("Fit fewer parameters, or use more rows (a wider period)."),
    ),
    "plain_query": (
        _("One aggregate query"),
        _(
            "Write the output as one SQL query of groups and counts or sums (SELECT ..., "
            "count(*) ... GROUP BY ...), so that each cell can be checked."
        ),
    ),
    "unchanged": (
        _("The query's result unchanged"),
        _("Let the runner save the query's result: do not edit or rewrite the file."),
    ),
    "same_filters": (
        _("The released output's filters"),
        _(
            "Use the same groups and filters as the output already released, or a "
            "clearly different population."
        ),
    ),
}

RULE_FIXES = {
    "MinimumThresholdCheck": ("coarser", "period", "suppress"),
    "PresenceOfZeroCheck": ("coarser", "period", "suppress"),
    "NKCheck": ("coarser", "period", "suppress"),
    "PPercentCheck": ("coarser", "period", "suppress"),
    "NegativeOrMissingCheck": ("filter", "drop"),
    "SingleUnitStatisticCheck": ("drop",),
    "RowLevelCheck": ("aggregate", "drop"),
    "BlockedTypeCheck": ("file_type",),
    "SizeCheck": ("smaller",),
    "dof": ("simpler_model",),
    "QueryShapeCheck": ("plain_query",),
    "FileMatchesQueryCheck": ("unchanged",),
    "DifferencingCheck": ("round", "same_filters"),
}
MITIGATIONS = ("suppress", "round")


def rule_title(name: str) -> str:
    return RULES[name][0] if name in RULES else name


def rule_words(name: str) -> str:
    return RULES[name][1] if name in RULES else ""


def fixes_for(name: str, status: str) -> list[dict]:
    """The changes that can make a failed or held rule pass; none for the others."""
    if status not in (FAIL, REVIEW):
        return []
    return [
        {"code": code, "label": FIXES[code][0], "how": FIXES[code][1]}
        for code in RULE_FIXES.get(name, ())
    ]


def mitigations_for(checks: list[dict]) -> set[str]:
    """The platform's mitigations that can fix at least one failed or held rule."""
    return {fix["code"] for check in checks for fix in check["fixes"]} & set(MITIGATIONS)
