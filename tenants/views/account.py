from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tenants.services.tokens import (
    password_change_locked,
    password_change_refused,
    password_changed,
)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password also revokes the API token issued with the old one. Wrong
    current passwords are limited as failed logins are: past the limit the session is
    logged out and the password cannot be changed for the lock-out's cool-off time."""

    def post(self, request, *args, **kwargs):
        if password_change_locked(request.user):
            return self._locked_out()
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        wrong = form.has_error("old_password", "password_incorrect")
        if wrong and password_change_refused(by=self.request.user):
            return self._locked_out()
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(by=self.request.user)
        return response

    def _locked_out(self):
        logout(self.request)
        messages.error(
            self.request,
            _(
                "Too many wrong current passwords: you are logged out, and this account's "
                "password cannot be changed for a while."
            ),
        )
        return redirect("login")
