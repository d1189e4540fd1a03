"""The scenario portal pages: thin over the selectors and services."""

import datetime

import pytest

from scenarios.agreement import AGREEMENT_SHA256
from scenarios.models import (
    Scenario,
    ScenarioStatus,
    ScenarioType,
    ScenarioTypeStatus,
    WorkspaceStatus,
)
from scenarios.services.scenarios import scenario_apply
from tenants.roles import PlatformRole
from tests.factories import admitted_developer, approved_type, published_vessel_catalog, staff_user

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def proposal(**overrides) -> dict:
    data = {
        "name": "港口拥堵",
        "name_en": "Port congestion",
        "purpose": "泊位利用率研究，服务港口调度",
        "public_interest": "on",
        "output_kinds": ["aggregate", "figure"],
        "min_cell_count": "10",
        "dominance_n": "2",
        "dominance_k": "0.9",
        "p_percent": "0.1",
        "min_dof": "10",
        "valid_from": str(TODAY),
        "valid_until": str(TODAY + datetime.timedelta(days=90)),
        "scope-HY-0001": ["mmsi", "vessel_type", "berth"],
    }
    data.update(overrides)
    return data


def application(**overrides) -> dict:
    data = {
        "name": "厦门港拥堵分析",
        "purpose": "泊位利用率",
        "responsible_person": "王五",
        "period_start": str(TODAY),
        "period_end": str(TODAY + datetime.timedelta(days=30)),
        "scope-HY-0001": ["mmsi", "berth"],
        "accept_agreement": "on",
        "agreement_sha256": AGREEMENT_SHA256,
    }
    data.update(overrides)
    return data


@pytest.fixture
def lab(tmp_path):
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    _org, lab = admitted_developer("海洋实验室", "lab", by=operator)
    return lab


def test_a_type_is_proposed_submitted_and_approved_through_the_portal(client, lab):
    client.force_login(lab)
    page = client.get("/scenario-types/").content.decode()
    assert 'id="propose-type"' in page
    form = client.get("/scenario-types/new/").content.decode()
    assert 'name="scope-HY-0001" value="owner_phone" disabled' in form
    assert "L4 highly sensitive" in form

    response = client.post("/scenario-types/new/", proposal())

    scenario_type = ScenarioType.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/scenario-types/{scenario_type.pk}/"
    assert scenario_type.status == ScenarioTypeStatus.DRAFT
    assert scenario_type.output_kinds == ["aggregate", "figure"]
    assert {i.catalog.code: i.columns for i in scenario_type.scope.all()} == {
        "HY-0001": ["mmsi", "vessel_type", "berth"]
    }
    detail = client.get(response["Location"]).content.decode()
    assert 'data-action="submit"' in detail
    assert 'data-column="owner_phone" data-in-scope="no"' in detail
    assert 'data-column="mmsi" data-in-scope="yes"' in detail

    response = client.post(f"/scenario-types/{scenario_type.pk}/submit/")
    assert response.status_code == 302
    scenario_type.refresh_from_db()
    assert scenario_type.status == ScenarioTypeStatus.SUBMITTED

    for name in ("reviewer1", "reviewer2"):
        client.force_login(staff_user(name, PlatformRole.REVIEWER))
        page = client.get(f"/scenario-types/{scenario_type.pk}/").content.decode()
        assert 'data-action="approve"' in page
        response = client.post(
            f"/scenario-types/{scenario_type.pk}/review/", {"decision": "approve"}
        )
        assert response.status_code == 302
    scenario_type.refresh_from_db()
    assert scenario_type.status == ScenarioTypeStatus.APPROVED
    page = client.get(f"/scenario-types/{scenario_type.pk}/").content.decode()
    assert 'data-decision="approve"' in page and "reviewer1" in page
    assert 'data-action="approve"' not in page  # already decided


