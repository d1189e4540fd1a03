from django.contrib.auth import views as auth_views

from tenants.services.tokens import password_changed


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password also revokes the API token issued with the old one."""

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(by=self.request.user)
        return response
