from scenarios.models.scenario import (
    AmendmentReview,
    Scenario,
    ScenarioScopeItem,
    ScenarioStatus,
    Workspace,
    WorkspaceStatus,
)
from scenarios.models.scenario_type import (
    OutputKind,
    ScenarioType,
    ScenarioTypeStatus,
    TypeReview,
    TypeScopeItem,
)

__all__ = [
    "AmendmentReview",
    "OutputKind",
    "Scenario",
    "ScenarioScopeItem",
    "ScenarioStatus",
    "ScenarioType",
    "ScenarioTypeStatus",
    "TypeReview",
    "TypeScopeItem",
    "Workspace",
    "WorkspaceStatus",
]
