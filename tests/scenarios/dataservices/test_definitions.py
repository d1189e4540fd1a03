"""Data services: definitions reviewed with their type or as its amendment, keys,
metered calls, cached results and the API around them."""

import datetime

import pytest
from django.test import Client

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent
from scenarios.dataservices.calls import service_call
from scenarios.dataservices.definitions import service_propose, service_review
from scenarios.dataservices.keys import api_key_create, api_key_revoke
from scenarios.models import DefinitionStatus, ServiceCall, ServiceDefinition
from scenarios.services.types import scenario_type_review, scenario_type_submit
from tenants.roles import PlatformRole
from tests.factories import (
    BERTH_SERVICE,
    approved_type,
    serviced_scenario,
    staff_user,
)

pytestmark = pytest.mark.django_db
MARCH = "2025-03-01/2025-03-31"


def _reviewers():
    return [staff_user(name, PlatformRole.REVIEWER) for name in ("reviewer1", "reviewer2")]


# --- Definitions ---------------------------------------------------------------------------


def test_services_proposed_with_a_draft_type_are_approved_with_it(tmp_path):
    from scenarios.services.types import scenario_type_propose
    from tests.factories import admitted_developer, published_vessel_catalog

    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    _org, proposer = admitted_developer("海洋实验室", "lab", by=operator)
    scenario_type = scenario_type_propose(
        by=proposer,
        scope={"HY-0001": ["mmsi", "vessel_type", "berth", "arrival_time"]},
        name="港口",
        purpose="研究",
        output_kinds=["aggregate", "service"],
        valid_from=datetime.date.today(),
        valid_until=datetime.date.today() + datetime.timedelta(days=90),
    )
    definition = service_propose(by=proposer, scenario_type=scenario_type, **BERTH_SERVICE)
    assert definition.status == DefinitionStatus.DRAFT
    scenario_type_submit(by=proposer, scenario_type=scenario_type)
    for reviewer in _reviewers():
        scenario_type_review(by=reviewer, scenario_type=scenario_type, decision="approve")
    definition.refresh_from_db()
    assert definition.status == DefinitionStatus.APPROVED
    assert AuditEvent.objects.filter(action="data_service.approve").count() == 1


def test_a_service_added_to_an_approved_type_is_an_amendment_needing_two_reviewers(tmp_path):
    scenario_type, proposer = approved_type(tmp_path, output_kinds=["aggregate", "service"])
    version = scenario_type.scope_version
    definition = service_propose(by=proposer, scenario_type=scenario_type, **BERTH_SERVICE)
    assert definition.status == DefinitionStatus.SUBMITTED
    first, second = _reviewers()
    definition = service_review(by=first, definition=definition, decision="approve")
    assert definition.status == DefinitionStatus.SUBMITTED
    with pytest.raises(Conflict):
        service_review(by=first, definition=definition, decision="approve")
    definition = service_review(by=second, definition=definition, decision="approve")
    assert definition.status == DefinitionStatus.APPROVED
    scenario_type.refresh_from_db()
    assert scenario_type.scope_version == version + 1
    assert AuditEvent.objects.filter(action="scenario_type.amend").exists()


def test_a_changed_service_keeps_serving_the_approved_version_until_its_review(serviced):
    scenario, developer, definition, secret = serviced
    changed = {**BERTH_SERVICE, "name": "泊位到港艘次（新）"}
    new = service_propose(by=developer, scenario_type=scenario.scenario_type, **changed)
    assert (new.version, new.status) == (2, DefinitionStatus.SUBMITTED)
    assert (
        service_call(secret=secret, code="berth-traffic", given={"period": MARCH})["version"] == 1
    )
    with pytest.raises(Conflict, match="already under review"):
        service_propose(by=developer, scenario_type=scenario.scenario_type, **changed)
    first, second = _reviewers()
    service_review(by=first, definition=new, decision="approve")
    service_review(by=second, definition=new, decision="approve")
    definition.refresh_from_db()
    assert definition.status == DefinitionStatus.SUPERSEDED
    assert (
        service_call(secret=secret, code="berth-traffic", given={"period": MARCH})["version"] == 2
    )


