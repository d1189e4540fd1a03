import pytest

from core.models import AuditEvent
from tenants.commitment import COMMITMENT_SHA256
from tenants.models import AdmissionStatus, Organization
from tests.factories import PASSWORD, developer, pdf_upload, staff_user, submitted_developer, uscc

pytestmark = pytest.mark.django_db


def signup_data(**overrides) -> dict:
    data = {
        "name": "蓝湾数据科技有限公司",
        "name_en": "Blue Bay Data",
        "credit_code": uscc(),
        "contact_person": "李四",
        "phone": "0592-7654321",
        "email": "info@bluebay.cn",
        "address": "",
        "username": "bluebay",
        "admin_email": "admin@bluebay.cn",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    data.update(overrides)
    return data


def test_sign_up_creates_organization_and_admin_and_logs_in(client):
    response = client.post("/signup/", signup_data())
    assert response.status_code == 302 and response["Location"] == "/organization/"
    organization = Organization.objects.get(name="蓝湾数据科技有限公司")
    assert organization.admission.status == AdmissionStatus.DRAFT
    assert organization.admins_group.user_set.get().username == "bluebay"
    page = client.get("/organization/").content.decode()
    assert "/organization/apply/" in page


def test_sign_up_with_a_wrong_credit_code_shows_the_error_and_keeps_the_input(client):
    response = client.post("/signup/", signup_data(credit_code="91110108551385082R"))
    assert response.status_code == 200
    assert response.context["form"].errors["credit_code"]
    assert "蓝湾数据科技有限公司" in response.content.decode()
    assert not Organization.objects.exists()


def test_sign_up_refuses_mismatched_passwords_and_taken_usernames(client):
    developer("海洋实验室", "lab")
    response = client.post("/signup/", signup_data(password_again="different-pass-1"))
    assert "password_again" in response.context["form"].errors
    response = client.post("/signup/", signup_data(username="lab"))
    assert "username" in response.context["form"].errors


def test_apply_form_submits_with_files_and_commitment(client):
    organization, admin = developer("海洋实验室", "lab")
    client.force_login(admin)
    page = client.get("/organization/apply/").content.decode()
    assert "数据安全承诺书" in page
    response = client.post(
        "/organization/apply/",
        {
            "business_scope": "赤潮预警研究",
            "security_measures": "专人负责",
            "files": [pdf_upload("a.pdf"), pdf_upload("b.pdf")],
            "accept_commitment": "on",
            "commitment_sha256": COMMITMENT_SHA256,
        },
    )
    assert response.status_code == 302
    organization.admission.refresh_from_db()
    assert organization.admission.status == AdmissionStatus.SUBMITTED
    assert organization.admission.files.count() == 2


def test_apply_form_requires_accepting_the_commitment(client):
    organization, admin = developer("海洋实验室", "lab")
    client.force_login(admin)
    response = client.post(
        "/organization/apply/",
        {
            "business_scope": "赤潮预警研究",
            "security_measures": "专人负责",
            "files": [pdf_upload()],
            "commitment_sha256": COMMITMENT_SHA256,
        },
    )
    assert response.status_code == 200
    assert "accept_commitment" in response.context["form"].errors
    organization.admission.refresh_from_db()
    assert organization.admission.status == AdmissionStatus.DRAFT


def test_operator_queue_and_decision_through_the_portal(client):
    organization, _admin = submitted_developer("海洋实验室", "lab")
    client.force_login(staff_user("op"))
    queue = client.get("/admissions/").content.decode()
    assert "海洋实验室" in queue
    detail = client.get(f"/admissions/{organization.admission.pk}/").content.decode()
    assert 'data-action="admit"' in detail and 'data-action="reinstate"' not in detail
    # Every decision sits behind a step that states what it does.
    for action in ("admit", "reject", "return"):
        assert f'data-action="{action}-open"' in detail
        assert f'data-consequence="{action}"' in detail
    assert "cannot resubmit it" in detail
    response = client.post(
        f"/admissions/{organization.admission.pk}/decide/return/", {"reason": "请补充资质"}
    )
    assert response.status_code == 302
    organization.admission.refresh_from_db()
    assert organization.admission.status == AdmissionStatus.RETURNED
    assert AuditEvent.objects.filter(action="admission.return").exists()


def test_portal_decision_without_reason_shows_the_error(client):
    organization, _admin = submitted_developer("海洋实验室", "lab")
    client.force_login(staff_user("op"))
    response = client.post(
        f"/admissions/{organization.admission.pk}/decide/reject/", {"reason": ""}, follow=True
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    organization.admission.refresh_from_db()
    assert organization.admission.status == AdmissionStatus.SUBMITTED


def test_illegal_transition_in_the_portal_is_a_409_page(client):
    organization, _admin = submitted_developer("海洋实验室", "lab")
    client.force_login(staff_user("op"))
    response = client.post(f"/admissions/{organization.admission.pk}/decide/reinstate/")
    assert response.status_code == 409


def test_organization_admin_adds_a_member_who_can_log_in(client):
    organization, admin = developer("海洋实验室", "lab")
    client.force_login(admin)
    response = client.post(
        "/organization/members/",
        {"username": "analyst", "email": "a@lab.cn", "role": "member", "password": PASSWORD},
    )
    assert response.status_code == 302
    page = client.get("/organization/members/").content.decode()
    assert "analyst" in page
    client.logout()
    assert client.post("/login/", {"username": "analyst", "password": PASSWORD}).status_code == 302
    member = organization.memberships.get(user__username="analyst")
    assert member.role == "member"


def test_a_plain_member_cannot_add_members(client):
    organization, admin = developer("海洋实验室", "lab")
    from tenants.services.organizations import member_create

    member = member_create(
        by=admin,
        organization=organization,
        role="member",
        user_fields={"username": "analyst", "email": "a@lab.cn", "password": PASSWORD},
    )
    client.force_login(member)
    page = client.get("/organization/members/").content.decode()
    assert "analyst" in page and 'name="password"' not in page
    response = client.post(
        "/organization/members/",
        {"username": "intruder", "email": "i@lab.cn", "role": "admin", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert not organization.memberships.filter(user__username="intruder").exists()


def test_the_apply_form_marks_required_fields_and_states_its_upload_limits(client, settings):
    settings.QUALIFICATION_MAX_FILES, settings.QUALIFICATION_MAX_BYTES = 4, 3 * 1024 * 1024
    _organization, admin = developer("海洋实验室", "lab")
    client.force_login(admin)
    client.cookies["django_language"] = "en"

    page = client.get("/organization/apply/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    scope = page.split('<div class="field')[1:]
    marked = {part.split('for="')[1].split('"')[0]: part.startswith(" required") for part in scope}
    assert marked["id_business_scope"] is True and marked["id_files"] is False
    assert "at most 4 files of 3.0\xa0MB each" in page


def test_an_organization_is_named_in_the_readers_language(client):
    organization, _admin = submitted_developer("海洋实验室", "lab")
    organization.name_en = "Ocean Lab"
    organization.save(update_fields=["name_en"])
    client.force_login(staff_user("operator1"))
    english = client.get("/admissions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Ocean Lab</a>" in english and "海洋实验室" not in english
    chinese = client.get("/admissions/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">海洋实验室</a>" in chinese and "Ocean Lab" not in chinese
    # Its own pages keep the legal (Chinese) name, with the English one beside it.
    page = client.get(f"/admissions/{organization.admission.pk}/").content.decode()
    assert "海洋实验室" in page and "Ocean Lab" in page
