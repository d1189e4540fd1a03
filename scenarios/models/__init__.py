from scenarios.models.compute import ComputeDraw, ComputeVoucher
from scenarios.models.job import (
    FINISHED,
    CheckStatus,
    Job,
    JobLanguage,
    JobOutput,
    JobOutputKind,
    JobStatus,
)
from scenarios.models.release import (
    ReleasedAggregate,
    ReleaseDecision,
    ReleaseItem,
    ReleaseRequest,
    ReleaseReview,
    ReleaseStatus,
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
    "CheckStatus",
    "ComputeDraw",
    "ComputeVoucher",
    "Job",
    "JobLanguage",
    "JobOutput",
    "JobOutputKind",
    "JobStatus",
    "OutputKind",
    "ReleaseDecision",
    "ReleaseItem",
    "ReleaseRequest",
    "ReleaseReview",
    "ReleaseStatus",
    "ReleasedAggregate",
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