def test_a_rejected_amendment_never_serves(serviced):
    scenario, developer, _definition, secret = serviced
    changed = {**BERTH_SERVICE, "columns": ["berth", "calls"]}
    changed["sql"] = changed["sql"].replace("AS port_calls", "AS calls")
    new = service_propose(by=developer, scenario_type=scenario.scenario_type, **changed)
    with pytest.raises(InvalidInput):
        service_review(by=_reviewers()[0], definition=new, decision="reject")
    new = service_review(by=_reviewers()[0], definition=new, decision="reject", comment="no")
    assert new.status == DefinitionStatus.REJECTED
    answer = service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    assert answer["columns"] == ["berth", "port_calls"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"sql": "SELECT * FROM hy_0001"}, "sql", "one aggregate query"),
        (
            {
                "sql": "SELECT berth, count(*) AS n FROM hy_0001 a JOIN hy_0001 b USING (berth) "
                "GROUP BY berth"
            },
            "sql",
            "No joins",
        ),
        (
            {
                "sql": "SELECT owner_phone, count(*) AS port_calls FROM hy_0001 "
                "GROUP BY owner_phone",
                "parameters": [],
                "columns": ["owner_phone", "port_calls"],
            },
            "sql",
            "outside the type's scope",
        ),
        (
            {
                "sql": "SELECT mmsi, count(*) AS port_calls FROM hy_0001 GROUP BY mmsi",
                "parameters": [],
                "columns": ["mmsi", "port_calls"],
            },
            "sql",
            "identifier can only be counted",
        ),
        (
            {
                "sql": "SELECT berth, max(mmsi) AS port_calls FROM hy_0001 GROUP BY berth",
                "parameters": [],
            },
            "sql",
            "identifier can only be counted",
        ),
        ({"columns": ["berth", "calls"]}, "columns", "differ"),
        ({"parameters": []}, "sql", "undeclared parameters"),
        (
            {"parameters": [*BERTH_SERVICE["parameters"], {"name": "extra", "type": "date"}]},
            "parameters",
            r"does not use: \$extra",
        ),
        ({"parameters": [{"name": "period", "type": "text"}]}, "parameters", "the type is"),
        ({"unit": "owner_phone"}, "unit", "unit counted"),
        ({"code": "Bad Code"}, "code", "lower-case"),
        ({"code": "usage"}, "code", "not usage"),
        (
            {
                "sql": "SELECT berth, count(*) AS port_calls FROM hy_0001 WHERE berth = ? "
                "GROUP BY berth",
                "parameters": [],
            },
            "sql",
            "one aggregate query",
        ),
    ],
)
def test_a_bad_definition_is_refused_naming_the_problem(tmp_path, change, field, message):
    scenario_type, proposer = approved_type(tmp_path, output_kinds=["aggregate", "service"])
    with pytest.raises(InvalidInput, match=message) as refused:
        service_propose(by=proposer, scenario_type=scenario_type, **{**BERTH_SERVICE, **change})
    assert refused.value.field == field
    assert not ServiceDefinition.objects.exists()


def test_only_the_proposing_organization_or_staff_propose_and_only_types_allowing_services(
    tmp_path,
):
    from tests.factories import admitted_developer

    scenario_type, _proposer = approved_type(tmp_path)  # output kinds: aggregate only
    _org, stranger = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    with pytest.raises(PermissionRefused):
        service_propose(by=stranger, scenario_type=scenario_type, **BERTH_SERVICE)
    with pytest.raises(Conflict, match="do not include data services"):
        service_propose(by=staff_user("op"), scenario_type=scenario_type, **BERTH_SERVICE)


