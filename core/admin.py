from django.contrib import admin

from core.models import AuditEvent, Notification


class ReadOnly:
    """A model admin that only reads: changes go through the services (audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly, admin.ModelAdmin):
    """The trail is append-only, and the admin cannot change that."""

    list_display = ["seq", "time", "actor_username", "organization", "action", "target_type"]
    list_filter = ["action"]
    search_fields = ["action", "actor_username", "target_id"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "emailed_at"]
    readonly_fields = ["recipient", "subject", "body", "created_at", "emailed_at"]

    def has_add_permission(self, request):
        return False
