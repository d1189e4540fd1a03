"""Platform roles (operator staff, reviewer, auditor, registration authority): Django groups,
checked here only."""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformRole(models.TextChoices):
    OPERATOR_STAFF = "operator_staff", _("Operator staff")
    REVIEWER = "reviewer", _("Reviewer")
    AUDITOR = "auditor", _("Auditor")
    REGISTRATION_AUTHORITY = "registration_authority", _("Registration authority")


def role_group(role: PlatformRole) -> Group:
    group, _created = Group.objects.get_or_create(name=f"platform:{role.value}")
    return group


def user_roles(user) -> set[PlatformRole]:
    """The user's platform roles, cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_platform_roles", None)
    if cached is None:
        names = user.groups.filter(name__startswith="platform:").values_list("name", flat=True)
        cached = {PlatformRole(name.removeprefix("platform:")) for name in names}
        user._platform_roles = cached
    return cached


def has_role(user, *roles: PlatformRole) -> bool:
    return bool(user_roles(user) & set(roles))
