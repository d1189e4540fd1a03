"""``{{ n.subject|subject_in_language }}``, ``{{ n.body|body_in_language }}``: the reader's
language of a notification written in every portal language."""

from django import template
from django.utils.translation import get_language

from core.services.notifications import BODY_JOIN, SUBJECT_JOIN, in_language

register = template.Library()


@register.filter
def subject_in_language(subject: str) -> str:
    return in_language(subject, SUBJECT_JOIN, get_language())


@register.filter
def body_in_language(body: str) -> str:
    return in_language(body, BODY_JOIN, get_language())
