"""Portal forms for scenario types and scenarios. They only parse input: the services
decide (scope, parameters, periods, agreement)."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scenarios.agreement import AGREEMENT_SHA256
from scenarios.models import JobLanguage, OutputKind, ScenarioStatus, ScenarioTypeStatus

DATE = {"format": "%Y-%m-%d", "attrs": {"type": "date"}}
SCOPE_PREFIX = "scope-"


def posted_scope(data, codes) -> dict[str, list[str]]:
    """``scope-<CODE>`` checkboxes (many values each) -> ``{code: [columns]}``; only the
    catalogs offered on the page, and only those with a field ticked."""
    scope = {}
    for code in codes:
        columns = [c for c in data.getlist(SCOPE_PREFIX + code) if c]
        if columns:
            scope[code] = columns
    return scope


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *choices]

    def wanted(self) -> str:
        if self.is_valid():
            return self.cleaned_data["status"]
        return ""


def type_filter_form(data) -> StatusFilterForm:
    return StatusFilterForm(data, choices=ScenarioTypeStatus.choices)


def scenario_filter_form(data) -> StatusFilterForm:
    return StatusFilterForm(data, choices=ScenarioStatus.choices)


class ScenarioTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    purpose = forms.CharField(
        label=_("Purpose and beneficiaries"), widget=forms.Textarea(attrs={"rows": 4})
    )
    public_interest = forms.BooleanField(
        label=_("Serves the public interest"), required=False, initial=True
    )
    output_kinds = forms.MultipleChoiceField(
        label=_("Output kinds allowed"),
        choices=OutputKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    min_cell_count = forms.IntegerField(label=_("Minimum cell count"), min_value=1)
    dominance_n = forms.IntegerField(label=_("Dominance: n largest contributors"), min_value=1)
    dominance_k = forms.FloatField(
        label=_("Dominance: k (share of the cell total)"), min_value=0, max_value=1
    )
    p_percent = forms.FloatField(label=_("p-percent rule: p"), min_value=0, max_value=1)
    min_dof = forms.IntegerField(
        label=_("Minimum residual degrees of freedom (models)"), min_value=1
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(**DATE))
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(**DATE))

    PARAMETERS = ("min_cell_count", "dominance_n", "dominance_k", "p_percent", "min_dof")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        for name in self.PARAMETERS:  # the platform's defaults: a type may only be stricter
            self.fields[name].initial = settings.DISCLOSURE_DEFAULTS[name]
        self.fields["valid_from"].initial = today
        self.fields["valid_until"].initial = today + datetime.timedelta(days=365)

    def parameter_fields(self):
        return [self[name] for name in self.PARAMETERS]


class ScenarioApplyForm(forms.Form):
    name = forms.CharField(label=_("Scenario name"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 4}))
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100)
    period_start = forms.DateField(label=_("Period from"), widget=forms.DateInput(**DATE))
    period_end = forms.DateField(label=_("Period to"), widget=forms.DateInput(**DATE))
    accept_agreement = forms.BooleanField(
        label=_("I have read and accept the scenario agreement above."), required=True
    )
    agreement_sha256 = forms.CharField(widget=forms.HiddenInput, initial=AGREEMENT_SHA256)

    def __init__(self, *args, scenario_type, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period_start"].initial = timezone.localdate()
        self.fields["period_end"].initial = scenario_type.valid_until

    def service_fields(self) -> dict:
        keys = ("name", "purpose", "responsible_person", "period_start", "period_end")
        values = {key: self.cleaned_data[key] for key in keys}
        values["agreement_sha256"] = self.cleaned_data["agreement_sha256"]
        return values


class ReviewForm(forms.Form):
    decision = forms.CharField()
    comment = forms.CharField(required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False)


class JobForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=JobLanguage.choices)
    code = forms.CharField(
        label=pgettext_lazy("program", "Code"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )
    dry_run = forms.BooleanField(label=_("Dry run on synthetic data"), required=False)


class VoucherForm(forms.Form):
    cpu_hours = forms.DecimalField(
        label=_("CPU-hours"), max_digits=10, decimal_places=3, min_value=0
    )
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(**DATE)
    )
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(**DATE))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["valid_from"].initial = today
        self.fields["valid_until"].initial = today + datetime.timedelta(days=90)
