from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenants.permissions import is_operator_staff


class StaffWrites(BasePermission):
    """Reading is for anyone logged in (selectors scope it); writing is for operator staff,
    checked before any input is parsed or any object looked up, so a refusal reveals
    nothing about what exists."""

    message = _("Only operator staff can manage data resources and catalogs.")
    code = "forbidden"

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return is_operator_staff(request.user)