def test_a_suspended_or_revoked_organization_proposes_no_service_and_staff_still_may(tmp_path):
    from scenarios.dataservices.definitions import may_propose
    from tenants.services.admission import admission_revoke, admission_suspend

    scenario_type, proposer = approved_type(tmp_path, output_kinds=["aggregate", "service"])
    operator = staff_user("op")
    application = proposer.membership.organization.admission
    admission_suspend(by=operator, application=application, reason="违规")
    application.refresh_from_db()  # as the proposer's next request reads it
    assert not may_propose(proposer, scenario_type)
    with pytest.raises(PermissionRefused, match="admission is Suspended: it cannot propose"):
        service_propose(by=proposer, scenario_type=scenario_type, **BERTH_SERVICE)
    admission_revoke(by=operator, application=application, reason="严重违规")
    application.refresh_from_db()
    with pytest.raises(PermissionRefused, match="admission is Revoked: it cannot propose"):
        service_propose(by=proposer, scenario_type=scenario_type, **BERTH_SERVICE)
    assert not ServiceDefinition.objects.exists()
    assert may_propose(operator, scenario_type)
    definition = service_propose(by=operator, scenario_type=scenario_type, **BERTH_SERVICE)
    assert definition.status == DefinitionStatus.SUBMITTED


# --- Calls ---------------------------------------------------------------------------------


def test_every_call_is_recorded_with_its_outcome(serviced):
    scenario, _developer, definition, secret = serviced
    service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    with pytest.raises(InvalidInput):
        service_call(secret=secret, code="berth-traffic", given={"period": "March"})
    ok, bad = ServiceCall.objects.order_by("pk")
    assert (ok.status, ok.rows, ok.suppressed, ok.version) == (200, 7, 0, 1)
    assert ok.service == definition.service and ok.scenario == scenario
    assert ok.organization == scenario.organization and ok.latency_ms > 0
    assert bad.status == 400 and bad.rows == 0
    assert ok.params_sha256 != bad.params_sha256 and len(ok.params_sha256) == 64


def test_a_cached_service_answers_repeated_calls_from_the_cache(
    tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _scenario, _developer, _definition, secret = serviced_scenario(tmp_path, cached=True)
    first = service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    second = service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    other = service_call(
        secret=secret, code="berth-traffic", given={"period": "2025-03-01/2025-03-20"}
    )
    assert (first["cached"], second["cached"], other["cached"]) == (False, True, False)
    assert second["rows"] == first["rows"]
    assert ServiceCall.objects.filter(cached=True).count() == 1


def test_a_key_is_made_by_an_organization_admin_for_an_authorized_scenario(serviced):
    from tests.factories import admitted_developer

    scenario, developer, _definition, _secret = serviced
    _org, stranger = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    with pytest.raises(PermissionRefused):
        api_key_create(by=stranger, scenario=scenario, name="x")
    with pytest.raises(InvalidInput, match="future"):
        api_key_create(
            by=developer,
            scenario=scenario,
            name="x",
            expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1),
        )
    key, secret = api_key_create(by=developer, scenario=scenario, name="second")
    assert secret.startswith(f"sbx_{key.prefix}_") and secret not in key.key_sha256


def test_a_scenario_has_at_most_so_many_live_keys(serviced, settings):
    """Each key has its own rate: more keys would be more calls a minute."""
    scenario, developer, _definition, _secret = serviced  # one key already
    settings.SERVICES_KEYS_PER_SCENARIO = 3
    second, _ = api_key_create(by=developer, scenario=scenario, name="second")
    api_key_create(by=developer, scenario=scenario, name="third")
    with pytest.raises(Conflict, match="3 live keys, the most it may have"):
        api_key_create(by=developer, scenario=scenario, name="fourth")
    api_key_revoke(by=developer, key=second)  # a revoked key makes room
    api_key_create(by=developer, scenario=scenario, name="fourth")


# --- API -----------------------------------------------------------------------------------


