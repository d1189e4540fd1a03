from django.conf import settings
from django.utils.functional import SimpleLazyObject

from config.work import menu_counts
from tenants.permissions import membership_of, roles_of
from tenants.roles import PlatformRole


def portal(request) -> dict:
    """What the base layout needs: the user's roles and organization, for navigation, and
    what waits for them (``waiting``: a count per menu entry)."""
    roles = roles_of(request.user)
    membership = membership_of(request.user)
    return {
        "roles": {role.value for role in roles},
        "is_operator_staff": PlatformRole.OPERATOR_STAFF in roles,
        "is_auditor": PlatformRole.AUDITOR in roles,
        "is_reviewer": PlatformRole.REVIEWER in roles,
        "is_registration_authority": PlatformRole.REGISTRATION_AUTHORITY in roles,
        "membership": membership,
        # Counted only when a page shows the menu (not for a live fragment's refresh).
        "waiting": SimpleLazyObject(lambda: menu_counts(request.user)),
    }


def sandbox_mode(request) -> dict:
    """Whether jobs run without the sandbox (SANDBOX_INSECURE_DEV): a red banner on every
    page. Read per request, never at import."""
    return {"sandbox_insecure": bool(getattr(settings, "SANDBOX_INSECURE_DEV", False))}
