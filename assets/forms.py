from django import forms
from django.utils.translation import gettext_lazy as _

from assets.models import ApplicationAction, AssetStatus, RightKind
from tenants.forms import MultipleFileField

EVIDENCE_HELP = _(
    "Evidence of the right: agreements, authorization letters, product descriptions "
    "(PDF, PNG or JPEG; their content is checked)."
)


class OutputChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.job.scenario.name} · {obj.name} · SHA-256 {obj.sha256[:12]}…"


class ApplicationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of right"), choices=RightKind.choices)
    name = forms.CharField(label=_("Asset name"), max_length=200)
    description = forms.CharField(
        label=_("Description of the asset and the right claimed"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    catalog = forms.ModelChoiceField(
        label=_("Catalog (holding of a data resource)"), queryset=None, required=False
    )
    scenario = forms.ModelChoiceField(
        label=_("Authorized scenario (processing and use, data product)"),
        queryset=None,
        required=False,
    )
    outputs = OutputChoiceField(
        label=_("Released outputs (a data product)"), queryset=None, required=False
    )
    service = forms.ModelChoiceField(
        label=_("Data service (a data product)"), queryset=None, required=False
    )
    files = MultipleFileField(label=_("Evidence files"), required=False, help_text=EVIDENCE_HELP)

    def __init__(self, *args, subjects: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["catalog"].queryset = subjects["catalogs"]
        self.fields["scenario"].queryset = subjects["scenarios"]
        self.fields["outputs"].queryset = subjects["outputs"]
        self.fields["service"].queryset = subjects["services"]


class ApplicationEditForm(forms.Form):
    name = forms.CharField(label=_("Asset name"), max_length=200)
    description = forms.CharField(
        label=_("Description of the asset and the right claimed"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    files = MultipleFileField(
        label=_("More evidence files"), required=False, help_text=EVIDENCE_HELP
    )


class AssetApplicationForm(forms.Form):
    """A change, transfer or cancellation of a registered asset."""

    action = forms.ChoiceField(label=_("Registration"), choices=ApplicationAction.choices[1:])
    name = forms.CharField(label=_("Asset name"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What changes, and why"), widget=forms.Textarea(attrs={"rows": 3})
    )
    transferee = forms.ModelChoiceField(
        label=_("Transferred to (transfer only)"), queryset=None, required=False
    )
    files = MultipleFileField(label=_("Evidence files"), required=False, help_text=EVIDENCE_HELP)

    def __init__(self, *args, transferees, transferable: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transferee"].queryset = transferees
        if not transferable:  # a processing and use right stays with its scenario
            del self.fields["transferee"]
            self.fields["action"].choices = [
                choice
                for choice in ApplicationAction.choices[1:]
                if choice[0] != ApplicationAction.TRANSFER
            ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=())
    comment = forms.CharField(
        label=_("Comment (the reasons, for a return or a rejection)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = choices


class RegistryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind of right"), choices=[("", _("All")), *RightKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *AssetStatus.choices], required=False
    )


class VerifyForm(forms.Form):
    number = forms.CharField(label=_("Certificate number"), max_length=32)
    code = forms.CharField(label=_("Verification code"), max_length=16)
