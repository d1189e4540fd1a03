from operation.models.audit import AuditChainHead, AuditEvent
from operation.models.notification import Notification

__all__ = ["AuditChainHead", "AuditEvent", "Notification"]
