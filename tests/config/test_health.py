import pytest

from config.health import broker_ok
from core.localredis import LocalRedis

pytestmark = pytest.mark.django_db

BROKER_KEYS = ("status", "database", "broker")


def broker_part(response) -> dict:
    body = response.json()
    return {key: body[key] for key in BROKER_KEYS}


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert broker_part(response) == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert broker_part(response) == {
        "status": "unavailable",
        "database": "ok",
        "broker": "unavailable",
    }
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_is_503_when_the_embedded_redis_is_not_running(client, settings, tmp_path):
    socket = tmp_path / "redis" / "redis.sock"
    settings.CELERY_BROKER_URL = f"redis+socket://{socket}"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert broker_part(response)["broker"] == "unavailable"
    assert str(tmp_path) not in response.content.decode()


@pytest.mark.slow
def test_broker_ok_on_a_unix_socket(settings, tmp_path):
    server = LocalRedis(tmp_path / "redis", persistent=False)
    server.start()
    try:
        settings.CELERY_BROKER_URL = server.broker_url
        assert broker_ok() == (True, "ok")
    finally:
        server.stop()
    assert broker_ok()[0] is False
