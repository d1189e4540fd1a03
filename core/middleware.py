"""Two guards around every request (settings.MIDDLEWARE).

``ApiErrorsAsJsonMiddleware`` (outermost): under ``/api/`` every error answer is JSON in
the API's error shape (core/errors.py), whatever produced it: Django's own 400 for an
oversized or malformed body, its 404 for an unknown URL, its 500 page.

``RequestGuardMiddleware``: a request whose path, query, cookies or form fields hold a NUL
character (PostgreSQL refuses NUL in text: it was a 500 there), or whose form is too large
or malformed, is refused with a 400 before its view runs: JSON under ``/api/``, the
portal's error page elsewhere. JSON bodies are checked by the API's parser
(core/parsers.py).
"""

import http
import logging

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core.errors import body_refusal

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_STATUS = {
    400: ("invalid", _("The request is not valid.")),
    401: ("unauthenticated", _("Authentication is required.")),
    403: ("forbidden", _("You may not do this.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    413: ("too_large", _("The request body is too large.")),
    429: ("rate_limited", _("Too many requests: try again later.")),
    500: ("server_error", _("Something went wrong on our side. It has been logged.")),
}
# Headers of the replaced answer that describe its old body, not the request's outcome.
_BODY_HEADERS = {"content-type", "content-length", "content-encoding", "content-disposition"}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def refuse(request: HttpRequest, message, *, code: str = "invalid", status: int = 400):
    """A refusal before any view ran: JSON for the API, the error page for the portal."""
    if is_api(request):
        return JsonResponse({"code": code, "detail": str(message)}, status=status)
    # The request is refused before authentication: its session is never read.
    request.user = AnonymousUser()
    return render(request, "error.html", {"status": status, "message": message}, status=status)


class ApiErrorsAsJsonMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        code, detail = _STATUS.get(
            response.status_code, ("error", http.HTTPStatus(response.status_code).phrase)
        )
        answer = JsonResponse({"code": code, "detail": str(detail)}, status=response.status_code)
        for name, value in response.items():
            if name.lower() not in _BODY_HEADERS:
                answer[name] = value
        answer.cookies = response.cookies
        return answer


class RequestGuardMiddleware:
    """Checks in ``process_view``, so that a view which refuses NUL itself, by parameter
    name, can say so with ``checks_nul_itself = True`` (the data-service call, which
    records every refused call)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        view = getattr(view_func, "cls", view_func)
        if getattr(view, "checks_nul_itself", False):
            return None
        try:
            clean = _without_nul(request)
        except (SuspiciousOperation, MultiPartParserError) as exc:
            refusal = body_refusal(exc)
            if refusal is None:
                raise
            return refuse(request, refusal[1], code=refusal[0])
        if not clean:
            logger.info("refused a request with NUL characters: %r", request.path_info[:200])
            return refuse(request, _("Text may not contain NUL characters."))
        return None


def _without_nul(request: HttpRequest) -> bool:
    """Whether path, query, cookies and (for a form POST) form fields are free of NUL.
    Reading the form may raise Django's refusals of an oversized or malformed body."""
    texts = [request.path_info]
    texts += _pairs(request.GET.lists())
    texts += _pairs((name, [value]) for name, value in request.COOKIES.items())
    if request.method == "POST" and request.content_type in FORM_TYPES:
        texts += _pairs(request.POST.lists())
        texts += [upload.name or "" for upload in request.FILES.values()]
    return not any("\x00" in text for text in texts)


def _pairs(lists) -> list[str]:
    return [text for name, values in lists for text in (name, *values)]
