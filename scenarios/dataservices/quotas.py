"""Quotas and rate limits: operator staff set a key's calls per minute and an
organization's calls per day to a service (None: the platform's defaults); every call
takes one from each, in the shared counters (``counters.call_settle``)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, RateLimited
from core.services.audit import audit_record
from scenarios.models import ApiKey, DataService, ServiceQuota
from tenants.permissions import check_operator_staff


def _positive(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1 or number > 10_000_000:
        raise InvalidInput(_("Give a whole number from 1 to 10,000,000."), field=field)
    return number


def api_key_rate_set(*, by, key: ApiKey, rate_per_minute) -> ApiKey:
    """Operator staff set a key's calls per minute (None: the platform default)."""
    check_operator_staff(by, _("Only operator staff set quotas and rate limits."))
    rate = None if rate_per_minute in (None, "") else _positive(rate_per_minute, "rate_per_minute")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        key.rate_per_minute = rate
        key.save(update_fields=["rate_per_minute"])
        audit_record(
            by=by,
            action="api_key.rate",
            target=key,
            organization=key.organization,
            details={"prefix": key.prefix, "rate_per_minute": rate},
        )
    return key


def quota_set(*, by, organization, service: DataService, calls_per_day) -> ServiceQuota | None:
    """Operator staff set an organization's calls per day to a service (None: the
    platform default)."""
    check_operator_staff(by, _("Only operator staff set quotas and rate limits."))
    calls = None if calls_per_day in (None, "") else _positive(calls_per_day, "calls_per_day")
    with transaction.atomic():
        quota = None
        if calls is None:
            ServiceQuota.objects.filter(organization=organization, service=service).delete()
        else:
            quota, _created = ServiceQuota.objects.update_or_create(
                organization=organization, service=service, defaults={"calls_per_day": calls}
            )
        audit_record(
            by=by,
            action="data_service.quota",
            target=service,
            organization=organization,
            details={"code": service.code, "calls_per_day": calls},
        )
    return quota


def _seconds_to_midnight(now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - local).total_seconds()) + 1)


def rate_window(key: ApiKey, now: datetime) -> tuple[str, int, int, int]:
    """The key's rate window at ``now``: (its counter's name, the limit, the seconds it
    is kept, the seconds until the next window). Every call of a live key counts in it,
    a bad one too."""
    epoch = int(now.timestamp())
    rate = key.rate_per_minute or settings.SERVICES_RATE_PER_MINUTE
    return f"rate:{key.prefix}:{epoch // 60}", rate, 120, 60 - epoch % 60


def rate_refusal(rate: int, retry_after: int) -> RateLimited:
    return RateLimited(
        _("This key's rate limit (%(rate)s calls a minute) is reached.") % {"rate": rate},
        retry_after=retry_after,
    )


def quota_window(organization_id: int, code: str, now: datetime) -> str:
    """The name of the organization's daily counter of calls to service ``code``: only
    calls that are answered (valid, in scope) count in it."""
    return f"quota:{organization_id}:{code}:{timezone.localtime(now):%Y%m%d}"


QUOTA_SECONDS = 2 * 86400  # a day's counter is kept


def quota_refusal(quota: int, code: str, now: datetime) -> RateLimited:
    return RateLimited(
        _("Your organization's daily quota of %(quota)s calls to %(code)s is used up.")
        % {"quota": quota, "code": code},
        retry_after=_seconds_to_midnight(now),
        code="quota_exhausted",
    )
