"""The OpenAPI schema's error answers, added in one place to every operation.

Every API error has one shape (core/errors.py): ``{"code", "detail", "field"}``, with
``errors`` (every problem, by field) on a 400 from a form. Which statuses an operation can
answer follows from how it is reached, so they are derived here rather than written on
each view:

- 400: it takes input (a request body, or query or header parameters, or a data service's
  parameters);
- 401: it needs a credential (a token or session, or a data service's API key);
- 403: it changes something (the service refuses the caller, or the session's CSRF check
  fails, or the login is locked out), or it is a data service's call (the key's scenario
  may not use it);
- 404: it names an object, in its path or (a change by a logged-in caller) its body
  (missing, or another organization's: the same answer), or it is a paginated list (a
  page past the end);
- 409: it changes something for a logged-in caller (an illegal transition), or it is a
  data service's call (the workspace is not ready);
- 429: a data service's call (rate or quota spent; ``Retry-After`` says when to retry).

A view still documents an error of its own (for example a 404 for whoever may not see it
at all) as a response without a body: it gets the error body here.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

API_KEY_SCHEME = "apiKeyAuth"

# The security scheme of the data-service calls (ServiceCallView).
SECURITY_SCHEMES = {
    API_KEY_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'A data service\'s API key, with the prefix "ApiKey": '
        "`Authorization: ApiKey sbx_...` (or the header `X-API-Key`).",
    }
}

DESCRIPTIONS = {
    400: "Invalid input: `field` names the first problem, `errors` lists them all.",
    401: "No valid credential.",
    403: "Refused: the caller may not do this (or the session's CSRF check failed).",
    404: "Not found, or not visible to the caller (both answer the same).",
    409: "Not allowed in the object's present state.",
    429: "Rate or quota spent: retry after the `Retry-After` header's seconds.",
}

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Error(serializers.Serializer):
    """Every API error."""

    code = serializers.CharField(help_text="A stable, machine-readable code, e.g. not_found.")
    detail = serializers.CharField(help_text="What went wrong, in the request's language.")
    field = serializers.CharField(
        required=False, help_text="The input field (or query parameter) at fault, if one is."
    )
    errors = serializers.JSONField(
        required=False, help_text="On invalid input: every problem (by field, for a form)."
    )


def error_statuses(method: str, operation: dict, *, paginated: bool) -> set[int]:
    """The error statuses an operation can answer (see the module's docstring)."""
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    authenticated = bool(schemes)
    api_key = API_KEY_SCHEME in schemes
    unsafe = method in UNSAFE_METHODS
    parameters = operation.get("parameters", [])
    statuses = set()
    takes_input = "requestBody" in operation or any(p["in"] != "path" for p in parameters)
    if takes_input or api_key:  # a service's call reads parameters of its own
        statuses.add(400)
    if authenticated:
        statuses.add(401)
    if unsafe or api_key:
        statuses.add(403)
    names_objects = any(p["in"] == "path" for p in parameters) or (unsafe and authenticated)
    if names_objects or paginated:
        statuses.add(404)
    if (unsafe and authenticated) or api_key:
        statuses.add(409)
    if api_key:
        statuses.add(429)
    return statuses


def add_security_schemes(result, generator, request, public):
    """Postprocessing hook: the API key's security scheme beside the generated ones."""
    schemes = result.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes.update(SECURITY_SCHEMES)
    return result


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with every operation's error answers documented."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        paginated = (
            self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
        )
        responses = operation["responses"]
        for status in error_statuses(self.method, operation, paginated=paginated):
            responses.setdefault(str(status), {"description": ""})
        for status, response in responses.items():
            if status.startswith("4") and "content" not in response:
                documented = self._get_response_for_code(
                    OpenApiResponse(Error, description=DESCRIPTIONS.get(int(status), "")),
                    status,
                    media_types=["application/json"],
                )
                documented["description"] = response.get("description") or documented["description"]
                responses[status] = documented
        operation["responses"] = dict(sorted(responses.items()))
        return operation
