"""Notifications to people: kept in the portal and sent by email from a worker."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    # Where the notification leads: a portal path (the e-mail makes it absolute).
    target_url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # When its e-mail was last handed to the broker (beat sends it again if it is not
    # emailed some time after: core/services/notifications.py).
    email_queued_at = models.DateTimeField(_("e-mail queued at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        db_table = "operation_notification"  # created by the operation app's migrations
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject

    def absolute_url(self) -> str:
        """The link as an e-mail carries it: PORTAL_URL and the object's path."""
        return f"{settings.PORTAL_URL}{self.target_url}" if self.target_url else ""
