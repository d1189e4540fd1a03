"""Hostile values in every parameter of every API operation never give a 5xx.

The operations are enumerated from the OpenAPI schema generated in-process, so a new
endpoint is covered without touching this file. Each query parameter, each path parameter
(where the route lets one through), each field of a request body (the others given
plausible values, so the hostile one reaches validation and the services) and each whole
body gets every value of HOSTILE: 1,000-deep JSON, huge numbers, impossible dates, NUL
bytes, path traversal, spreadsheet formulas, a 1 MB string and values of the wrong type;
as an administrator of a developer organization and as operator staff. A refusal is a 4xx
in the API's error shape (JSON with a code and a detail); nothing may answer 5xx.
"""

import datetime
import json
from urllib.parse import quote, urlencode

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.celery import app as celery_app
from demands.services.demands import demand_file
from tests.factories import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.security]

DEEP = "[" * 1000 + "]" * 1000
MEGABYTE = "x" * 1_000_000

# As text (query strings, path segments, form fields) and as raw JSON fragments.
HOSTILE_TEXT = [
    "1e400",
    str(10**100),
    "-" + str(10**100),
    "2025-02-30",
    "2025-13-01",
    "0001-01-01",
    "0001-01-05",
    "9999-12-31",
    "9999-12-31T99",
    "2025-06-01/0001-01-01",
    "\x00",
    "a\x00b",
    "../../etc/passwd",
    "=cmd|' /C calc'!A0",
    MEGABYTE,
    DEEP,
    "-1",
    "1.5",
    "true",
    "[]",
    "{}",
]
HOSTILE_JSON = [
    DEEP,
    '{"a":' * 1000 + "1" + "}" * 1000,
    "1e400",
    str(10**100),
    "-" + str(10**100),
    json.dumps("2025-02-30"),
    json.dumps("0001-01-01"),
    json.dumps("9999-12-31T99:99:99"),
    json.dumps("a\x00b"),
    json.dumps("../../etc/passwd"),
    json.dumps("=cmd|' /C calc'!A0"),
    json.dumps(MEGABYTE),
    "null",
    "true",
    "-1",
    "1.5",
    "[]",
    "{}",
    '[{"a": null}]',
    '{"x": {"y": []}}',
]
HOSTILE_BODIES = [*HOSTILE_JSON, '"text"', "", "{", "\x00"]
# Path segments a route's converter lets through (an <int:...> takes digits only).
HOSTILE_PATH_INT = [str(10**100), "0", "9" * 19, "99999999999999999999"]
HOSTILE_PATH_STR = ["..%2F..%2Fetc%2Fpasswd", "%00", "a%00b", "=cmd|'%20/C%20calc'!A0", MEGABYTE]


def plausible(schema: dict, components: dict, today: str):
    """A value of the right type for ``schema`` (enough to pass "required")."""
    if "$ref" in schema:
        return plausible(components[schema["$ref"].rsplit("/", 1)[1]], components, today)
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            return plausible(schema[key][0], components, today)
    if "enum" in schema:
        return next((v for v in schema["enum"] if v is not None), None)
    kind = schema.get("type", "string")
    if kind == "object":
        required = schema.get("required", [])
        return {
            name: plausible(sub, components, today)
            for name, sub in schema.get("properties", {}).items()
            if name in required
        }
    return {
        "integer": 1,
        "number": 1,
        "boolean": False,
        "array": [],
        "string": today if schema.get("format") == "date" else "x",
    }.get(kind, "x")


def request_schema(operation: dict) -> tuple[str, dict] | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media_type in ("application/json", "multipart/form-data"):
        if media_type in content:
            return media_type, content[media_type].get("schema", {})
    return None


@pytest.fixture
def world(serviced):
    """Objects for the path parameters: the serviced scenario's type, key, definition,
    organization and admission, a published catalog; jobs queue instead of running."""
    from scenarios.models import ApiKey

    scenario, developer, definition, secret = serviced
    staff = staff_user("hostile-op")
    catalog = scenario.scope.select_related("catalog").first().catalog
    celery_app.conf.task_always_eager = False  # a submitted job stays queued
    organization = scenario.organization
    demand = demand_file(by=developer, title="x", fields_wanted="x", purpose="x", legal_basis="x")
    ids = {
        "demands": demand.pk,
        "scenarios": scenario.pk,
        "scenario-types": scenario.scenario_type_id,
        "organizations": organization.pk,
        "admissions": organization.admission.pk,
        "service-definitions": definition.pk,
        "api-keys": ApiKey.objects.filter(scenario=scenario).first().pk,
        "catalogs": catalog.code,
        "services": definition.service.code,
        "resources": catalog.resource_version.resource_id,
    }
    actions = {
        "scenarios": "review",
        "scenario-types": "review",
        "admissions": "reject",
        "api-keys": "rate",
        "release-requests": "review",
    }
    return {
        "developer": developer,
        "staff": staff,
        "secret": secret,
        "ids": ids,
        "actions": actions,
    }


def operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation, schema["components"]["schemas"]


def filled_path(path: str, world: dict, hostile: tuple[str, str] | None = None) -> str:
    """The path with each parameter set to an object of its kind (or ``hostile``)."""
    parts = path.strip("/").split("/")
    out = []
    for index, part in enumerate(parts):
        if part.startswith("{"):
            name = part[1:-1]
            if hostile and hostile[0] == name:
                out.append(hostile[1])
            elif name == "action":
                out.append(str(world["actions"].get(parts[index - 2], "review")))
            elif name in ("id", "code"):
                out.append(quote(str(world["ids"].get(parts[index - 1], 1))))
            else:
                out.append("1")
        else:
            out.append(part)
    return "/" + "/".join(out) + ("/" if path.endswith("/") else "")


def check(client, failures: list, label: str, method: str, url: str, **kwargs):
    response = client.generic(method, url, **kwargs)
    shown = f"{label}: {method} {url[:120]}"
    if response.status_code >= 500:
        failures.append(f"{shown} -> {response.status_code}")
    elif response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            failures.append(f"{shown} -> {response.status_code} not JSON")
            return
        if not (isinstance(body, dict) and "code" in body and "detail" in body):
            failures.append(f"{shown} -> {response.status_code} not the error shape: {body!r}")


def sweep(client: APIClient, world: dict, role: str) -> list[str]:
    failures: list[str] = []
    today = datetime.date.today().isoformat()
    extra = {"HTTP_AUTHORIZATION": f"ApiKey {world['secret']}"}
    for path, method, operation, components in operations():
        headers = extra if "/call" in path else {}
        url = filled_path(path, world)
        # query parameters (a data service's call takes its own: period and the rest)
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if "/call" in path:
            names += ["period", "vessel_type", "min_hour", "max_hour", "since"]
        for name in names:
            for value in HOSTILE_TEXT:
                query = urlencode({name: value})
                check(client, failures, f"{role} ?{name}", method, f"{url}?{query}", **headers)
        # path parameters
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "path":
                continue
            integer = parameter["schema"].get("type") == "integer"
            for value in HOSTILE_PATH_INT if integer else HOSTILE_PATH_STR:
                hostile_url = filled_path(path, world, (parameter["name"], value))
                check(client, failures, f"{role} path {parameter['name']}", method, hostile_url)
        # request bodies: each field in turn, then the whole body
        found = request_schema(operation)
        if method == "GET" or found is None:
            continue
        media_type, body_schema = found
        base = plausible(body_schema, components, today)
        resolved = body_schema
        if "$ref" in body_schema:
            resolved = components[body_schema["$ref"].rsplit("/", 1)[1]]
        fields = list(resolved.get("properties", {})) or ["x"]
        base = base if isinstance(base, dict) else {}
        for field in fields:
            if media_type == "multipart/form-data":
                for value in HOSTILE_TEXT:
                    data = {**{k: json.dumps(v) for k, v in base.items()}, field: value}
                    check(
                        client, failures, f"{role} form {field}", method, url,
                        data=_multipart(data), content_type=_MULTIPART, **headers,
                    )  # fmt: skip
                continue
            for raw in HOSTILE_JSON:
                rest = json.dumps({k: v for k, v in base.items() if k != field})
                body = rest[:-1] + ("," if rest != "{}" else "") + f'"{field}": {raw}' + "}"
                check(
                    client, failures, f"{role} body {field}", method, url,
                    data=body, content_type="application/json", **headers,
                )  # fmt: skip
        for raw in HOSTILE_BODIES:
            check(
                client, failures, f"{role} whole body", method, url,
                data=raw, content_type="application/json", **headers,
            )  # fmt: skip
    return failures


_BOUNDARY = "hostilevalues"
_MULTIPART = f"multipart/form-data; boundary={_BOUNDARY}"


def _multipart(fields: dict) -> bytes:
    parts = [
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{_BOUNDARY}--\r\n").encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("role", ["developer", "staff"])
def test_hostile_values_in_every_parameter_never_give_a_server_error(world, role):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world[role])
    failures = sweep(client, world, role)
    assert not failures, f"{len(failures)} answers broke the rule:\n" + "\n".join(
        sorted(set(failures))[:200]
    )


@pytest.mark.parametrize("body", ["true", "[]", '"text"', "1"])
def test_a_catalog_body_that_is_no_object_is_refused(world, body):
    """Found by .ci/fuzz: withdrawing a catalog with the body `true` answered 500."""
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world["staff"])
    code = world["ids"]["catalogs"]
    for method, url in [
        ("POST", f"/api/v1/catalogs/{code}/withdraw/"),
        ("PUT", f"/api/v1/catalogs/{code}/fields/"),
    ]:
        response = client.generic(method, url, data=body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        assert response.json()["code"] == "invalid"
