"""Job presentation in lists: ``{% load jobs %}{{ job.code|code_excerpt }}``."""

from django import template

register = template.Library()

EXCERPT_CHARS = 80


@register.filter
def code_excerpt(code: str) -> str:
    """The code's lines that are not comments, on one line, cut at 80 characters."""
    lines = (line.strip() for line in (code or "").splitlines())
    text = " ".join(line for line in lines if line and not line.startswith(("--", "#")))
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
