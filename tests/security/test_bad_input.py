"""Hostile input is a 400, never a 500, and the API answers it in its JSON error shape:
bodies nested 1,000 deep, oversized bodies and forms, impossible dates, NUL characters
(which PostgreSQL refuses in text). A 500 shows neither settings nor environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.parsers import JSONParser
from tests.factories import PASSWORD, staff_user, submitted_developer

pytestmark = [pytest.mark.django_db, pytest.mark.security]
ROOT = Path(__file__).resolve().parents[2]

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a": ' * 1000 + "1" + "}" * 1000


def assert_api_error(response, status: int = 400, field: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert body["code"] and body["detail"], body
    if field is not None:
        assert body.get("field") == field, body
    return body


@pytest.fixture
def developer():
    return submitted_developer("海洋实验室", "lab")[1]


@pytest.fixture
def operator():
    return staff_user("operator")


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# Deep JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, "[" * 100 + "]" * 100])
@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        (None, "/api/v1/auth/token/", 400),
        (None, "/api/v1/scenario-types/", 401),
        ("developer", "/api/v1/scenario-types/", 400),
        ("developer", "/api/v1/scenarios/", 400),
        ("operator", "/api/v1/catalogs/new/", 400),
        ("operator", "/api/v1/resources/", 400),
    ],
)
def test_deeply_nested_json_is_a_400_in_the_error_shape(request, who, path, status, body):
    user = request.getfixturevalue(who) if who else None
    response = api_as(user).post(path, body, content_type="application/json")
    assert_api_error(response, status)


def test_deep_json_to_a_data_service_is_refused_in_the_error_shape(serviced):
    _scenario, _developer, definition, secret = serviced
    response = APIClient().post(
        f"/api/v1/services/{definition.service.code}/call",
        DEEP,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiKey {secret}",
    )
    assert_api_error(response)


def test_every_api_view_reads_json_with_the_bounded_parser():
    """The root of the fix: no view parses JSON with DRF's own parser."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def views(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from views(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                yield getattr(entry.callback, "cls", None)

    checked = 0
    for view in views(get_resolver().url_patterns):
        if view is None or not issubclass(view, APIView):
            continue
        for parser in view.parser_classes:
            if "json" in parser.media_type:
                assert issubclass(parser, JSONParser), (view, parser)
                checked += 1
    assert checked > 40


# Oversized bodies ------------------------------------------------------------------------


def test_an_oversized_json_body_is_a_400_in_the_error_shape(developer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"name": "x" * 20_000})
    for user, path in [(None, "/api/v1/auth/token/"), (developer, "/api/v1/scenario-types/")]:
        response = api_as(user).post(path, body, content_type="application/json")
        assert assert_api_error(response)["code"] == "too_large"


