"""The API's JSON parser (REST_FRAMEWORK's default): hostile bodies are a 400, never a 500.

DRF's own parser lets ``RecursionError`` through (a body nested 1,000 deep was a 500 on
every JSON endpoint, before authentication), reads a body of any size (Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` guards ``request.body`` and forms only), and accepts NUL
characters, which PostgreSQL refuses in text. This one refuses all three with a
``ParseError`` (400 in the API's error shape, core/errors.py). Every view parses JSON
with it or a subclass (tests/security/test_bad_input.py checks every API view).
"""

import io

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any real request (job code, release contexts, data-service parameters).
MAX_DEPTH = 64


def _read(stream) -> bytes:
    """The body, refused beyond DATA_UPLOAD_MAX_MEMORY_SIZE (as Django refuses a form)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = b"" if stream is None else stream.read(-1 if limit is None else limit + 1)
    if limit is not None and len(raw) > limit:
        raise ParseError(_("The request body is too large."), code="too_large")
    return raw


class JSONParser(parsers.JSONParser):
    # False for a view that refuses NUL itself (a data service names the parameter and
    # records the refused call).
    refuse_nul = True

    def parse(self, stream, media_type=None, parser_context=None):
        raw = _read(stream)
        try:
            data = self.decode(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
        _check(data, nul=self.refuse_nul)
        return data

    def decode(self, stream, media_type=None, parser_context=None):
        """The JSON document in ``stream``; subclasses change how it is read."""
        return super().parse(stream, media_type, parser_context)


class FormParser(parsers.FormParser):
    """URL-encoded bodies of PUT and PATCH (Django reads a POST's itself, and
    core/middleware.py checks it): bounded in size and fields, without NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = QueryDict(_read(stream), encoding=encoding)
        except TooManyFieldsSent:
            raise ParseError(_("The request has too many fields.")) from None
        _check(dict(data.lists()))
        return data


class FieldParseError(ParseError):
    """A refusal of one field's value: the API's answer names it (``"field"``)."""

    def __init__(self, detail, *, field: str | None):
        super().__init__(detail)
        self.field = field


def _check(data, *, nul: bool = True) -> None:
    """Refuse nesting deeper than MAX_DEPTH and (``nul``) NUL in any string, keys included,
    naming the top-level field it is under; without recursion."""
    pending = [(data, 1, None)]
    while pending:
        value, depth, field = pending.pop()
        if isinstance(value, str):
            if nul and "\x00" in value:
                raise FieldParseError(_("Text may not contain NUL characters."), field=field)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ParseError(_("The JSON is nested too deeply."))
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                # the top-level object's keys name the fields
                under = key if depth == 1 and isinstance(key, str) else field
                if key is not None:
                    pending.append((key, depth, under))
                pending.append((item, depth + 1, under))
