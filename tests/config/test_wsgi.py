"""The WSGI application sends a data-service call answered in JSON through a short
middleware chain (config/wsgi.py): its answers, refusals included, carry the same body and
headers as the whole stack's, it is counted and logged, and the rest of the API and a
disallowed host are treated as before."""

import io
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.wsgi import application
from scenarios.models import ServiceCall

pytestmark = pytest.mark.django_db
CALL = "/api/v1/services/berth-traffic/call"


def wsgi_get(path: str, query: str = "", **headers) -> tuple[int, dict, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "REMOTE_ADDR": "127.0.0.1",
        **headers,
    }
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = int(status.split()[0]), dict(response_headers)

    # As Django's test client: the test's database connection stays open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        answer = application(environ, start_response)
        body = b"".join(answer)
        answer.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body


@pytest.mark.parametrize(
    ("query", "key", "status"),
    [
        ("period=2025-03-01/2025-03-31", True, 200),
        ("period=2025-03-01/2025-03-31", False, 401),
        ("period=never", True, 400),
    ],
)
def test_a_lean_call_answers_as_the_whole_stack_does(serviced, client, query, key, status):
    *_rest, secret = serviced
    auth = {"HTTP_AUTHORIZATION": f"ApiKey {secret}"} if key else {}
    whole = client.get(f"{CALL}?{query}", **auth)  # the test client: every middleware
    found, headers, body = wsgi_get(CALL, query, **auth)
    assert (whole.status_code, found) == (status, status)
    assert body == whole.content
    assert headers == dict(whole.items())
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert name in headers
    assert ServiceCall.objects.count() == 2 * key  # both calls with a key counted and logged


def test_a_chinese_caller_is_refused_in_chinese(serviced):
    *_rest, secret = serviced
    status, headers, body = wsgi_get(
        CALL, "period=never", HTTP_AUTHORIZATION=f"ApiKey {secret}", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert (status, headers["Content-Language"]) == (400, "zh-hans")
    assert "period" in body.decode() and "参数" in body.decode()


def test_a_host_not_allowed_is_refused_before_the_call(serviced):
    *_rest, secret = serviced
    status, _headers, body = wsgi_get(
        CALL,
        "period=2025-03-01/2025-03-31",
        HTTP_HOST="evil.example",
        HTTP_AUTHORIZATION=f"ApiKey {secret}",
    )
    assert status == 400 and b'"code"' in body
    assert not ServiceCall.objects.exists()


def test_other_paths_and_methods_take_the_whole_stack(serviced):
    status, headers, _body = wsgi_get("/api/v1/services/berth-traffic/call/")
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    status, headers, _body = wsgi_get("/api/v1/services/")
    assert status in (401, 403) and "Content-Security-Policy" in headers