def test_a_return_without_a_comment_is_refused_with_a_message(client, lab):
    client.force_login(lab)
    client.post("/scenario-types/new/", proposal())
    scenario_type = ScenarioType.objects.get()
    client.post(f"/scenario-types/{scenario_type.pk}/submit/")
    client.force_login(staff_user("reviewer1", PlatformRole.REVIEWER))

    response = client.post(
        f"/scenario-types/{scenario_type.pk}/review/", {"decision": "return"}, follow=True
    )

    assert "Give a reason." in response.content.decode()
    scenario_type.refresh_from_db()
    assert scenario_type.status == ScenarioTypeStatus.SUBMITTED


def test_an_l4_field_cannot_be_put_in_scope(client, lab):
    client.force_login(lab)

    response = client.post(
        "/scenario-types/new/", proposal(**{"scope-HY-0001": ["mmsi", "owner_phone"]})
    )

    assert response.status_code == 200
    assert "HY-0001.owner_phone is L4 or dropped" in response.content.decode()
    assert not ScenarioType.objects.exists()


def _scope_section(page: str) -> str:
    start = page.index('id="scope"')
    return page[start : page.index("</fieldset>", start)]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Name at least one catalog and its fields."),
        ("zh-hans", "请至少指定一个目录及其信息项。"),
    ],
)
def test_a_type_without_any_field_is_refused_at_the_scope_section(client, lab, language, message):
    client.force_login(lab)
    data = proposal()
    del data["scope-HY-0001"]

    response = client.post("/scenario-types/new/", data, HTTP_ACCEPT_LANGUAGE=language)

    page = response.content.decode()
    assert response.status_code == 200
    assert message in _scope_section(page)
    assert page.count(message) == 1
    assert 'href="#scope-errors"' in page[: page.index('id="scope"')]
    assert not ScenarioType.objects.exists()


def test_a_scope_refused_by_the_service_is_said_at_the_scope_section(client, lab):
    client.force_login(lab)

    response = client.post(
        "/scenario-types/new/", proposal(**{"scope-HY-0001": ["mmsi", "owner_phone"]})
    )

    assert "HY-0001.owner_phone is L4 or dropped" in _scope_section(response.content.decode())


def test_a_developer_not_admitted_cannot_propose(client, lab):
    from tests.factories import developer

    _org, newcomer = developer("新公司", "newcomer")
    client.force_login(newcomer)
    assert 'id="propose-type"' not in client.get("/scenario-types/").content.decode()
    assert client.get("/scenario-types/new/").status_code == 404


def test_applying_inside_the_scope_is_authorized_on_filing(
    client, tmp_path, django_capture_on_commit_callbacks
):
    scenario_type, _lab = approved_type(tmp_path)
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    client.force_login(insurer)
    listed = client.get("/scenario-types/?status=approved").content.decode()
    assert f"/scenario-types/{scenario_type.pk}/" in listed
    detail = client.get(f"/scenario-types/{scenario_type.pk}/").content.decode()
    assert 'id="apply-scenario"' in detail
    assert 'data-action="approve"' not in detail and "reviewer1" not in detail
    form = client.get(f"/scenarios/apply/{scenario_type.pk}/").content.decode()
    assert AGREEMENT_SHA256 in form
    assert 'value="owner_phone"' not in form and 'value="tonnage"' not in form

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/scenarios/apply/{scenario_type.pk}/", application())

    scenario = Scenario.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/scenarios/{scenario.pk}/"
    assert scenario.status == ScenarioStatus.AUTHORIZED
    assert scenario.workspaces.get().status == WorkspaceStatus.READY
    page = client.get(response["Location"]).content.decode()
    assert "Authorized on filing" in page
    assert 'data-status="authorized"' in page
    assert 'data-workspace-status="ready"' in page
    assert 'data-table="HY-0001"' in page and "mmsi, berth" in page
    listed = client.get("/scenarios/?status=authorized").content.decode()
    assert f"/scenarios/{scenario.pk}/" in listed
    assert (
        f"/scenarios/{scenario.pk}/"
        not in client.get("/scenarios/?status=revoked").content.decode()
    )


