"""``{{ event.action|audit_action }}``: an audit event's action in words."""

from django import template

from core.audit_labels import action_label

register = template.Library()


@register.filter
def audit_action(action: str) -> str:
    return action_label(action)
