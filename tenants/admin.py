from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from core.admin import ReadOnly
from tenants.models import AdmissionApplication, Membership, Organization


class ReadOnlyAdmin(ReadOnly, GuardedModelAdmin):
    """Changes go through the portal's services (audited); the admin only reads."""


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
