"""Job presentation: ``{% load jobs %}{{ job.code|code_excerpt }}``,
``{{ output.derivation|derivation }}``."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

EXCERPT_CHARS = 80


@register.filter
def code_excerpt(code: str) -> str:
    """The code's lines that are not comments, on one line, cut at 80 characters."""
    lines = (line.strip() for line in (code or "").splitlines())
    text = " ".join(line for line in lines if line and not line.startswith(("--", "#")))
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


@register.filter
def derivation(value: str) -> str:
    """A mitigated copy's derivation in words: the method and what the developer knows
    already (the failing cells' number, the base), never how many cells more were
    suppressed to protect them (those depend on the data)."""
    method, _sep, detail = (value or "").partition(":")
    if method == "round":
        return _("rounded to a base of %(base)s") % {"base": detail}
    if method == "suppress":
        failing = detail.partition("+")[0]
        count = int(failing) if failing.isdigit() else 0
        return ngettext(
            "%(count)s failing cell suppressed, with what would reveal it",
            "%(count)s failing cells suppressed, with what would reveal them",
            count,
        ) % {"count": count}
    return value
