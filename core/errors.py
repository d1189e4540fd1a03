"""One family of domain errors, turned into HTTP answers in one place for the API and
one place for the portal."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A refusal by the domain: illegal transition, missing permission, bad input."""

    status = 400
    code = "invalid"
    headers: dict[str, str] = {}

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        if code:
            self.code = code


class InvalidInput(ApplicationError):
    status = 400
    code = "invalid"


class PermissionRefused(ApplicationError):
    status = 403
    code = "forbidden"


class NotFound(ApplicationError):
    """Missing, or not visible to the caller: both look the same."""

    status = 404
    code = "not_found"

    def __init__(self, message: str | None = None, **kwargs):
        super().__init__(message or str(_("Not found.")), **kwargs)


class Unauthenticated(ApplicationError):
    """No valid credential (a data service's API key)."""

    status = 401
    code = "unauthenticated"
    headers = {"WWW-Authenticate": "ApiKey"}


class RateLimited(ApplicationError):
    """A quota or rate limit is reached: try again after ``retry_after`` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.headers = {"Retry-After": str(max(1, int(retry_after)))}


class Conflict(ApplicationError):
    """The object is not in a state that allows this action."""

    status = 409
    code = "conflict"


def body_refusal(exc: Exception) -> tuple[str, str] | None:
    """(code, message) when ``exc`` is Django's refusal of a request's body or form: too
    large (DATA_UPLOAD_MAX_MEMORY_SIZE), too many fields or files, malformed multipart."""
    if isinstance(exc, RequestDataTooBig):
        return "too_large", str(_("The request body is too large."))
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return "invalid", str(_("The request has too many fields."))
    if isinstance(exc, MultiPartParserError):
        return "invalid", str(_("The form data is malformed."))
    return None


# DRF's codes for its own refusals, in the vocabulary of ApplicationError's codes.
_DRF_CODES = {
    "parse_error": "invalid",
    "not_authenticated": "unauthenticated",
    "authentication_failed": "unauthenticated",
    "permission_denied": "forbidden",
    "throttled": "rate_limited",
}


def api_exception_handler(exc, context):
    """Every refusal of the API in one shape: ``{"code", "detail"}``, with ``"field"`` when
    one parameter or field is at fault (and ``"errors"`` for a serializer's problems)."""
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status, headers=exc.headers)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    refusal = body_refusal(exc)  # raised by Django when DRF reads the body
    if refusal:
        return Response({"code": refusal[0], "detail": refusal[1]}, status=400)
    if isinstance(exc, drf_exceptions.ValidationError) and isinstance(exc.detail, dict):
        # One shape for every 400: the first problem up front, all of them in "errors".
        field, problems = next(iter(exc.detail.items()))
        first = problems[0] if isinstance(problems, list) and problems else problems
        body = {"code": "invalid", "detail": str(first), "errors": exc.detail}
        if field != "non_field_errors":
            body["field"] = field
        return Response(body, status=400)
    response = exception_handler(exc, context)  # DRF's status and headers (Retry-After, …)
    if response is not None and isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail
        if isinstance(detail, list):  # ValidationError("…") without a field
            body = {"code": "invalid", "detail": str(detail[0]) if detail else "", "errors": detail}
        else:
            code = getattr(detail, "code", None) or exc.default_code
            body = {"code": _DRF_CODES.get(code, code), "detail": str(detail)}
            if getattr(exc, "field", None):  # core.parsers.FieldParseError
                body["field"] = exc.field
        response.data = body
    return response


class ApplicationErrorMiddleware:
    """Portal pages: a domain error becomes an error page with its status and message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, NotFound):
            raise Http404(exception.message)
        if isinstance(exception, ApplicationError):
            return render(
                request,
                "error.html",
                {"status": exception.status, "message": exception.message},
                status=exception.status,
            )
        return None
