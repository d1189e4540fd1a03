import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import PASSWORD, developer

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2():
    _org, admin = developer("海洋实验室", "lab")
    assert get_user_model().objects.get(pk=admin.pk).password.startswith("argon2")


def test_token_login_and_use():
    developer("海洋实验室", "lab")
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "lab", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(action="token.issue", actor_username="lab").exists()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["username"] == "lab"
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/me/").status_code == 401


def test_token_login_with_wrong_password_is_a_clear_400():
    developer("海洋实验室", "lab")
    response = APIClient().post("/api/v1/auth/token/", {"username": "lab", "password": "nope"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert "token" not in response.json()


def test_api_locks_out_after_repeated_failures_even_with_the_right_password(settings):
    developer("海洋实验室", "lab")
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "lab", "password": "wrong"})
    response = client.post("/api/v1/auth/token/", {"username": "lab", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["code"] == "locked_out"


def test_portal_login_locks_out_after_repeated_failures(client, settings):
    developer("海洋实验室", "lab")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/login/", {"username": "lab", "password": "wrong"})
    response = client.post("/login/", {"username": "lab", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_behind_the_proxy_failures_lock_out_the_address_that_made_them_only(settings):
    """The deployment's gunicorn hears every client from its proxy's address: the lock-out
    counts by the client's address as the proxy wrote it last in X-Forwarded-For, so a
    stranger's failures (whatever addresses they write before it) do not lock out the
    account's owner, on the portal nor the API."""
    from django.test import Client

    settings.TRUST_X_FORWARDED_FOR = True
    developer("海洋实验室", "lab")

    def through_proxy(client_address, spoofed=""):
        forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
        return {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}

    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(**through_proxy("203.0.113.9", spoofed=f"10.0.0.{n}")).post(
            "/login/", {"username": "lab", "password": "wrong"}
        )
    stranger = Client(**through_proxy("203.0.113.9", spoofed="10.9.9.9"))
    assert stranger.post("/login/", {"username": "lab", "password": PASSWORD}).status_code == 429
    owner = Client(**through_proxy("198.51.100.7"))
    assert owner.post("/login/", {"username": "lab", "password": PASSWORD}).status_code == 302
    api = APIClient(**through_proxy("198.51.100.7"))
    answer = api.post("/api/v1/auth/token/", {"username": "lab", "password": PASSWORD})
    assert answer.status_code == 200


def test_portal_login_and_logout(client):
    developer("海洋实验室", "lab")
    response = client.post("/login/", {"username": "lab", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
    client.post("/logout/")
    assert "_auth_user_id" not in client.session


def test_session_and_csrf_cookies_are_http_only_and_same_site(settings):
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == settings.CSRF_COOKIE_SAMESITE == "Lax"
    assert settings.X_FRAME_OPTIONS == "DENY"


def test_changing_the_password_revokes_the_api_token(client):
    from rest_framework.authtoken.models import Token

    from core.models import AuditEvent

    _org, admin = developer("海洋实验室", "lab")
    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"username": "lab", "password": PASSWORD}).json()
    client.force_login(admin)
    response = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-pass-42",
            "new_password2": "a-brand-new-pass-42",
        },
    )
    assert response.status_code == 302
    assert not Token.objects.filter(key=token["token"]).exists()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    assert api.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", actor_username="lab").exists()
    assert AuditEvent.objects.filter(action="account.password_change").exists()


def test_an_api_token_expires_and_a_new_one_is_issued(settings):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    settings.API_TOKEN_DAYS = 30
    developer("海洋实验室", "lab")
    client = APIClient()
    first = client.post("/api/v1/auth/token/", {"username": "lab", "password": PASSWORD}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert client.get("/api/v1/me/").status_code == 200
    Token.objects.filter(key=first["token"]).update(created=timezone.now() - timedelta(days=30))
    expired = client.get("/api/v1/me/")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    client.credentials()
    second = client.post("/api/v1/auth/token/", {"username": "lab", "password": PASSWORD}).json()
    assert second["token"] != first["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {second['token']}")
    assert client.get("/api/v1/me/").status_code == 200
    assert not Token.objects.filter(key=first["token"]).exists()


def test_a_token_is_revoked_on_request_by_itself_only():
    from rest_framework.authtoken.models import Token

    from core.models import AuditEvent

    developer("海洋实验室", "lab")
    developer("蓝湾数据", "bluebay")
    tokens = {
        name: APIClient()
        .post("/api/v1/auth/token/", {"username": name, "password": PASSWORD})
        .json()["token"]
        for name in ("lab", "bluebay")
    }
    api = APIClient()
    assert api.post("/api/v1/auth/token/revoke/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {tokens['lab']}")

    assert api.post("/api/v1/auth/token/revoke/").status_code == 204

    assert api.get("/api/v1/me/").status_code == 401
    assert api.post("/api/v1/auth/token/revoke/").status_code == 401
    assert not Token.objects.filter(user__username="lab").exists()
    event = AuditEvent.objects.get(action="token.revoke")
    assert event.actor_username == "lab" and event.organization.name == "海洋实验室"
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {tokens['bluebay']}")
    assert other.get("/api/v1/me/").json()["username"] == "bluebay"
    # The next login issues a new token.
    again = APIClient().post("/api/v1/auth/token/", {"username": "lab", "password": PASSWORD})
    assert again.json()["token"] != tokens["lab"]


def test_a_portal_session_does_not_revoke_the_api_token(client):
    from rest_framework.authtoken.models import Token

    _org, admin = developer("海洋实验室", "lab")
    APIClient().post("/api/v1/auth/token/", {"username": "lab", "password": PASSWORD})
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(admin)
    assert api.post("/api/v1/auth/token/revoke/").status_code == 401
    assert Token.objects.filter(user=admin).exists()
