from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from tenants.commitment import COMMITMENT_SHA256
from tenants.models import MemberRole, Organization

User = get_user_model()


class SignUpForm(forms.Form):
    """A new developer organization and its first administrator."""

    name = forms.CharField(label=_("Organization name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        min_length=18,
        help_text=_("18 characters, as on the business licence."),
    )
    contact_person = forms.CharField(label=_("Contact person"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=40)
    email = forms.EmailField(label=_("Organization email"))
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    username = forms.CharField(label=_("Administrator username"), max_length=150)
    admin_email = forms.EmailField(label=_("Administrator email"))
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned

    def organization_fields(self) -> dict:
        keys = [f.name for f in Organization._meta.fields]
        return {k: v for k, v in self.cleaned_data.items() if k in keys}

    def admin_fields(self) -> dict:
        return {
            "username": self.cleaned_data["username"],
            "email": self.cleaned_data["admin_email"],
            "password": self.cleaned_data["password"],
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class AdmissionApplyForm(forms.Form):
    business_scope = forms.CharField(
        label=_("Business scope"), widget=forms.Textarea(attrs={"rows": 4})
    )
    security_measures = forms.CharField(
        label=_("Data-security measures"), widget=forms.Textarea(attrs={"rows": 4})
    )
    files = MultipleFileField(
        label=_("Qualification files"),
        required=False,
    )
    accept_commitment = forms.BooleanField(
        label=_("I have read and accept the data-security commitment above."), required=True
    )
    commitment_sha256 = forms.CharField(widget=forms.HiddenInput, initial=COMMITMENT_SHA256)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "Business licence, certificates: PDF, PNG or JPEG; at most %(n)s files of "
            "%(size)s each."
        ) % {
            "n": settings.QUALIFICATION_MAX_FILES,
            "size": filesizeformat(settings.QUALIFICATION_MAX_BYTES),
        }


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Tell the new member to change it after the first login."),
    )