def test_an_oversized_or_overfull_form_to_the_api_is_a_400_in_json(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = APIClient()
    big = client.post("/api/v1/auth/token/", {"username": "x" * 20_000, "password": "p"})
    assert assert_api_error(big)["code"] == "too_large"
    fields = {f"f{n}": "1" for n in range(1500)}
    assert_api_error(client.post("/api/v1/auth/token/", fields))


def test_the_api_answers_json_for_an_unknown_url_too():
    assert_api_error(APIClient().get("/api/v1/no-such-thing/"), status=404)


# Dates -----------------------------------------------------------------------------------

USAGE_DATES = [("to", "0001-01-05"), ("from", "2025-02-30"), ("to", "2025-13-01")]
AUDIT_DATES = [("since", "2025-02-30"), ("until", "2025-13-01"), ("since", "0001-01-01x")]


@pytest.mark.parametrize(("name", "value"), USAGE_DATES)
def test_impossible_usage_dates_are_a_400_naming_the_parameter(developer, name, value):
    response = api_as(developer).get("/api/v1/services/usage/", {name: value})
    assert_api_error(response, field=name)
    csv = api_as(developer).get("/api/v1/services/usage/", {name: value}, HTTP_ACCEPT="text/csv")
    assert_api_error(csv, field=name)


@pytest.mark.parametrize(("name", "value"), AUDIT_DATES)
def test_impossible_audit_dates_are_a_400_naming_the_parameter(operator, name, value):
    response = api_as(operator).get("/api/v1/audit-events/", {name: value})
    assert_api_error(response, field=name)


@pytest.mark.parametrize(("name", "value"), USAGE_DATES)
def test_the_usage_pages_answer_impossible_dates_with_a_400_page(client, developer, name, value):
    client.force_login(developer)
    page = client.get("/services/usage/", {name: value})
    assert page.status_code == 400
    assert "YYYY-MM-DD" in page.content.decode() or "ends before" in page.content.decode()
    export = client.get("/services/usage.csv", {name: value})
    assert export.status_code == 400
    assert name in export.content.decode()


@pytest.mark.parametrize(("name", "value"), AUDIT_DATES)
def test_the_audit_page_answers_impossible_dates_with_a_400_page(client, operator, name, value):
    client.force_login(operator)
    page = client.get("/audit/", {name: value})
    assert page.status_code == 400
    assert name in page.content.decode()


def test_a_real_period_still_works(client, developer, operator):
    ok = api_as(developer).get(
        "/api/v1/services/usage/", {"from": "2024-02-29", "to": "2024-03-01"}
    )
    assert ok.status_code == 200
    assert [d["day"] for d in ok.json()["days"]] == ["2024-02-29", "2024-03-01"]
    audit = api_as(operator).get("/api/v1/audit-events/", {"since": "2024-02-29"})
    assert audit.status_code == 200


# NUL characters (PostgreSQL refuses them in text: a 500 there) --------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/audit-events/?action=%00",
        "/api/v1/scenarios/?status=%00",
        "/api/v1/services/usage/?service=a%00b",
        "/api/v1/catalogs/%00/",
    ],
)
def test_a_nul_in_a_query_or_path_of_the_api_is_a_400_in_json(operator, path):
    assert_api_error(api_as(operator).get(path))


@pytest.mark.parametrize("path", ["/audit/?actor=%00", "/catalogs/?q=%00", "/catalogs/%00/"])
def test_a_nul_in_a_query_or_path_of_the_portal_is_a_400_page(client, operator, path):
    client.force_login(operator)
    page = client.get(path)
    assert page.status_code == 400
    assert "NUL" in page.content.decode()


def test_a_nul_in_a_form_field_is_a_400(client, developer):
    page = client.post("/login/", {"username": "lab\x00", "password": PASSWORD})
    assert page.status_code == 400
    assert "NUL" in page.content.decode()
    token = APIClient().post("/api/v1/auth/token/", {"username": "lab\x00", "password": "x"})
    assert_api_error(token)
    as_json = APIClient().post(
        "/api/v1/auth/token/", {"username": "lab\x00", "password": "x"}, format="json"
    )
    assert_api_error(as_json, field="username")


# Error pages -------------------------------------------------------------------------------

CANARY = "canary-4a1f9e0c-environment-value"
FORCE_ERRORS = """
import os
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import clear_url_caches, path

import config.urls as urls


def boom(request):
    raise RuntimeError("forced")


urls.urlpatterns[:0] = [path("boom/", boom), path("api/v1/boom/", boom)]
clear_url_caches()
client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
print("DEBUG", settings.DEBUG)
for url in ("/boom/", "/api/v1/boom/", "/no-such-page/", "/api/v1/no-such/"):
    response = client.get(url)
    print("ANSWER", url, response.status_code, response["Content-Type"])
    print(response.content.decode(errors="replace"))
"""


def test_the_demos_error_pages_print_no_setting_or_environment(tmp_path):
    """`make demo` runs with DEMO=1 only: a 500 or 404 there shows no secret key, no
    setting and no environment variable."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DEMO")}
    env.update(DEMO="1", VAR_DIR=str(tmp_path / "var"), CANARY_SETTING=CANARY)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", FORCE_ERRORS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "DEBUG False" in out
    assert "ANSWER /boom/ 500" in out and "ANSWER /no-such-page/ 404" in out
    assert "ANSWER /api/v1/boom/ 500 application/json" in out
    assert "ANSWER /api/v1/no-such/ 404 application/json" in out
    secret = (tmp_path / "var" / "secret_key").read_text().strip()
    for leaked in (secret, CANARY, "SECRET_KEY", "CANARY_SETTING", "DATABASES", "Traceback"):
        assert leaked not in out, leaked
