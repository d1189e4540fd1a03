"""API tokens that expire: a token older than API_TOKEN_DAYS no longer authenticates. And the
address of the client whose failed logins the lock-out counts."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def client_ip(request) -> str | None:
    """The client's address (settings.AXES_CLIENT_IP_CALLABLE). Behind the proxy
    (TRUST_X_FORWARDED_FOR) every request comes from the proxy's address: the client's is
    the last one of X-Forwarded-For, the one the proxy added (what comes before it is the
    client's to write)."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")


def token_expired(token) -> bool:
    return token.created <= timezone.now() - timedelta(days=settings.API_TOKEN_DAYS)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise AuthenticationFailed(
                _("This API token has expired; ask for a new one at /api/v1/auth/token/.")
            )
        return user, token