def test_the_api_answers_json_and_csv(serviced):
    _scenario, _developer, _definition, secret = serviced
    client = Client()
    url = "/api/v1/services/berth-traffic/call"
    answer = client.get(
        url, {"period": MARCH, "vessel_type": "油轮"}, HTTP_AUTHORIZATION=f"ApiKey {secret}"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["columns"] == ["berth", "port_calls"] and body["threshold"] == 10
    as_csv = client.get(
        url, {"period": MARCH}, HTTP_AUTHORIZATION=f"ApiKey {secret}", HTTP_ACCEPT="text/csv"
    )
    lines = as_csv.content.decode().splitlines()
    assert as_csv["Content-Type"].startswith("text/csv")
    assert lines[0] == "berth,port_calls,suppressed" and len(lines) == 8
    posted = client.post(
        url,
        {"period": {"start": "2025-03-01", "end": "2025-03-31"}, "min_hour": 12},
        content_type="application/json",
        HTTP_X_API_KEY=secret,
    )
    assert posted.status_code == 200
    assert sum(r["port_calls"] or 0 for r in posted.json()["rows"]) < sum(
        int(line.split(",")[1]) for line in lines[1:]
    )


def test_api_errors_are_clear(serviced):
    _scenario, _developer, _definition, secret = serviced
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"ApiKey {secret}"}
    missing = client.get("/api/v1/services/berth-traffic/call", **auth)
    assert missing.status_code == 400 and missing.json()["field"] == "period"
    unknown = client.get("/api/v1/services/nothing-here/call", {"period": MARCH}, **auth)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_service"
    no_key = client.get("/api/v1/services/berth-traffic/call", {"period": MARCH})
    assert no_key.status_code == 401 and no_key["WWW-Authenticate"] == "ApiKey"
    as_csv = client.get("/api/v1/services/berth-traffic/call", HTTP_ACCEPT="text/csv", **auth)
    assert as_csv.status_code == 400 and as_csv.json()["field"] == "period"


