"""The scenarios' side of a catalog's page (templates/operation/catalog_detail.html): the
operation app knows nothing of scenarios, so its page asks this tag library."""

from django import template

from scenarios import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def catalog_users(context, catalog):
    """The authorized scenarios using ``catalog``, for those who may see them (None for
    anyone else: the section is not shown)."""
    return selectors.catalog_users(context["request"].user, catalog)
