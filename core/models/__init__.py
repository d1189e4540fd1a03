from core.models.audit import AuditChainHead, AuditEvent
from core.models.notification import Notification
from core.models.worker import WorkerHeartbeat

__all__ = ["AuditChainHead", "AuditEvent", "Notification", "WorkerHeartbeat"]
