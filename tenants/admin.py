from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from tenants.models import AdmissionApplication, Membership, Organization


class ReadOnlyAdmin(GuardedModelAdmin):
    """Changes go through the portal's services (audited); the admin only reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "credit_code", "contact_person"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en", "credit_code"]


@admin.register(AdmissionApplication)
class AdmissionApplicationAdmin(ReadOnlyAdmin):
    list_display = ["organization", "status", "submitted_at", "decided_at"]
    list_filter = ["status"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "role"]
