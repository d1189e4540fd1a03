"""``{{ field.generalize|generalization }}``: a field's generalization rule in words
("grid:0.1" reads 0.1° 网格 / "a 0.1° grid")."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def generalization(rule: str) -> str:
    kind, _colon, size = rule.partition(":")
    words = {
        "hour": _("to the hour"),
        "day": _("to the day"),
        "month": _("to the month"),
        "year": _("to the year"),
    }
    if kind in words and not size:
        return words[kind]
    if kind == "grid" and size:
        return _("to a %(size)s° grid") % {"size": size}
    if kind == "band" and size:
        return _("to bands of %(size)s") % {"size": size}
    return rule
