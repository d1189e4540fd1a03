"""Each role lands on its work: the home page's sections and the menu's counts."""

import datetime

import pytest
from django.utils import timezone

from operation.models import DataZone
from operation.services import catalogs as catalog_svc
from scenarios.dataservices.definitions import service_propose
from scenarios.dataservices.keys import api_key_create
from scenarios.models import JobStatus
from scenarios.services.jobs import job_submit
from scenarios.services.types import scenario_type_propose, scenario_type_submit
from tenants.roles import PlatformRole
from tenants.services.organizations import member_create, role_grant
from tests.factories import (
    BERTH_SERVICE,
    admitted_developer,
    authorized_scenario,
    provider_org,
    published_vessel_catalog,
    serviced_scenario,
    staff_user,
    submitted_developer,
    vessel_csv,
)

pytestmark = pytest.mark.django_db


def _section(page: str, section: str) -> str:
    start = page.index(f'id="{section}"')
    return page[start : page.index("</section>", start)]


def test_anonymous_visitors_keep_the_public_figures(client):
    page = client.get("/").content.decode()
    assert 'id="fig-published-catalogs"' in page and 'data-trend="jobs_run"' in page
    assert 'id="work-' not in page


def test_operator_staff_see_admissions_drafts_and_the_queue_counted_in_the_menu(client, tmp_path):
    operator = staff_user("op")
    organization, _admin = submitted_developer("数据公司", "applicant")
    catalog_svc.zones_ensure_standard()
    version = catalog_svc.resource_register(
        by=operator,
        provider=provider_org(),
        name="草稿",
        source=vessel_csv(tmp_path / "d.csv", 20),
        source_name="d.csv",
    )
    draft = catalog_svc.catalog_create(
        by=operator, resource_version=version, zone=DataZone.objects.get(key="marine"), name="草稿"
    )
    client.force_login(operator)

    page = client.get("/").content.decode()

    work = _section(page, "work-operator")
    assert 'id="work-admissions">1<' in work and organization.name in work
    assert 'id="work-drafts">1<' in work and f'data-catalog="{draft.code}"' in work
    assert 'id="work-workers">0<' in work and 'id="work-workers-down"' in work
    assert 'href="/admissions/">' in page
    menu = page[page.index('id="main-menu"') : page.index("</nav>")]
    assert menu.count('data-badge="1"') == 2  # admission review, catalogs
    assert 'id="work-reviews"' not in page and 'id="work-developer"' not in page


def test_a_reviewer_sees_reviews_waiting_with_their_age_until_decided(client, tmp_path):
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    _org, proposer = admitted_developer("海洋实验室", "lab", by=operator)
    scenario_type = scenario_type_propose(
        by=proposer,
        scope={"HY-0001": ["berth"]},
        name="泊位研究",
        purpose="港口",
        output_kinds=["aggregate"],
        valid_from=datetime.date.today(),
        valid_until=datetime.date.today() + datetime.timedelta(days=90),
    )
    scenario_type_submit(by=proposer, scenario_type=scenario_type)
    reviewer = staff_user("reviewer1", PlatformRole.REVIEWER)
    client.force_login(reviewer)

    page = client.get("/").content.decode()

    work = _section(page, "work-reviews")
    assert 'id="work-reviews-count">1<' in work
    assert 'data-review="types"' in work and "泊位研究" in work
    assert f'href="/scenario-types/{scenario_type.pk}/"' in work
    assert "0\xa0minutes" in work or "0 minutes" in work or "0\xa0分钟" in work
    menu = page[page.index('id="main-menu"') : page.index("</nav>")]
    types_entry = menu[menu.index('href="/scenario-types/"') :]
    assert types_entry.index('data-badge="1"') < types_entry.index("</a>")

    client.post(
        f"/scenario-types/{scenario_type.pk}/review/", {"decision": "approve", "comment": "可"}
    )
    page = client.get("/").content.decode()
    assert 'id="work-reviews-count">0<' in page and 'data-review="types"' not in page


