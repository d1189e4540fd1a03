import pytest

from tenants.services.admission import admission_admit
from tests.factories import staff_user, submitted_developer

pytestmark = pytest.mark.django_db


def test_a_notification_reads_in_the_reader_language(client, settings):
    """Written in every portal language, a notification shows the reader's only."""
    operator = staff_user("op")
    organization, admin = submitted_developer("海洋实验室", "lab")
    admission_admit(by=operator, application=organization.admission)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get("/notifications/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/notifications/").content.decode()
    assert "准入" in chinese and "Admission granted" not in chinese
    assert "Admission granted" in english and "已准入" not in english
