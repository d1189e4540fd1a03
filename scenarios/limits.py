"""A job's sandbox limits: the platform's defaults and maxima (settings), a type's own
limits within them, and a dry run's shorter wall clock."""

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import InvalidInput

DRY_RUN_WALL_SECONDS = 300


def effective_limits(scenario_type, *, dry_run: bool = False) -> dict:
    """The platform's defaults, overridden by the type's own limits within the maxima; a
    dry run's wall clock is at most DRY_RUN_WALL_SECONDS."""
    limits = dict(settings.SANDBOX_LIMITS)
    for key, value in (scenario_type.sandbox_limits or {}).items():
        if key in limits and isinstance(value, int) and value > 0:
            limits[key] = min(value, settings.SANDBOX_MAX_LIMITS[key])
    if dry_run:
        limits["wall_seconds"] = min(limits["wall_seconds"], DRY_RUN_WALL_SECONDS)
    return limits


def check_limits(value) -> dict:
    """Validate a type's sandbox limits (used when a type is proposed)."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(_("Sandbox limits must be an object."), field="sandbox_limits")
    for key, number in value.items():
        if key not in settings.SANDBOX_MAX_LIMITS:
            raise InvalidInput(
                _("Unknown sandbox limit %(key)s.") % {"key": key}, field="sandbox_limits"
            )
        maximum = settings.SANDBOX_MAX_LIMITS[key]
        minimum = settings.SANDBOX_MIN_MEMORY_MB if key == "memory_mb" else 1
        valid = isinstance(number, int) and not isinstance(number, bool)
        if not valid or not minimum <= number <= maximum:
            raise InvalidInput(
                _("Sandbox limit %(key)s must be a whole number from %(min)s to %(max)s.")
                % {"key": key, "min": minimum, "max": maximum},
                field="sandbox_limits",
            )
    return value
