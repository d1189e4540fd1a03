"""The one place that reads the process environment for settings.

Every helper raises ``SettingError`` with a one-line message naming the variable, so a
missing or malformed value stops start-up with a message an operator can act on.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ImproperlyConfigured):
    """A required setting is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is None:
            raise SettingError(f"{name} is required but not set")
        return default
    return value.strip()


def env_bool(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingError(f"{name} must be one of 1/0, true/false, yes/no, on/off (got {value!r})")


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise SettingError(f"{name} must be an integer (got {value!r})") from None
    if number < minimum:
        raise SettingError(f"{name} must be at least {minimum} (got {number})")
    return number


def env_list(name: str, *, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_database(name: str, *, default: str) -> dict:
    url = env_str(name, default)
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise SettingError(f"{name} is not a valid database URL ({exc})") from None
    if not config.get("ENGINE"):
        raise SettingError(f"{name} is not a valid database URL")
    return config


BROKER_SCHEMES = ("redis", "rediss", "redis+socket")


def env_broker_url(name: str, *, default: str) -> str:
    """A Redis broker URL: ``redis://``, ``rediss://`` or ``redis+socket:///path`` (kombu's
    form for a unix socket, as the embedded default uses)."""
    url = env_str(name, default)
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in BROKER_SCHEMES:
        raise SettingError(
            f"{name} must be a redis://, rediss:// or redis+socket:// URL (got scheme {scheme!r})"
        )
    if scheme == "redis+socket" and not rest.startswith("/"):
        raise SettingError(f"{name} must name the socket by its absolute path (redis+socket:///…)")
    return url


def redis_client_url(broker_url: str) -> str:
    """redis-py's URL for the same Redis as a broker URL (the data-service counters
    and cached results use it): ``redis+socket:///path?virtual_host=N`` becomes
    ``unix:///path?db=N``; redis:// and rediss:// stay as they are."""
    scheme, _, rest = broker_url.partition("://")
    if scheme != "redis+socket":
        return broker_url
    path, _, query = rest.partition("?")
    params = dict(part.partition("=")[::2] for part in query.split("&") if part)
    database = params.get("virtual_host", "").strip("/")
    return f"unix://{path}" + (f"?db={database}" if database else "")


def env_secret_key(name: str, *, generate: bool, fallback_file: Path) -> str:
    """The secret key: from the environment, or, when ``generate`` (the demo with DEMO=1,
    development with DEBUG=1), generated once into ``fallback_file``."""
    value = os.environ.get(name, "").strip()
    if value:
        if len(value) < 32:
            raise SettingError(f"{name} must be at least 32 characters long")
        return value
    if not generate:
        raise SettingError(f"{name} is required when DEBUG is off (DEMO=1 generates one)")
    fallback_file.parent.mkdir(parents=True, exist_ok=True)
    if not fallback_file.exists():
        # Write a complete file under a private name, then link it into place: whichever
        # process (web or worker) links first wins, and nobody reads a half-written key.
        partial = fallback_file.with_name(f".{fallback_file.name}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(partial, fallback_file)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return fallback_file.read_text().strip()
