"""Punctuation in the page's language: an aside in parentheses after a word is " (aside)"
in English and "（aside）" in Chinese."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


@register.filter
def aside(value) -> str:
    """``value`` in parentheses after the word before it (escaped unless already safe)."""
    # Translators: an aside after a word; Chinese takes full-width parentheses, no space.
    return format_html(gettext(" ({aside})"), aside=value)
