"""Helpers shared by the portal's views (server-rendered pages): run a service call from a
POST, put a service's refusal of the input on a form, page a list."""

from django.contrib import messages
from django.core.paginator import Page, Paginator

from core.errors import InvalidInput


def act(request, call, *, done: str) -> None:
    """Run a service call from a POST: its refusal of the input becomes an error message
    (other refusals reach the error page through the middleware)."""
    try:
        call()
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)


def form_error(form, error: InvalidInput) -> None:
    """Show a service's refusal of the input on ``form``: on the field it names when the
    form has that field, otherwise as an error of the whole form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def page_of(request, items, per_page: int = 20) -> Page:
    """The page of ``items`` the request's ``page`` parameter asks for (the last page when
    it is beyond the end, the first when it is no number)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def paged(request, items, per_page: int = 20) -> tuple[Page, str]:
    """``page_of`` and the request's query string without ``page`` (for the pager's links,
    so a filtered list stays filtered from page to page)."""
    query = request.GET.copy()
    query.pop("page", None)
    return page_of(request, items, per_page), query.urlencode()
