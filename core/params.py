"""Dates and periods in query strings, parsed in one place.

A date is written ``YYYY-MM-DD`` (nothing else: no week dates, no compact forms), names a
day that exists, and lies between ``FIRST_DAY`` and ``LAST_DAY``: far enough for any real
question, and far from the calendar's ends, so that arithmetic on it (a default start 29
days before an end, the day after an end) never overflows. Anything else is refused with
``InvalidInput`` naming the parameter: a 400 in the API, an error page in the portal.
"""

import re
from datetime import date, timedelta

from django.utils.translation import gettext as _

from core.errors import InvalidInput

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def iso_date(text) -> date | None:
    """The day ``text`` writes as YYYY-MM-DD within the accepted range, or None."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:  # 2025-02-30, 2025-13-01
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def _refuse(name: str) -> InvalidInput:
    return InvalidInput(
        _("%(name)s must be a date written YYYY-MM-DD, between %(first)s and %(last)s.")
        % {"name": name, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        field=name,
    )


def parse_query_date(params, name: str) -> date | None:
    """The date given as ``name`` in a query (a QueryDict or a dict), None when it is absent
    or empty; ``InvalidInput`` naming ``name`` when it is not a date."""
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    day = iso_date(value.strip() if isinstance(value, str) else value)
    if day is None:
        raise _refuse(name)
    return day


def parse_query_period(
    params,
    start_name: str,
    end_name: str,
    *,
    today: date,
    default_days: int,
    max_days: int,
) -> tuple[date, date]:
    """The inclusive period from ``start_name`` to ``end_name``: the end defaults to
    ``today``, the start to ``default_days`` days ending with the end (never before
    ``FIRST_DAY``); it may not end
    before it starts nor span more than ``max_days`` days."""
    end = parse_query_date(params, end_name) or today
    start = parse_query_date(params, start_name)
    if start is None:
        start = max(FIRST_DAY, end - timedelta(days=default_days - 1))
    if start > end:
        raise InvalidInput(_("The period ends before it starts."), field=end_name)
    if (end - start).days >= max_days:
        raise InvalidInput(
            _("Choose at most %(days)s days.") % {"days": max_days}, field=start_name
        )
    return start, end


# Ids and numbers in query strings: every id the database can hold is below this.
MAX_ID = 2**63 - 1
# Free text in a query string (a search, a prefix): longer than anyone types.
QUERY_TEXT_MAX = 200
_DIGITS = re.compile(r"\d+", re.ASCII)


def parse_query_int(params, name: str) -> int | None:
    """A whole number (an id, a level) given as ``name``: None when absent or not a number
    (the filter does not apply); ``InvalidInput`` naming ``name`` when it is a number
    beyond any id (the database could not even compare it)."""
    value = params.get(name)
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    if number > MAX_ID:
        raise InvalidInput(_("%(name)s is not a valid number.") % {"name": name}, field=name)
    return number


def parse_query_text(params, name: str) -> str:
    """Free text given as ``name`` ("" when absent), at most QUERY_TEXT_MAX characters."""
    value = params.get(name) or ""
    if len(value) > QUERY_TEXT_MAX:
        raise InvalidInput(
            _("%(name)s is longer than %(max)s characters.")
            % {"name": name, "max": QUERY_TEXT_MAX},
            field=name,
        )
    return value
