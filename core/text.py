"""Free text that users submit: one place that trims it, requires it where needed and
refuses text longer than a real user would write, so the API and the portal give the same
400 or form error naming the field (a 4 MB "purpose" is refused, not stored)."""

from django.utils.translation import gettext as _

from core.errors import InvalidInput

# Limits no real user reaches; CharFields keep their column's max_length.
NAME_MAX = 200
REASON_MAX = 2_000
COMMENT_MAX = 2_000
LONG_TEXT_MAX = 10_000  # purposes, descriptions, contexts, controls, business scope


def clean_text(
    value,
    *,
    field: str,
    max_length: int,
    required: bool = False,
    required_message: str | None = None,
) -> str:
    """``value`` trimmed, as a string ("" for None). Raises InvalidInput naming ``field``
    when the text is longer than ``max_length`` characters, or empty when ``required``
    (with ``required_message`` if given)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_("Give text."), field=field)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(
            _("At most %(max)s characters (this text has %(n)s).")
            % {"max": f"{max_length:,}", "n": f"{len(value):,}"},
            code="too_long",
            field=field,
        )
    if required and not value:
        raise InvalidInput(required_message or _("This field is required."), field=field)
    return value
