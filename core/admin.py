from django.contrib import admin

from core.models import AuditEvent, Notification


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, and the admin cannot change that."""

    list_display = ["seq", "time", "actor_username", "organization", "action", "target_type"]
    list_filter = ["action"]
    search_fields = ["action", "actor_username", "target_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "emailed_at"]
    readonly_fields = ["recipient", "subject", "body", "created_at", "emailed_at"]

    def has_add_permission(self, request):
        return False
