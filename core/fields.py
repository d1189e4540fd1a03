"""Serializer fields shared by the API."""

import math

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.params import FIRST_DAY, LAST_DAY, MAX_ID, iso_date


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time whose day lies between FIRST_DAY and LAST_DAY: DRF's own field
    crashes on the calendar's ends (a time zone shift past year 9999)."""

    default_error_messages = {
        "out_of_range": _("Give a date and time between %(first)s and %(last)s."),
    }

    def to_internal_value(self, value):
        if isinstance(value, str) and iso_date(value[:10]) is None:
            self.fail("out_of_range", first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
        return super().to_internal_value(value)


class BoundedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An object named by its id: a number beyond any id is "no such object", as DRF says
    for any other missing one (the database could not even compare it)."""

    def to_internal_value(self, data):
        number = int(data) if isinstance(data, str) and data.isascii() and data.isdigit() else data
        if isinstance(number, float) and not math.isfinite(number):
            self.fail("does_not_exist", pk_value=data)
        if isinstance(number, int | float) and abs(number) > MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)
