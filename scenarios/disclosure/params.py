"""The parameters in force for a check: the platform's defaults, or a scenario type's
(which may be stricter, never looser)."""

from dataclasses import asdict, dataclass

PASS, FAIL, REVIEW, NOT_APPLICABLE = "pass", "fail", "review", "not_applicable"


@dataclass(frozen=True)
class Parameters:
    threshold: int = 10  # minimum entities (or rows) per cell
    dominance_n: int = 2  # N-K rule: the top n contributors ...
    dominance_k: float = 0.9  # ... make up k or more of the cell's total: fail
    p_percent: float = 0.1  # p-percent: the rest estimates the largest within p: fail
    min_dof: int = 10  # statistical models: minimum residual degrees of freedom
    zeros_are_disclosive: bool = True
    check_missing: bool = True  # missing values in a cell: review
    allow_single_unit: bool = False  # min/max/median shown when the cell passes

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of_type(cls, scenario_type) -> "Parameters":
        return cls(
            threshold=scenario_type.min_cell_count,
            dominance_n=scenario_type.dominance_n,
            dominance_k=scenario_type.dominance_k,
            p_percent=scenario_type.p_percent,
            min_dof=scenario_type.min_dof,
        )


def overall(statuses) -> str:
    """fail over review over pass; not_applicable counts for nothing."""
    found = set(statuses)
    if FAIL in found:
        return FAIL
    if REVIEW in found:
        return REVIEW
    return PASS
