from tenants.models.admission import (
    AdmissionApplication,
    AdmissionApplicationGroupObjectPermission,
    AdmissionApplicationUserObjectPermission,
    AdmissionStatus,
    QualificationFile,
)
from tenants.models.organization import (
    MemberRole,
    Membership,
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationKind,
    OrganizationUserObjectPermission,
)

__all__ = [
    "AdmissionApplication",
    "AdmissionApplicationGroupObjectPermission",
    "AdmissionApplicationUserObjectPermission",
    "AdmissionStatus",
    "MemberRole",
    "Membership",
    "Organization",
    "OrganizationGroupObjectPermission",
    "OrganizationKind",
    "OrganizationUserObjectPermission",
    "QualificationFile",
]
