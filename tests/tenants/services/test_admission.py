import pytest

from core.errors import Conflict, InvalidInput, PermissionRefused
from core.models import AuditEvent, Notification
from tenants.commitment import COMMITMENT_SHA256
from tenants.models import AdmissionStatus
from tenants.services import admission as svc
from tests.factories import (
    admitted_developer,
    developer,
    pdf_upload,
    staff_user,
    submitted_developer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return staff_user("op")


def _submit(admin, application, **overrides):
    kwargs = {
        "by": admin,
        "application": application,
        "business_scope": "赤潮预警",
        "security_measures": "专人负责",
        "files": [pdf_upload()],
        "commitment_sha256": COMMITMENT_SHA256,
    }
    kwargs.update(overrides)
    return svc.admission_submit(**kwargs)


def test_submit_records_commitment_hash_time_files_and_audit_event():
    organization, admin = developer("海洋实验室", "lab")
    application = _submit(admin, organization.admission)
    assert application.status == AdmissionStatus.SUBMITTED
    assert application.commitment_sha256 == COMMITMENT_SHA256
    assert application.commitment_accepted_at is not None
    assert application.files.get().kind == "pdf"
    event = AuditEvent.objects.get(action="admission.submit")
    assert event.actor_username == "lab"
    assert event.organization == organization
    assert event.details["commitment_sha256"] == COMMITMENT_SHA256


def test_submit_refuses_a_stale_commitment_hash():
    organization, admin = developer("海洋实验室", "lab")
    with pytest.raises(InvalidInput) as caught:
        _submit(admin, organization.admission, commitment_sha256="0" * 64)
    assert caught.value.field == "commitment"
    organization.admission.refresh_from_db()
    assert organization.admission.status == AdmissionStatus.DRAFT


def test_submit_refuses_without_any_file():
    organization, admin = developer("海洋实验室", "lab")
    with pytest.raises(InvalidInput, match="at least one"):
        _submit(admin, organization.admission, files=[])


def test_submit_by_a_plain_member_is_refused():
    from tenants.models import MemberRole
    from tenants.services.organizations import member_create

    organization, admin = developer("海洋实验室", "lab")
    member = member_create(
        by=admin,
        organization=organization,
        role=MemberRole.MEMBER,
        user_fields={"username": "intern", "email": "i@x.cn", "password": "another-pass-77"},
    )
    with pytest.raises(PermissionRefused):
        _submit(member, organization.admission)


def test_admit_notifies_the_applicant_by_portal_and_email(
    operator, mailoutbox, django_capture_on_commit_callbacks
):
    organization, admin = submitted_developer("海洋实验室", "lab")
    with django_capture_on_commit_callbacks(execute=True):
        svc.admission_admit(by=operator, application=organization.admission)
    organization.admission.refresh_from_db()
    assert organization.admission.status == AdmissionStatus.ADMITTED
    notification = Notification.objects.filter(recipient=admin).first()
    assert "准入" in notification.subject and "Admission granted" in notification.subject
    assert [m.to for m in mailoutbox] == [[admin.email]]
    assert "Admission granted" in mailoutbox[0].subject


@pytest.mark.parametrize("action", ["reject", "return", "suspend", "revoke"])
def test_decisions_that_need_a_reason_refuse_without_one(operator, action):
    organization, _admin = admitted_developer("海洋实验室", "lab", by=operator)
    with pytest.raises(InvalidInput, match="reason"):
        svc.DECISIONS[action](by=operator, application=organization.admission, reason="  ")


def test_full_lifecycle_return_resubmit_admit_suspend_reinstate_revoke(operator):
    organization, admin = submitted_developer("海洋实验室", "lab")
    application = organization.admission
    svc.admission_return(by=operator, application=application, reason="缺少资质证书")
    application.refresh_from_db()
    assert (application.status, application.reason) == (AdmissionStatus.RETURNED, "缺少资质证书")
    _submit(admin, application)
    svc.admission_admit(by=operator, application=application)
    svc.admission_suspend(by=operator, application=application, reason="违规")
    svc.admission_reinstate(by=operator, application=application)
    svc.admission_revoke(by=operator, application=application, reason="严重违规")
    application.refresh_from_db()
    assert application.status == AdmissionStatus.REVOKED
    assert list(
        AuditEvent.objects.filter(action__startswith="admission.")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "admission.submit",
        "admission.return",
        "admission.submit",
        "admission.admit",
        "admission.suspend",
        "admission.reinstate",
        "admission.revoke",
    ]


ILLEGAL = [
    (AdmissionStatus.DRAFT, "admit"),
    (AdmissionStatus.DRAFT, "suspend"),
    (AdmissionStatus.SUBMITTED, "reinstate"),
    (AdmissionStatus.SUBMITTED, "suspend"),
    (AdmissionStatus.ADMITTED, "admit"),
    (AdmissionStatus.ADMITTED, "reject"),
    (AdmissionStatus.ADMITTED, "return"),
    (AdmissionStatus.REJECTED, "admit"),
    (AdmissionStatus.REVOKED, "reinstate"),
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_illegal_transitions_are_refused_with_a_conflict(operator, state, action):
    organization, admin = developer("海洋实验室", "lab")
    application = organization.admission
    if state != AdmissionStatus.DRAFT:
        _submit(admin, application)
    if state == AdmissionStatus.ADMITTED:
        svc.admission_admit(by=operator, application=application)
    if state == AdmissionStatus.REJECTED:
        svc.admission_reject(by=operator, application=application, reason="不符合")
    if state == AdmissionStatus.REVOKED:
        svc.admission_admit(by=operator, application=application)
        svc.admission_revoke(by=operator, application=application, reason="违规")
    events_before = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        svc.DECISIONS[action](by=operator, application=application, reason="理由")
    application.refresh_from_db()
    assert application.status == state
    assert AuditEvent.objects.count() == events_before


def test_resubmitting_an_admitted_application_is_refused(operator):
    organization, admin = admitted_developer("海洋实验室", "lab", by=operator)
    with pytest.raises(Conflict):
        _submit(admin, organization.admission)


def test_developer_cannot_decide_on_its_own_admission():
    organization, admin = submitted_developer("海洋实验室", "lab")
    with pytest.raises(PermissionRefused):
        svc.admission_admit(by=admin, application=organization.admission)


def test_reviewer_and_auditor_cannot_decide_on_admission():
    from tenants.roles import PlatformRole

    organization, _admin = submitted_developer("海洋实验室", "lab")
    for user in (
        staff_user("rev", PlatformRole.REVIEWER),
        staff_user("aud", PlatformRole.AUDITOR),
    ):
        with pytest.raises(PermissionRefused):
            svc.admission_admit(by=user, application=organization.admission)


def test_too_many_files_are_refused_before_any_is_read(settings):
    settings.QUALIFICATION_MAX_FILES = 2
    organization, admin = developer("海洋实验室", "lab")

    class Unreadable:
        name, size = "x.pdf", 10

        def chunks(self):
            raise AssertionError("read before the count was checked")

    with pytest.raises(InvalidInput, match="At most 2"):
        _submit(admin, organization.admission, files=[Unreadable()] * 3)


def test_notification_text_is_not_html_escaped(operator, django_capture_on_commit_callbacks):
    from tenants.services.organizations import developer_sign_up
    from tests.factories import PASSWORD, org_fields

    organization, admin = developer_sign_up(
        organization_fields=org_fields("A&B <海洋> Lab"),
        admin_fields={"username": "ab", "email": "ab@x.cn", "password": PASSWORD},
    )
    _submit(admin, organization.admission)
    body = Notification.objects.filter(recipient=admin).first().body
    assert "A&B <海洋> Lab" in body and "&amp;" not in body


@pytest.mark.parametrize("state", ["submitted", "admitted"])
def test_an_application_not_open_for_submission_is_refused_before_any_file_is_read(operator, state):
    made = submitted_developer if state == "submitted" else admitted_developer
    kwargs = {"by": operator} if state == "admitted" else {}
    organization, admin = made("海洋实验室", "lab", **kwargs)

    class Unreadable:
        name, size = "x.pdf", 10

        def chunks(self):
            raise AssertionError("read before the state was checked")

    with pytest.raises(Conflict, match="Cannot submit this application"):
        _submit(admin, organization.admission, files=[Unreadable()])
