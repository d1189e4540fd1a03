"""Changing one's password: wrong current passwords are limited as logins are, so that a
borrowed session cannot guess the password without end."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from core.models import AuditEvent
from tests.factories import PASSWORD, developer

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-pass-42"


def _change(client, old, new=NEW):
    return client.post(
        "/password/", {"old_password": old, "new_password1": new, "new_password2": new}
    )


def _password_is(username, password) -> bool:
    return get_user_model().objects.get(username=username).check_password(password)


def test_wrong_current_passwords_lock_the_password_change_and_log_the_user_out(settings):
    settings.AXES_FAILURE_LIMIT = 3
    _org, admin = developer("海洋实验室", "lab")
    borrowed = Client()
    borrowed.force_login(admin)
    for _ in range(2):
        refused = _change(borrowed, "wrong-guess-1")
        assert refused.status_code == 200 and "old_password" in refused.context["form"].errors
    locked = _change(borrowed, "wrong-guess-3")
    assert locked.status_code == 302 and locked["Location"].startswith("/login/")
    assert "_auth_user_id" not in borrowed.session
    page = borrowed.get(locked["Location"]).content.decode()
    assert "Too many wrong current passwords" in page

    # Locked for a while: even the right current password no longer changes it.
    borrowed.force_login(admin)
    again = _change(borrowed, PASSWORD)
    assert again.status_code == 302 and "_auth_user_id" not in borrowed.session
    assert _password_is("lab", PASSWORD)
    refused = AuditEvent.objects.filter(action="account.password_change_refused")
    assert refused.count() == 3 and refused.latest("seq").details["locked"] is True
    assert not AuditEvent.objects.filter(action="account.password_change").exists()


def test_the_lock_message_is_in_chinese_too(settings):
    settings.AXES_FAILURE_LIMIT = 1
    _org, admin = developer("海洋实验室", "lab")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    with translation.override("zh-hans"):
        locked = _change(client, "wrong-guess-1")
        page = client.get(locked["Location"]).content.decode()
    assert "当前密码错误次数过多" in page


def test_a_successful_change_and_the_cool_off_clear_the_count(settings):
    from datetime import timedelta

    settings.AXES_FAILURE_LIMIT = 2
    _org, admin = developer("海洋实验室", "lab")
    client = Client()
    client.force_login(admin)
    assert _change(client, "wrong-guess-1").status_code == 200
    assert _change(client, PASSWORD).status_code == 302
    assert _password_is("lab", NEW)
    assert _change(client, "wrong-guess-2").status_code == 200  # the count started again
    assert "_auth_user_id" in client.session

    settings.AXES_COOLOFF_TIME = timedelta(0)
    assert _change(client, "wrong-guess-3").status_code == 200  # the earlier one expired
    assert _change(client, NEW, "another-new-pass-43").status_code == 302
    assert _password_is("lab", "another-new-pass-43")
