"""The WSGI application: Django's, except that a data-service call answered in JSON (a
GET of /api/v1/services/<code>/call without ``Accept: text/csv``: nearly every call) skips
what it does not use. It goes through the middleware that shapes every API answer (JSON
errors, the security and CSP headers, frame options, the language, the allowed hosts) and
straight to the call's lean view, without URL resolution, sessions, CSRF, authentication,
messages, static files or the login lockout (the call authenticates by its API key and
reads none of them). Everything else takes the whole stack."""

import os
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse, set_urlconf
from django.utils.log import log_response
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# The middleware a lean call goes through, outermost first (a subset of settings.MIDDLEWARE,
# in its order; tests/config/test_wsgi.py compares the answers' headers with the stack's).
CALL_MIDDLEWARE = [
    "core.middleware.ApiErrorsAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


class Handler(WSGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async)
        from scenarios.api.services import call_lean, wants_csv

        self._wants_csv = wants_csv

        if [name for name in settings.MIDDLEWARE if name in CALL_MIDDLEWARE] != CALL_MIDDLEWARE:
            raise ImproperlyConfigured("CALL_MIDDLEWARE is not a subset of MIDDLEWARE in order.")

        def view(request):
            return call_lean(request, request.call_code)

        chain = convert_exception_to_response(view)
        for name in reversed(CALL_MIDDLEWARE):
            chain = convert_exception_to_response(import_string(name)(chain))
        self._call_chain = chain
        set_urlconf(settings.ROOT_URLCONF)
        before, _sep, after = reverse("api-service-call", kwargs={"code": "CODE"}).partition("CODE")
        self._call_path = re.compile(f"{re.escape(before)}([-a-zA-Z0-9_]+){re.escape(after)}")

    def get_response(self, request):
        found = self._call_path.fullmatch(request.path_info)
        if found is None or request.method != "GET" or self._wants_csv(request):
            return super().get_response(request)
        set_urlconf(settings.ROOT_URLCONF)
        request.call_code = found[1]
        response = self._call_chain(request)
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response(
                "%s: %s", response.reason_phrase, request.path, response=response, request=request
            )
        return response


def get_application() -> Handler:
    import django

    django.setup(set_prefix=False)
    return Handler()


application = get_application()
