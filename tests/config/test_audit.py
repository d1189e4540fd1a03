import csv
import io

import pytest
from django.utils import translation

from config.audit import detail_value, details_rows
from core.models import AuditEvent
from tenants.roles import PlatformRole
from tests.factories import staff_user, submitted_developer

pytestmark = pytest.mark.django_db


def test_details_read_as_words_in_the_reader_language():
    details = {"from": "submitted", "to": "admitted", "dry_run": False, "cpu_seconds": 1.5}
    with translation.override("zh-hans"):
        rows = dict(details_rows(details))
    assert rows == {"原状态": "审核中", "新状态": "已准入", "试运行": "否", "CPU 秒": "1.5"}
    assert detail_value("ab" * 32) == "abababababab…"


def test_moments_in_details_read_in_the_portals_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert detail_value("2026-12-06T14:02:41.882773+00:00") == "2026-12-06 22:02:41"
    assert detail_value("2026-12-06T14:02:42.887Z") == "2026-12-06 22:02:42"
    assert detail_value("2026-12-06") == "2026-12-06"  # a day stays a day


def test_the_trail_filters_by_choice_and_shows_words(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    organization, _admin = submitted_developer("海洋实验室", "lab")
    client.force_login(staff_user("aud", PlatformRole.AUDITOR))
    with translation.override("zh-hans"):
        page = client.get("/audit/", {"organization": organization.pk}).content.decode()
    assert '<option value="admission.submit">准入申请已提交</option>' in page
    assert f'<option value="{organization.pk}" selected>海洋实验室</option>' in page
    assert '<option value="tenants.organization">机构</option>' in page
    assert 'data-action="admission.submit"' in page
    assert 'data-action="role.grant"' not in page  # the auditor's own role, no organization
    assert ">admission.submit<" not in page


def test_the_export_has_the_page_filters_and_readers(client):
    organization, _admin = submitted_developer("海洋实验室", "lab")
    client.force_login(_admin)
    assert client.get("/audit/export.csv").status_code == 404
    client.force_login(staff_user("op"))
    response = client.get(
        "/audit/export.csv", {"action": "admission.", "organization": organization.pk}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == ["Sequence", "Time", "Actor", "Organization", "Action", "Action code"]
    event = AuditEvent.objects.get(action="admission.submit")
    assert rows[1:] == [
        [
            str(event.seq),
            rows[1][1],
            "lab",
            "海洋实验室",
            "Admission application submitted",
            "admission.submit",
            "admission application",
            event.target_id,
            rows[1][8],
            event.hash,
        ]
    ]