def test_a_developer_sees_jobs_releases_keys_near_expiry_and_the_balance(
    client, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scenario, developer = authorized_scenario(tmp_path, cpu_hours="7.5")
    job = job_submit(
        by=developer, scenario=scenario, language="sql", code="SELECT 1 AS n", dry_run=False
    )
    key, _secret = api_key_create(
        by=developer,
        scenario=scenario,
        name="即将过期",
        expires_at=timezone.now() + datetime.timedelta(days=3),
    )
    client.force_login(developer)

    page = client.get("/").content.decode()

    work = _section(page, "work-developer")
    assert job.status == JobStatus.QUEUED
    assert f'data-job="{job.pk}"' in work and 'id="work-running-jobs">1<' in work
    assert 'id="work-balance">7.5<' in work
    assert f'data-key="{key.pk}"' in work and key.prefix in work
    assert 'id="work-operator"' not in page and 'id="work-reviews"' not in page


@pytest.mark.parametrize(
    ("language", "words"), [("en", "valid until {day}"), ("zh-hans", "有效期至 {day}")]
)
def test_a_key_near_expiry_is_shown_valid_until_its_last_day(client, tmp_path, language, words):
    scenario, developer = authorized_scenario(tmp_path)
    last_day = timezone.localdate() + datetime.timedelta(days=3)
    client.force_login(developer)
    client.post(f"/scenarios/{scenario.pk}/api-keys/", {"name": "即将过期", "expires_at": last_day})

    work = _section(
        client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode(), "work-developer"
    )

    assert words.format(day=last_day.isoformat()) in work


def test_a_developer_of_a_suspended_organization_is_told_so_on_the_home_page(client, tmp_path):
    from tenants.services.admission import admission_reinstate, admission_suspend

    scenario, developer = authorized_scenario(tmp_path)
    admission = scenario.organization.admission
    client.force_login(developer)
    assert 'id="work-suspended"' not in client.get("/").content.decode()

    admission_suspend(by=staff_user("op"), application=admission, reason="日志缺失")
    work = _section(client.get("/").content.decode(), "work-developer")
    assert 'id="work-suspended"' in work and "admission is suspended" in work
    assert "日志缺失" in work

    admission_reinstate(by=staff_user("op"), application=admission)
    assert 'id="work-suspended"' not in client.get("/").content.decode()


def test_a_provider_sees_its_catalogs_freshness_and_who_uses_them(
    client, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scenario, _developer = authorized_scenario(tmp_path)
    bureau = member_create(
        by=None,
        organization=provider_org(),
        role="member",
        user_fields={"username": "bureau", "email": "b@gov.cn", "password": "bureau-pass-123"},
    )
    client.force_login(bureau)

    page = client.get("/").content.decode()

    work = _section(page, "work-provider")
    assert 'data-catalog="HY-0001"' in work and 'data-users="1"' in work
    assert scenario.organization.name in work
    assert timezone.localdate().isoformat() in work  # loaded today


def test_a_user_with_several_roles_sees_each_section(client):
    person = staff_user("op")
    role_grant(by=None, user=person, role=PlatformRole.REVIEWER)
    client.force_login(person)

    page = client.get("/").content.decode()

    assert 'id="work-operator"' in page and 'id="work-reviews"' in page


def test_a_data_service_amendment_waits_for_a_reviewer(
    client, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scenario, developer, _definition, _secret = serviced_scenario(tmp_path)
    service_propose(
        by=developer,
        scenario_type=scenario.scenario_type,
        **{**BERTH_SERVICE, "name": "泊位到港艘次（第二版）"},
    )
    client.force_login(staff_user("reviewer1", PlatformRole.REVIEWER))

    page = client.get("/").content.decode()

    row = page[page.index('data-review="services"') :]
    assert "泊位到港艘次（第二版）" in row[: row.index("</tr>")]
    menu = page[page.index('id="main-menu"') : page.index("</nav>")]
    services_entry = menu[menu.index('href="/services/"') :]
    assert services_entry.index('data-badge="1"') < services_entry.index("</a>")


def test_a_developer_not_yet_admitted_is_told_what_to_do_on_the_home_page(client):
    """An organization whose admission was returned lands on its home page with the
    reason and a way to resubmit, not on an empty panel of jobs and releases."""
    from tenants.services.admission import admission_return

    organization, admin = submitted_developer("蓝湾数据", "bluebay")
    client.force_login(admin)
    work = _section(
        client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode(), "work-developer"
    )
    assert 'id="work-admission"' in work and "审核中" in work and 'href="/organization/"' in work

    admission_return(by=staff_user("op"), application=organization.admission, reason="执照模糊")
    work = _section(
        client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode(), "work-developer"
    )
    assert "已退回" in work and "执照模糊" in work and "重新提交" in work