def test_applying_without_the_agreement_creates_nothing(client, tmp_path):
    scenario_type, lab = approved_type(tmp_path)
    client.force_login(lab)
    data = application()
    del data["accept_agreement"]

    response = client.post(f"/scenarios/apply/{scenario_type.pk}/", data)

    assert response.status_code == 200
    assert response.context["form"].errors["accept_agreement"]
    assert not Scenario.objects.exists()


def test_another_organization_cannot_see_the_scenario(client, tmp_path):
    scenario_type, lab = approved_type(tmp_path)
    scenario = scenario_apply(
        by=lab,
        scenario_type=scenario_type,
        name="拥堵",
        purpose="研究",
        responsible_person="王五",
        period_start=TODAY,
        period_end=TODAY + datetime.timedelta(days=30),
        scope={"HY-0001": ["mmsi"]},
        agreement_sha256=AGREEMENT_SHA256,
    )
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    client.force_login(insurer)

    assert client.get(f"/scenarios/{scenario.pk}/").status_code == 404
    assert client.post(f"/scenarios/{scenario.pk}/suspend/", {"reason": "x"}).status_code == 404
    assert f"/scenarios/{scenario.pk}/" not in client.get("/scenarios/").content.decode()


def test_a_developer_cannot_see_the_review_form_nor_review(client, lab):
    client.force_login(lab)
    client.post("/scenario-types/new/", proposal())
    scenario_type = ScenarioType.objects.get()
    client.post(f"/scenario-types/{scenario_type.pk}/submit/")

    page = client.get(f"/scenario-types/{scenario_type.pk}/").content.decode()
    response = client.post(f"/scenario-types/{scenario_type.pk}/review/", {"decision": "approve"})

    assert 'id="review-form"' not in page and 'data-action="approve"' not in page
    assert response.status_code == 403
    scenario_type.refresh_from_db()
    assert scenario_type.status == ScenarioTypeStatus.SUBMITTED


def test_a_draft_type_of_another_organization_is_not_visible(client, lab):
    client.force_login(lab)
    client.post("/scenario-types/new/", proposal())
    scenario_type = ScenarioType.objects.get()
    _org, insurer = admitted_developer("保险公司", "insurer", by=staff_user("op"))
    client.force_login(insurer)

    assert client.get(f"/scenario-types/{scenario_type.pk}/").status_code == 404
    assert client.get(f"/scenarios/apply/{scenario_type.pk}/").status_code == 404


def test_beyond_the_scope_goes_to_review_and_reviewers_approve_it(
    client, tmp_path, django_capture_on_commit_callbacks
):
    scenario_type, lab = approved_type(tmp_path)
    client.force_login(lab)
    # The form offers only the approved scope; a hand-made request may ask for more.
    response = client.post(
        f"/scenarios/apply/{scenario_type.pk}/",
        application(name="扩展", **{"scope-HY-0001": ["mmsi", "tonnage"]}),
    )
    scenario = Scenario.objects.get(name="扩展")
    assert scenario.status == ScenarioStatus.PENDING_REVIEW
    page = client.get(response["Location"]).content.decode()
    assert "sent to review" in page and 'data-beyond-scope="yes"' in page
    assert 'id="review-form"' not in page

    for name in ("reviewer1", "reviewer2"):
        client.force_login(staff_user(name, PlatformRole.REVIEWER))
        assert 'id="review-form"' in client.get(f"/scenarios/{scenario.pk}/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/scenarios/{scenario.pk}/review/", {"decision": "approve"})
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.AUTHORIZED


