from operation.models.audit import AuditChainHead, AuditEvent
from operation.models.catalog import (
    Catalog,
    CatalogField,
    CatalogStatus,
    CatalogVersion,
    DataResource,
    DataZone,
    FieldType,
    MaskingRule,
    OpenType,
    ResourceVersion,
    SensitivityLevel,
    SharingType,
    UpdateFrequency,
)
from operation.models.notification import Notification
from operation.models.worker import WorkerHeartbeat

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "Catalog",
    "CatalogField",
    "CatalogStatus",
    "CatalogVersion",
    "DataResource",
    "DataZone",
    "FieldType",
    "MaskingRule",
    "Notification",
    "OpenType",
    "ResourceVersion",
    "SensitivityLevel",
    "SharingType",
    "UpdateFrequency",
    "WorkerHeartbeat",
]