def test_services_are_proposed_reviewed_and_listed_through_the_api(tmp_path):
    scenario_type, proposer = approved_type(tmp_path, output_kinds=["aggregate", "service"])
    client = Client()
    client.force_login(proposer)
    created = client.post(
        f"/api/v1/scenario-types/{scenario_type.pk}/services/",
        BERTH_SERVICE,
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "submitted"
    bad = client.post(
        f"/api/v1/scenario-types/{scenario_type.pk}/services/",
        {**BERTH_SERVICE, "sql": "DROP TABLE hy_0001"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "sql"
    for reviewer in _reviewers():
        client.force_login(reviewer)
        decided = client.post(
            f"/api/v1/service-definitions/{created.json()['id']}/review/", {"decision": "approve"}
        )
        assert decided.status_code == 200
    assert decided.json()["status"] == "approved"
    client.force_login(staff_user("someone", PlatformRole.AUDITOR))
    listed = client.get("/api/v1/services/", {"status": "approved"}).json()["results"]
    assert [(d["code"], d["call"]) for d in listed] == [
        ("berth-traffic", "/api/v1/services/berth-traffic/call")
    ]


def test_keys_through_the_api_show_the_secret_once(serviced):
    scenario, developer, _definition, _secret = serviced
    client = Client()
    client.force_login(developer)
    created = client.post(f"/api/v1/scenarios/{scenario.pk}/api-keys/", {"name": "batch"})
    assert created.status_code == 201
    secret = created.json()["key"]
    listed = client.get(f"/api/v1/scenarios/{scenario.pk}/api-keys/")
    assert secret not in listed.content.decode()
    assert {k["name"] for k in listed.json()["results"]} == {"test key", "batch"}
    ok = Client().get(
        "/api/v1/services/berth-traffic/call", {"period": MARCH}, HTTP_X_API_KEY=secret
    )
    assert ok.status_code == 200
    revoked = client.post(f"/api/v1/api-keys/{created.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = Client().get(
        "/api/v1/services/berth-traffic/call", {"period": MARCH}, HTTP_X_API_KEY=secret
    )
    assert refused.status_code == 401 and refused.json()["code"] == "key_revoked"


def test_usage_through_the_api_counts_an_organizations_own_calls(serviced):
    _scenario, developer, _definition, secret = serviced
    for _ in range(3):
        service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    client = Client()
    client.force_login(developer)
    summary = client.get("/api/v1/services/usage/").json()
    assert summary["total"] == 3 and summary["services"][0]["service_code"] == "berth-traffic"
    today = [d for d in summary["days"] if d["calls"]]
    assert len(today) == 1 and today[0]["calls"] == 3
    exported = client.get("/api/v1/services/usage/", HTTP_ACCEPT="text/csv").content.decode()
    assert exported.splitlines()[0] == "day,service,organization,calls,refused,rows,suppressed"
    assert exported.splitlines()[1].endswith(",3,0,21,0")
    bad = client.get("/api/v1/services/usage/", {"from": "2025-13-01"})
    assert bad.status_code == 400 and bad.json()["field"] == "from"


def _insurers_key(scenario, fields: list[str]) -> str:
    """The secret of a key of another organization's scenario of the same type, whose
    scope holds ``fields`` of HY-0001."""
    from scenarios.agreement import AGREEMENT_SHA256
    from scenarios.services.scenarios import scenario_apply
    from tests.factories import admitted_developer

    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    other = scenario_apply(
        by=insurer,
        scenario_type=scenario.scenario_type,
        name="保险风险分析",
        purpose="保险定价",
        responsible_person="李四",
        period_start=datetime.date.today(),
        period_end=datetime.date.today() + datetime.timedelta(days=30),
        scope={"HY-0001": fields},
        agreement_sha256=AGREEMENT_SHA256,
    )
    return api_key_create(by=insurer, scenario=other, name="insurer")[1]


def test_an_answer_that_would_difference_an_earlier_one_is_suppressed(
    serviced, django_capture_on_commit_callbacks
):
    """A month, then the same month but its first three days: each berth's two counts
    differ by a few port calls, which subtracting one answer from the other would show.
    The second answer is suppressed; the first stays answerable, and another
    organization's answers are its own."""

    scenario, _developer, _definition, secret = serviced
    month = service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    assert month["cells_suppressed"] == 0
    counts = {row["berth"]: row["port_calls"] for row in month["rows"]}
    later = service_call(
        secret=secret, code="berth-traffic", given={"period": "2025-03-04/2025-03-31"}
    )
    # Days 1 to 3 hold port calls of berths 1 to 3 only: those three differ by 8, and
    # their rows are left out (every statistic of theirs suppressed).
    hidden = {"海天1号泊位", "海天2号泊位", "海天3号泊位"}
    assert later["cells_suppressed"] == 3
    assert {r["berth"]: r["port_calls"] for r in later["rows"]} == {
        berth: n for berth, n in counts.items() if berth not in hidden
    }
    logged = ServiceCall.objects.order_by("-pk").first()
    assert (logged.suppressed, logged.rows) == (3, len(counts) - 3)
    again = service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    assert {row["berth"]: row["port_calls"] for row in again["rows"]} == counts
    # Half the month is far enough apart: more than the threshold in every berth.
    half = service_call(
        secret=secret, code="berth-traffic", given={"period": "2025-03-15/2025-03-31"}
    )
    assert half["cells_suppressed"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        other_secret = _insurers_key(scenario, ["mmsi", "vessel_type", "berth", "arrival_time"])
    theirs = service_call(
        secret=other_secret, code="berth-traffic", given={"period": "2025-03-04/2025-03-31"}
    )
    assert theirs["cells_suppressed"] == 0


def test_a_scenario_without_the_services_unit_is_refused_its_calls(
    serviced, django_capture_on_commit_callbacks
):
    """Its workspace lacks the vessels' identifier the service counts by: answering would
    count port calls as vessels (one vessel's many calls passing the threshold)."""
    scenario, _developer, definition, _secret = serviced
    assert definition.unit == "mmsi"
    with django_capture_on_commit_callbacks(execute=True):
        secret = _insurers_key(scenario, ["vessel_type", "berth", "arrival_time"])  # no mmsi
    with pytest.raises(PermissionRefused) as refused:
        service_call(secret=secret, code="berth-traffic", given={"period": MARCH})
    assert refused.value.code == "outside_scenario_scope"


def _repeat_visitors_csv(path, rows: int = 200, *, offset: int = 0):
    """Berth 1: twelve vessels, one port call each on March 1 to 12, then vessel 0 again
    on March 13, alone that day. Berth 2: sixty other vessels over the month."""
    lines = ["mmsi,vessel_name,vessel_type,berth,arrival_time,owner_phone,tonnage"]
    for n in [*range(12), 0]:
        day = n + 1 if len(lines) <= 12 else 13
        lines.append(
            f"{412000000 + n},远洋{n:04d}号,集装箱船,海天1号泊位,"
            f"2025-03-{day:02d} 10:15:00,1390000{n:04d},{1000 + n * 37}"
        )
    for n in range(100, 160):
        lines.append(
            f"{412000000 + n},远洋{n:04d}号,散货船,海天2号泊位,"
            f"2025-03-{n % 28 + 1:02d} 11:15:00,1390000{n:04d},{1000 + n * 37}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_same_units_with_other_values_are_a_difference_too(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """Units counted by vessel: March 1-12 and March 1-13 hold the same twelve vessels at
    berth 1, but 12 and 13 port calls. Answering both would give away March 13's one port
    call of one vessel (a cell suppressed when asked alone): the second is suppressed."""
    import tests.factories as factories

    monkeypatch.setattr(factories, "vessel_csv", _repeat_visitors_csv)
    with django_capture_on_commit_callbacks(execute=True):
        _scenario, _developer, definition, secret = factories.serviced_scenario(tmp_path)
    assert definition.unit == "mmsi"

    def berth_1(period: str) -> int | None:
        """Berth 1's port calls, None when its row is left out (suppressed)."""
        answer = service_call(secret=secret, code="berth-traffic", given={"period": period})
        rows = [row for row in answer["rows"] if row["berth"] == "海天1号泊位"]
        return rows[0]["port_calls"] if rows else None

    assert berth_1("2025-03-13/2025-03-13") is None  # one vessel: too few
    assert berth_1("2025-03-01/2025-03-12") == 12
    assert berth_1("2025-03-01/2025-03-13") is None  # 13 - 12 would be March 13's call
    # The same answer again is no difference: answered as before.
    assert berth_1("2025-03-01/2025-03-12") == 12


@pytest.mark.django_db(transaction=True)
def test_two_calls_at_the_same_moment_are_checked_against_each_other(tmp_path, monkeypatch):
    """Both calls have their results before either settles: the second to settle must
    see the first's answer (one of the two answers is suppressed in three berths)."""
    import threading

    from django.db import connection

    from scenarios.dataservices import counters

    _scenario, _developer, _definition, secret = serviced_scenario(tmp_path)  # built inline
    settle = counters.call_settle
    both_ran = threading.Barrier(2, timeout=30)
    waited = set()

    def settle_together(**kwargs):
        if kwargs["cells"] and threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            both_ran.wait()
        return settle(**kwargs)

    monkeypatch.setattr(counters, "call_settle", settle_together)
    answers = {}

    def call(period):
        try:
            answers[period] = service_call(
                secret=secret, code="berth-traffic", given={"period": period}
            )
        finally:
            connection.close()

    threads = [
        threading.Thread(target=call, args=(period,)) for period in (MARCH, "2025-03-04/2025-03-31")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer["cells_suppressed"] for answer in answers.values()) == [0, 3]
