"""The portal's data-service pages: services and their review, proposing one, a
scenario's API keys (the secret shown once) and the usage dashboard with its CSV."""

import csv
import datetime
import hashlib
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import ApplicationError, InvalidInput, Unauthenticated
from scenarios.dataservices.calls import service_call
from scenarios.dataservices.definitions import service_propose
from scenarios.dataservices.keys import api_key_create
from scenarios.models import (
    ApiKey,
    DataService,
    Job,
    JobStatus,
    ServiceDefinition,
    ServiceQuota,
)
from scenarios.selectors import USAGE_EXPORT_HEADER
from scenarios.services.jobs import job_submit
from scenarios.services.types import scenario_type_propose
from tenants.models import MemberRole
from tenants.roles import PlatformRole
from tenants.services.organizations import member_create
from tests.factories import (
    BERTH_SERVICE,
    PASSWORD,
    admitted_developer,
    staff_user,
)

pytestmark = pytest.mark.django_db
MARCH = "2025-03-01/2025-03-31"
SECRET_SHAPE = re.compile(r"sbx_[a-z0-9]{8}_[A-Za-z0-9_-]{32,64}")


def other_developer():
    return admitted_developer("保险公司", "insurer", by=staff_user("op"))


def plain_member(organization, username="analyst"):
    return member_create(
        by=None,
        organization=organization,
        role=MemberRole.MEMBER,
        user_fields={"username": username, "email": f"{username}@dev.cn", "password": PASSWORD},
    )


def call(secret, period=MARCH):
    """A call through the service itself; a refused one is recorded too."""
    try:
        return service_call(secret=secret, code="berth-traffic", given={"period": period})
    except InvalidInput:
        return None


def proposal(**overrides) -> dict:
    data = {
        "code": BERTH_SERVICE["code"],
        "name": "泊位到港艘次（按船型）",
        "name_en": "Port calls by berth and type",
        "description": "",
        "sql": (
            "SELECT berth, vessel_type, count(*) AS port_calls FROM hy_0001 "
            "WHERE CAST(arrival_time AS DATE) BETWEEN $period_start AND $period_end "
            "GROUP BY berth, vessel_type"
        ),
        "parameters": '[{"name": "period", "type": "date_range", "max_days": 62}]',
        "columns": "berth, vessel_type, port_calls",
        "unit": "mmsi",
    }
    data.update(overrides)
    return data


# --- Services ------------------------------------------------------------------------------


def test_the_service_list_shows_approved_services_to_everyone_logged_in(client, serviced):
    _org, insurer = other_developer()
    client.force_login(insurer)

    page = client.get("/services/").content.decode()

    assert 'data-service="berth-traffic"' in page
    assert 'href="/services/berth-traffic/"' in page
    assert "泊位到港艘次" in page
    assert "<code>period</code>" in page


def test_the_service_pages_need_a_login(client, serviced):
    assert client.get("/services/")["Location"].startswith("/login/")
    assert client.get("/services/usage/")["Location"].startswith("/login/")


def test_the_service_page_shows_the_definition_and_a_curl_line(client, serviced):
    _scenario, developer, _definition, _secret = serviced
    client.force_login(developer)

    page = client.get("/services/berth-traffic/").content.decode()

    assert "SELECT berth, count(*) AS port_calls FROM hy_0001" in page
    assert 'data-parameter="vessel_type"' in page and 'data-parameter="since"' in page
    assert "<code>port_calls</code>" in page
    assert "<code>mmsi</code>" in page  # the unit counted
    example = re.search(r'<pre class="code" id="call-example">(.*?)</pre>', page).group(1)
    assert example.startswith("curl -H &quot;Authorization: ApiKey &lt;key&gt;&quot;")
    assert "http://testserver/api/v1/services/berth-traffic/call?period=" in example
    assert 'data-version="1" data-status="approved"' in page
    assert 'id="quota-form"' not in page  # operator staff only
    assert 'id="service-review-form"' not in page


