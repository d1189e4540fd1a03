"""The append-only, hash-chained audit trail.

Each event's hash covers its canonical content and the previous event's hash. Since the
upgrade that keyed the chain it is an HMAC-SHA256 with a key kept outside the database
(``core.services.audit``), named by ``key_id``; events written before it have an empty
``key_id`` and a plain SHA-256, and still verify by that rule.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Audit events can be added, never changed or removed."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")

    # bulk_update goes through update(); bulk_create would bypass the chain.
    def bulk_create(self, *args, **kwargs):
        raise AppendOnlyError("audit events are written one by one through audit_record()")


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    time = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    organization = models.ForeignKey(
        "tenants.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("target type"), max_length=80, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)
    # Which audit key made the hash (empty: an event from before the chain was keyed).
    key_id = models.CharField(_("key id"), max_length=16, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "operation_auditevent"  # created by the operation app's migrations
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")

    def canonical(self) -> str:
        """The event as it is hashed: every recorded field, in a fixed order. A keyed
        event's key id is part of it (an unkeyed event's form is the one it was hashed in)."""
        content = {
            "seq": self.seq,
            "time": self.time.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_username": self.actor_username,
            "organization": self.organization_id,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "details": self.details,
        }
        if self.key_id:
            content["key_id"] = self.key_id
        return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def compute_hash(self, key: bytes | None = None) -> str:
        """HMAC-SHA256 with ``key`` (the key named by ``key_id``) over the previous hash and
        the canonical form; without a key, the plain SHA-256 of events from before."""
        message = (self.prev_hash + self.canonical()).encode()
        if key is None:
            return hashlib.sha256(message).hexdigest()
        return hmac.new(key, message, hashlib.sha256).hexdigest()


class AuditChainHead(models.Model):
    """One row: the last event's sequence number and hash. Writers lock it, which
    serializes appends, and it lets verification notice a removed tail."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The last event's key id: a change (the first keyed event, a rotation) is checkpointed.
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        db_table = "operation_auditchainhead"  # created by the operation app's migrations
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