def test_operator_staff_suspend_and_reinstate_with_a_reason(client, tmp_path):
    scenario_type, lab = approved_type(tmp_path)
    client.force_login(lab)
    client.post(f"/scenarios/apply/{scenario_type.pk}/", application())
    scenario = Scenario.objects.get()
    assert 'data-action="suspend"' not in client.get(f"/scenarios/{scenario.pk}/").content.decode()
    client.force_login(staff_user("op"))
    page = client.get(f"/scenarios/{scenario.pk}/").content.decode()
    assert 'data-action="suspend"' in page and 'data-action="reinstate"' not in page

    response = client.post(f"/scenarios/{scenario.pk}/suspend/", {"reason": ""}, follow=True)
    assert "Give a reason." in response.content.decode()
    client.post(f"/scenarios/{scenario.pk}/suspend/", {"reason": "核查"})
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SUSPENDED and scenario.reason == "核查"
    client.post(f"/scenarios/{scenario.pk}/reinstate/", {"reason": ""})
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.AUTHORIZED


def test_operator_staff_revoke_an_approved_type(client, tmp_path):
    scenario_type, _lab = approved_type(tmp_path)
    client.force_login(staff_user("op"))
    page = client.get(f"/scenario-types/{scenario_type.pk}/").content.decode()
    assert 'data-action="revoke"' in page

    client.post(f"/scenario-types/{scenario_type.pk}/revoke/", {"reason": "到期清理"})

    scenario_type.refresh_from_db()
    assert scenario_type.status == ScenarioTypeStatus.REVOKED


def test_the_organization_admin_closes_a_scenario_in_the_portal(
    client, tmp_path, django_capture_on_commit_callbacks
):
    import datetime

    from scenarios.agreement import AGREEMENT_SHA256
    from scenarios.models import ScenarioStatus
    from scenarios.services.scenarios import scenario_apply
    from tests.factories import approved_type

    scenario_type, lab = approved_type(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        scenario = scenario_apply(
            by=lab,
            scenario_type=scenario_type,
            name="关闭测试",
            purpose="p",
            responsible_person="r",
            period_start=datetime.date.today(),
            period_end=datetime.date.today(),
            scope={"HY-0001": ["mmsi"]},
            agreement_sha256=AGREEMENT_SHA256,
        )
    client.force_login(lab)
    page = client.get(f"/scenarios/{scenario.pk}/").content.decode()
    assert 'data-action="close"' in page
    # The button sits behind a step that states what closing destroys.
    consequence = page[page.index('data-consequence="close"') :]
    assert "workspaces are destroyed" in consequence.split("</p>")[0]
    assert page.index('data-action="close-open"') < page.index('data-action="close"')
    response = client.post(f"/scenarios/{scenario.pk}/close/", {"reason": "结束"})
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.CLOSED


def test_each_review_decision_has_its_own_reason_box(client, lab):
    client.force_login(lab)
    client.post("/scenario-types/new/", proposal())
    scenario_type = ScenarioType.objects.get()
    client.post(f"/scenario-types/{scenario_type.pk}/submit/")
    client.force_login(staff_user("reviewer1", PlatformRole.REVIEWER))

    page = client.get(f"/scenario-types/{scenario_type.pk}/").content.decode()

    forms = page.split('data-decision-form="')[1:]
    assert sorted(form.split('"')[0] for form in forms) == ["approve", "reject", "return"]
    for form in forms:
        box = form.split("<textarea")[1].split(">")[0]
        assert ("required" in box) is (not form.startswith("approve"))


def test_an_application_says_all_its_errors_at_once(client, tmp_path):
    scenario_type, lab = approved_type(tmp_path)
    client.force_login(lab)
    data = application(name="")
    del data["accept_agreement"], data["scope-HY-0001"]

    response = client.post(f"/scenarios/apply/{scenario_type.pk}/", data)

    errors = response.context["form"].errors
    assert set(errors) == {"name", "accept_agreement"}
    assert "Name at least one catalog and its fields." in _scope_section(response.content.decode())
    assert not Scenario.objects.exists()