def test_a_version_under_review_is_seen_by_its_proposer_only(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    response = client.post(
        f"/scenario-types/{scenario.scenario_type_id}/services/new/",
        proposal(code="berth-by-type"),
    )
    assert response.status_code == 302
    assert response["Location"] == "/services/berth-by-type/"
    assert 'data-status="submitted"' in client.get("/services/berth-by-type/").content.decode()

    _org, insurer = other_developer()
    client.force_login(insurer)

    assert client.get("/services/berth-by-type/").status_code == 404
    assert "berth-by-type" not in client.get("/services/").content.decode()


def test_a_new_version_proposed_in_the_portal_is_approved_by_two_reviewers(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    form = client.get(
        f"/scenario-types/{scenario.scenario_type_id}/services/new/?code=berth-traffic"
    ).content.decode()
    assert "$vessel_type IS NULL" in form  # starts from the current version

    response = client.post(f"/scenario-types/{scenario.scenario_type_id}/services/new/", proposal())
    assert response.status_code == 302
    page = client.get("/services/berth-traffic/").content.decode()
    assert 'data-version="2" data-status="submitted"' in page
    assert 'id="service-review-form"' not in page  # the proposer does not review

    for name in ("reviewer1", "reviewer2"):
        client.force_login(staff_user(name, PlatformRole.REVIEWER))
        page = client.get("/services/berth-traffic/").content.decode()
        assert 'id="service-review-form"' in page
        client.post("/services/berth-traffic/versions/2/review/", {"decision": "approve"})

    page = client.get("/services/berth-traffic/").content.decode()
    assert 'data-version="2" data-status="approved"' in page
    assert 'data-version="1" data-status="superseded"' in page
    assert 'id="service-review-form"' not in page
    assert page.count('data-review-version="2" data-decision="approve"') == 2


def test_a_rejection_needs_a_reason_and_shows_it(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    client.post(f"/scenario-types/{scenario.scenario_type_id}/services/new/", proposal())
    client.force_login(staff_user("reviewer1", PlatformRole.REVIEWER))

    response = client.post(
        "/services/berth-traffic/versions/2/review/", {"decision": "reject"}, follow=True
    )
    assert "Give a reason." in response.content.decode()
    client.post(
        "/services/berth-traffic/versions/2/review/",
        {"decision": "reject", "comment": "按船型分组单元过小"},
    )

    client.force_login(developer)
    page = client.get("/services/berth-traffic/").content.decode()
    assert 'data-version="2" data-status="rejected"' in page
    assert "按船型分组单元过小" in page


def test_bad_sql_is_shown_on_the_form_which_keeps_the_input(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    sql = "SELECT * FROM hy_0001 WHERE berth = 'B1'"

    response = client.post(
        f"/scenario-types/{scenario.scenario_type_id}/services/new/",
        proposal(code="berth-rows", sql=sql, parameters="[]", columns="berth"),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The SQL must be one aggregate query" in page
    assert "SELECT * FROM hy_0001 WHERE berth = &#x27;B1&#x27;" in page
    assert not ServiceDefinition.objects.filter(service__code="berth-rows").exists()


def test_parameters_that_are_not_json_are_refused_on_the_form(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)

    response = client.post(
        f"/scenario-types/{scenario.scenario_type_id}/services/new/",
        proposal(parameters='[{"name": "period",}]'),
    )

    page = response.content.decode()
    assert "The parameters are not valid JSON" in page
    assert "[{&quot;name&quot;: &quot;period&quot;,}]" in page
    assert ServiceDefinition.objects.count() == 1


def test_a_code_of_another_type_is_refused_on_the_code_field(client, serviced):
    _scenario, developer, _definition, _secret = serviced
    other_type = scenario_type_propose(
        by=developer,
        scope={"HY-0001": ["mmsi", "vessel_type", "berth", "arrival_time"]},
        name="泊位利用",
        purpose="泊位研究",
        output_kinds=["aggregate", "service"],
        valid_from=datetime.date.today(),
        valid_until=datetime.date.today() + datetime.timedelta(days=90),
    )
    client.force_login(developer)

    response = client.post(f"/scenario-types/{other_type.pk}/services/new/", proposal())

    assert response.status_code == 200
    assert "Another type already has a service with this code." in response.content.decode()
    assert ServiceDefinition.objects.count() == 1


def test_only_the_proposing_organization_and_staff_may_propose(client, serviced):
    scenario, _developer, _definition, _secret = serviced
    url = f"/scenario-types/{scenario.scenario_type_id}/services/new/"
    _org, insurer = other_developer()
    client.force_login(insurer)
    assert client.get(url).status_code == 404
    assert client.post(url, proposal(code="x-service")).status_code == 404
    client.force_login(staff_user("op"))
    assert client.get(url).status_code == 200


def test_a_member_of_a_suspended_organization_is_not_offered_the_proposal_form(client, serviced):
    from tenants.services.admission import admission_suspend

    scenario, developer, _definition, _secret = serviced
    admission_suspend(
        by=staff_user("op"), application=developer.membership.organization.admission, reason="违规"
    )
    client.force_login(developer)
    page = client.get(f"/scenario-types/{scenario.scenario_type_id}/").content.decode()
    assert 'href="/services/berth-traffic/"' in page
    assert "/services/new/" not in page
    url = f"/scenario-types/{scenario.scenario_type_id}/services/new/"
    assert client.get(url).status_code == 404
    assert client.post(url, proposal(code="x-service")).status_code == 404
    assert ServiceDefinition.objects.count() == 1


def test_the_type_page_lists_its_services_and_links_the_proposal_form(client, serviced):
    scenario, developer, _definition, _secret = serviced
    url = f"/scenario-types/{scenario.scenario_type_id}/"
    client.force_login(developer)
    page = client.get(url).content.decode()
    assert 'id="type-services"' in page
    assert 'href="/services/berth-traffic/"' in page
    assert f'href="/scenario-types/{scenario.scenario_type_id}/services/new/"' in page

    _org, insurer = other_developer()
    client.force_login(insurer)
    page = client.get(url).content.decode()
    assert 'href="/services/berth-traffic/"' in page
    assert "/services/new/" not in page


def test_types_and_services_are_named_in_the_readers_language(client, serviced, settings):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    pages = {
        "type": f"/scenario-types/{scenario.scenario_type_id}/",
        "types": "/scenario-types/",
        "service": "/services/berth-traffic/",
        "services": "/services/",
        "scenario": f"/scenarios/{scenario.pk}/",
    }
    for language, (shown, other) in {
        "en": ("Vessel traffic and port congestion", "船舶交通与港口拥堵"),
        "zh-hans": ("船舶交通与港口拥堵", "Vessel traffic and port congestion"),
    }.items():
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for name, url in pages.items():
            page = client.get(url).content.decode()
            assert shown in page, (language, name)
            if name in ("type", "types"):  # the other name after it, smaller
                assert page.index(shown) < page.index(other), (language, name)
            else:
                assert other not in page, (language, name)
        service = client.get("/services/berth-traffic/").content.decode()
        heading = service.split("<h1>")[1].split("</h1>")[0]
        assert ("Port calls by berth" if language == "en" else "泊位到港艘次") in heading


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_service_and_key_lists_take_as_many_queries_for_many_rows(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    urls = ("/services/", f"/scenarios/{scenario.pk}/api-keys/")
    before = [_queries(client, url) for url in urls]
    for code in ("berth-one", "berth-two"):
        service_propose(
            by=developer,
            scenario_type=scenario.scenario_type,
            **{**BERTH_SERVICE, "code": code},
        )
        api_key_create(by=developer, scenario=scenario, name=code)

    assert [_queries(client, url) for url in urls] == before
    assert 'data-service="berth-two"' in client.get("/services/").content.decode()


# --- Quotas ----------------------------------------------------------------------------------


def test_operator_staff_set_an_organizations_daily_quota(client, serviced):
    scenario, _developer, _definition, _secret = serviced
    client.force_login(staff_user("op"))
    page = client.get("/services/berth-traffic/").content.decode()
    assert 'id="quota-form"' in page

    response = client.post(
        "/services/berth-traffic/quota/",
        {"organization": scenario.organization_id, "calls_per_day": "5"},
        follow=True,
    )

    quota = ServiceQuota.objects.get()
    assert (quota.organization_id, quota.calls_per_day) == (scenario.organization_id, 5)
    assert f'data-organization="{scenario.organization_id}"' in response.content.decode()


def test_a_developer_cannot_set_quotas(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)

    response = client.post(
        "/services/berth-traffic/quota/",
        {"organization": scenario.organization_id, "calls_per_day": "100000"},
    )

    assert response.status_code == 403
    assert not ServiceQuota.objects.exists()


# --- API keys --------------------------------------------------------------------------------


def test_an_admin_makes_a_key_and_sees_its_secret_once(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    url = f"/scenarios/{scenario.pk}/api-keys/"

    response = client.post(url, {"name": "生产环境", "expires_at": ""})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = re.search(r'id="new-key-secret">([^<]+)<', page).group(1)
    assert SECRET_SHAPE.fullmatch(secret)
    assert "it will not be shown again" in page
    key = ApiKey.objects.get(name="生产环境")
    assert key.key_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert service_call(secret=secret, code="berth-traffic", given={"period": MARCH})["rows"]

    again = client.get(url)
    assert secret not in again.content.decode()
    assert 'id="new-key-secret"' not in again.content.decode()
    assert f'data-prefix="{key.prefix}"' in again.content.decode()
    assert "no-store" in again["Cache-Control"]


def test_a_key_with_an_expiry_day_stops_at_its_end_and_a_past_day_is_refused(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    url = f"/scenarios/{scenario.pk}/api-keys/"
    today = timezone.localdate()

    client.post(url, {"name": "试用", "expires_at": today.isoformat()})
    refused = client.post(url, {"name": "过期", "expires_at": "2020-01-01"})

    key = ApiKey.objects.get(name="试用")
    assert timezone.localtime(key.expires_at).date() == today + datetime.timedelta(days=1)
    assert "The expiry must be in the future." in refused.content.decode()
    assert 'id="new-key-secret"' not in refused.content.decode()
    assert not ApiKey.objects.filter(name="过期").exists()


@pytest.mark.parametrize(
    ("language", "header"), [("en", "<th>Valid until</th>"), ("zh-hans", "<th>有效期截止</th>")]
)
def test_a_key_is_listed_as_valid_until_the_day_its_maker_chose(client, serviced, language, header):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)
    url = f"/scenarios/{scenario.pk}/api-keys/"
    client.post(url, {"name": "年度", "expires_at": "2030-01-01"})
    afternoon = timezone.make_aware(datetime.datetime(2030, 6, 1, 15, 30))
    by_api, _secret = api_key_create(
        by=developer, scenario=scenario, name="接口", expires_at=afternoon
    )

    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    chosen = page.split(f'data-prefix="{ApiKey.objects.get(name="年度").prefix}"')[1]
    assert header in page
    assert "<td>2030-01-01</td>" in chosen.split("</tr>")[0]
    assert "2030-01-02" not in page
    assert "<td>2030-06-01 15:30</td>" in page.split(f'data-prefix="{by_api.prefix}"')[1]


def test_a_member_who_is_not_an_admin_sees_the_keys_but_cannot_make_one(client, serviced):
    scenario, _developer, _definition, _secret = serviced
    member = plain_member(scenario.organization)
    client.force_login(member)
    url = f"/scenarios/{scenario.pk}/api-keys/"

    page = client.get(url).content.decode()
    response = client.post(url, {"name": "mine"})

    assert "test key" in page
    assert 'id="api-key-form"' not in page
    assert response.status_code == 403
    assert not ApiKey.objects.filter(name="mine").exists()


def test_another_organization_sees_neither_the_keys_nor_the_page(client, serviced):
    scenario, _developer, _definition, _secret = serviced
    key = ApiKey.objects.get()
    _org, insurer = other_developer()
    client.force_login(insurer)

    assert client.get(f"/scenarios/{scenario.pk}/api-keys/").status_code == 404
    assert client.post(f"/scenarios/{scenario.pk}/api-keys/", {"name": "x"}).status_code == 404
    assert client.post(f"/scenarios/api-keys/{key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get().revoked_at is None


def test_the_scenario_page_links_its_keys_for_its_members(client, serviced):
    scenario, developer, _definition, _secret = serviced
    client.force_login(developer)

    page = client.get(f"/scenarios/{scenario.pk}/").content.decode()

    assert f'href="/scenarios/{scenario.pk}/api-keys/"' in page


def test_an_admin_revokes_a_key_and_its_calls_are_refused(client, serviced):
    scenario, developer, _definition, secret = serviced
    key = ApiKey.objects.get()
    client.force_login(developer)
    page = client.get(f"/scenarios/{scenario.pk}/api-keys/").content.decode()
    assert f'action="/scenarios/api-keys/{key.pk}/revoke/"' in page

    response = client.post(f"/scenarios/api-keys/{key.pk}/revoke/", follow=True)

    assert response.redirect_chain[-1][0] == f"/scenarios/{scenario.pk}/api-keys/"
    assert f'data-key="{key.pk}" data-prefix="{key.prefix}" data-state="revoked"' in (
        response.content.decode()
    )
    with pytest.raises(Unauthenticated):
        service_call(secret=secret, code="berth-traffic", given={"period": MARCH})


def test_operator_staff_set_a_keys_rate_and_others_cannot(client, serviced):
    scenario, developer, _definition, _secret = serviced
    key = ApiKey.objects.get()
    client.force_login(developer)
    assert (
        'class="rate-form"'
        not in client.get(f"/scenarios/{scenario.pk}/api-keys/").content.decode()
    )
    assert (
        client.post(f"/scenarios/api-keys/{key.pk}/rate/", {"rate_per_minute": "999"}).status_code
        == 403
    )

    client.force_login(staff_user("op"))
    assert 'class="rate-form"' in client.get(f"/scenarios/{scenario.pk}/api-keys/").content.decode()
    client.post(f"/scenarios/api-keys/{key.pk}/rate/", {"rate_per_minute": "2"})

    key.refresh_from_db()
    assert key.rate_per_minute == 2


# --- Usage -----------------------------------------------------------------------------------


def _figure(page: str, name: str) -> int:
    return int(re.search(rf'id="{name}">(\d+)<', page).group(1))


def test_the_usage_page_counts_the_calls_made(client, serviced):
    scenario, developer, _definition, secret = serviced
    for _ in range(3):
        call(secret)
    call(secret, period="March")  # refused: a bad parameter, still metered
    today = timezone.localdate().isoformat()
    client.force_login(developer)

    page = client.get("/services/usage/").content.decode()

    assert (_figure(page, "usage-total"), _figure(page, "usage-refused")) == (4, 1)
    assert re.search(r'<svg id="usage-chart" role="img" aria-label="[^"]+"', page)
    bar = re.search(rf'<rect class="bar"[^>]*data-day="{today}"[^>]*><title>([^<]*)</title>', page)
    assert bar and f"{today}: 4 calls, 1 refused" == bar.group(1)
    assert 'data-calls="4"' in bar.group(0)
    assert '<rect class="bar-refused"' in page
    row = re.search(r'<tr data-service="berth-traffic">.*?</tr>', page).group(0)
    assert '<td class="calls">4</td>' in row
    assert f'<tr data-organization="{scenario.organization_id}">' in page
    assert 'id="id_organization"' not in page  # a member sees only their own


def test_calls_to_unknown_services_are_counted_under_one_row_not_their_made_up_codes(
    client, serviced
):
    _scenario, developer, definition, secret = serviced
    # A service proposed, never approved: its code is no more known than a made-up one.
    DataService.objects.create(code="zzz-made-up", scenario_type=definition.service.scenario_type)
    call(secret)
    for made_up in ("nope", "zzz-made-up"):
        with pytest.raises(ApplicationError):
            service_call(secret=secret, code=made_up, given={})
    client.force_login(developer)

    page = client.get("/services/usage/").content.decode()
    export = client.get("/services/usage.csv").content.decode()

    assert "nope" not in page and "zzz-made-up" not in page
    unknown = re.search(r'<tr data-service="">.*?</tr>', page).group(0)
    assert "(unknown service)" in unknown and '<td class="calls">2</td>' in unknown
    assert "nope" not in export and ",(unknown service)," in export


def test_the_csv_export_matches_the_calls(client, serviced):
    scenario, developer, _definition, secret = serviced
    answers = [call(secret) for _ in range(2)]
    call(secret, period="March")
    client.force_login(developer)
    page = client.get("/services/usage/?service=berth-traffic").content.decode()
    link = re.search(r'id="usage-export" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link.startswith("/services/usage.csv?") and "service=berth-traffic" in link

    response = client.get(link)

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == USAGE_EXPORT_HEADER
    assert rows[1:] == [
        [
            timezone.localdate().isoformat(),
            "berth-traffic",
            scenario.organization.name,
            "3",
            "1",
            str(sum(len(a["rows"]) for a in answers)),
            str(sum(a["cells_suppressed"] for a in answers)),
        ]
    ]


def test_another_organization_sees_an_empty_dashboard_and_export(client, serviced):
    _scenario, _developer, _definition, secret = serviced
    call(secret)
    _org, insurer = other_developer()
    client.force_login(insurer)

    page = client.get("/services/usage/").content.decode()
    export = client.get("/services/usage.csv").content.decode()

    assert _figure(page, "usage-total") == 0
    assert "berth-traffic</code>" not in page
    assert 'data-calls="1"' not in page
    assert export.strip().splitlines() == [",".join(USAGE_EXPORT_HEADER)]


def test_staff_and_auditors_see_every_organization_and_filter_by_one(client, serviced):
    scenario, _developer, _definition, secret = serviced
    call(secret)
    call(secret)
    other, _insurer = other_developer()
    client.force_login(staff_user("audit", PlatformRole.AUDITOR))

    page = client.get("/services/usage/").content.decode()
    filtered = client.get(f"/services/usage/?organization={other.pk}").content.decode()

    assert _figure(page, "usage-total") == 2
    assert 'id="id_organization"' in page
    assert f'<tr data-organization="{scenario.organization_id}">' in page
    assert _figure(filtered, "usage-total") == 0
    assert f"organization={other.pk}" in filtered


def test_a_period_that_ends_before_it_starts_is_shown_on_the_filter(client, serviced):
    _scenario, developer, _definition, _secret = serviced
    client.force_login(developer)

    response = client.get("/services/usage/?from=2025-03-10&to=2025-03-01")

    assert response.status_code == 400  # the dashboard, with the refusal beside the field
    assert "The period ends before it starts." in response.content.decode()


def test_an_impossible_date_on_the_filter_is_refused_once_in_words(client, serviced):
    _scenario, developer, _definition, _secret = serviced
    client.force_login(developer)

    page = client.get("/services/usage/?from=2026-13-01").content.decode()

    assert page.count("Write a date as YYYY-MM-DD.") == 1
    assert "from must be" not in page  # not the query parameter's own message besides


def test_the_period_filter_limits_the_chart_to_its_days(client, serviced):
    _scenario, developer, _definition, secret = serviced
    call(secret)
    client.force_login(developer)

    page = client.get("/services/usage/?from=2025-03-01&to=2025-03-07").content.decode()

    assert page.count('<rect class="bar"') == 7
    assert _figure(page, "usage-total") == 0


# --- Home page -------------------------------------------------------------------------------


def test_the_home_page_counts_answered_calls_and_real_jobs_run(
    client, serviced, settings, django_capture_on_commit_callbacks
):
    # What is counted, not how jobs are isolated: the jobs may run without bubblewrap.
    settings.SANDBOX_INSECURE_DEV = True
    scenario, developer, _definition, secret = serviced
    call(secret)
    call(secret)
    call(secret, period="March")  # refused: not counted
    with django_capture_on_commit_callbacks(execute=True):
        real = job_submit(
            by=developer,
            scenario=scenario,
            language="sql",
            code="SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth",
            dry_run=False,
        )
        dry = job_submit(
            by=developer,
            scenario=scenario,
            language="sql",
            code="SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth",
            dry_run=True,
        )
        failed = job_submit(
            by=developer,
            scenario=scenario,
            language="sql",
            code="SELECT no_such_column FROM hy_0001",
            dry_run=False,
        )
    statuses = [Job.objects.get(pk=job.pk).status for job in (real, dry, failed)]
    assert statuses == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED, JobStatus.FAILED]

    page = client.get("/").content.decode()

    assert 'id="fig-service-calls">2<' in page
    assert 'id="fig-jobs-run">1<' in page
