"""The data services a scenario type carries, for its page (the type's view stays as it
is): the versions the viewer may see, through the selector, and the proposal link; the day
until which a key is valid."""

from django import template

from scenarios.dataservices.definitions import may_propose
from scenarios.selectors import definitions_visible_to
from scenarios.views.presenters import service_rows, valid_until

register = template.Library()


@register.inclusion_tag("scenarios/_type_services.html", takes_context=True)
def type_services(context, scenario_type):
    user = context["request"].user
    definitions = definitions_visible_to(user).filter(service__scenario_type=scenario_type)
    return {
        "scenario_type": scenario_type,
        "rows": service_rows(definitions.order_by("service__code", "-version")),
        "can_propose": may_propose(user, scenario_type),
        "carries_services": "service" in (scenario_type.output_kinds or []),
    }


register.filter("valid_until", valid_until)
