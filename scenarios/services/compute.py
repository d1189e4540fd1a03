"""Compute vouchers (CPU-hours granted by operator staff) and what real jobs draw on them."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from core.services.audit import audit_record
from core.text import REASON_MAX, clean_text
from scenarios.models import ComputeDraw, ComputeVoucher, Job
from tenants.permissions import check_operator_staff

MAX_VOUCHER_HOURS = Decimal("1000000")


def _remaining_seconds(voucher: ComputeVoucher) -> float:
    drawn = voucher.draws.aggregate(s=Sum("cpu_seconds"))["s"] or 0.0
    return float(voucher.cpu_hours) * 3600 - drawn


def _valid(organization, today) -> list[ComputeVoucher]:
    return list(
        organization.vouchers.filter(valid_from__lte=today, valid_until__gte=today).order_by(
            "valid_until", "pk"
        )
    )


def compute_balance_seconds(organization, *, today=None) -> float:
    """CPU seconds left on the organization's vouchers valid today (negative: overdrawn)."""
    today = today or timezone.localdate()
    return sum(_remaining_seconds(voucher) for voucher in _valid(organization, today))


def voucher_grant(*, by, organization, cpu_hours, valid_until, reason: str, valid_from=None):
    """Operator staff grant CPU-hours to an organization."""
    check_operator_staff(by, _("Only operator staff grant compute vouchers."))
    try:
        hours = Decimal(str(cpu_hours)).quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Give the CPU-hours as a number."), field="cpu_hours") from None
    if not Decimal("0") < hours <= MAX_VOUCHER_HOURS:
        raise InvalidInput(
            _("CPU-hours must be more than 0 and at most %(max)s.") % {"max": MAX_VOUCHER_HOURS},
            field="cpu_hours",
        )
    start = _date(valid_from, "valid_from") if valid_from else timezone.localdate()
    end = _date(valid_until, "valid_until")
    if end < start:
        raise InvalidInput(_("The voucher must end on or after its start."), field="valid_until")
    reason = clean_text(reason, field="reason", max_length=REASON_MAX)
    if not reason:
        raise InvalidInput(_("Give a reason."), field="reason")
    with transaction.atomic():
        voucher = ComputeVoucher.objects.create(
            organization=organization,
            cpu_hours=hours,
            valid_from=start,
            valid_until=end,
            reason=reason,
            granted_by=by,
        )
        audit_record(
            by=by,
            action="compute.voucher_grant",
            target=voucher,
            organization=organization,
            details={"cpu_hours": str(hours), "valid_from": start, "valid_until": end},
        )
    return voucher


def _date(value, field: str):
    parsed = value if hasattr(value, "isoformat") else parse_date(str(value))
    if parsed is None:
        raise InvalidInput(_("Give a date as YYYY-MM-DD."), field=field)
    return parsed


def compute_charge(job: Job) -> None:
    """Charge a finished real job's CPU seconds to its organization's vouchers, those that
    end first first; what no voucher covers overdraws the last one (inside the caller's
    transaction)."""
    seconds = job.cpu_seconds or 0.0
    organization = job.scenario.organization
    vouchers = _valid(organization, timezone.localdate()) or list(
        organization.vouchers.order_by("-valid_until", "-pk")[:1]
    )
    if not vouchers or seconds <= 0:
        return
    for index, voucher in enumerate(vouchers):
        last = index == len(vouchers) - 1
        share = seconds if last else min(seconds, max(_remaining_seconds(voucher), 0.0))
        if share > 0:
            ComputeDraw.objects.create(voucher=voucher, job=job, cpu_seconds=share)
            seconds -= share
        if seconds <= 0:
            break


def compute_summary(organization) -> dict:
    """Balance, vouchers and monthly use, as the organization and operator staff see them."""
    today = timezone.localdate()
    vouchers = [
        {
            "id": voucher.pk,
            "cpu_hours": float(voucher.cpu_hours),
            "remaining_hours": round(_remaining_seconds(voucher) / 3600, 4),
            "valid_from": voucher.valid_from,
            "valid_until": voucher.valid_until,
            "valid": voucher.valid_from <= today <= voucher.valid_until,
            "reason": voucher.reason,
        }
        for voucher in organization.vouchers.order_by("-valid_until", "-pk")
    ]
    months = (
        Job.objects.filter(
            scenario__organization=organization, dry_run=False, cpu_seconds__isnull=False
        )
        .annotate(month=TruncMonth("finished_at"))
        .values("month")
        .annotate(seconds=Sum(F("cpu_seconds")), jobs=Count("pk"))
        .order_by("-month")
    )
    return {
        "balance_hours": round(compute_balance_seconds(organization, today=today) / 3600, 4),
        "vouchers": vouchers,
        "monthly": [
            {
                "month": row["month"].strftime("%Y-%m") if row["month"] else "",
                "cpu_hours": round(row["seconds"] / 3600, 4),
                "cpu_seconds": round(row["seconds"], 1),
                "jobs": row["jobs"],
            }
            for row in months
        ],
    }
