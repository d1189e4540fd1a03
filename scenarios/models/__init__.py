from scenarios.models.compute import ComputeDraw, ComputeVoucher
from scenarios.models.job import (
    FINISHED,
    Job,
    JobLanguage,
    JobOutput,
    JobOutputKind,
    JobStatus,
)
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
    "FINISHED",
    "AmendmentReview",
    "ComputeDraw",
    "ComputeVoucher",
    "Job",
    "JobLanguage",
    "JobOutput",
    "JobOutputKind",
    "JobStatus",
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
