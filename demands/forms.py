"""Portal forms for the demand list. They only parse input: the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from demands.models import DemandStatus, Urgency
from operation.models import DataZone, UpdateFrequency
from tenants.models import Organization, OrganizationKind

DATE = {"format": "%Y-%m-%d", "attrs": {"type": "date"}}


class DemandForm(forms.Form):
    title = forms.CharField(
        label=_("Data wanted"),
        max_length=200,
        help_text=_("In a few words, e.g. red-tide buoy observations of Xiamen Bay."),
    )
    fields_wanted = forms.CharField(
        label=_("Fields wanted"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The information items you need, separated by commas."),
    )
    zone = forms.ModelChoiceField(
        label=_("Data zone"), queryset=DataZone.objects.all(), required=False
    )
    area = forms.CharField(label=_("Area"), max_length=200, required=False)
    period = forms.CharField(label=_("Period"), max_length=200, required=False)
    update_frequency = forms.ChoiceField(
        label=_("Update frequency"), choices=UpdateFrequency.choices
    )
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The rule, agreement or duty that the use of the data rests on."),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    scenario = forms.ModelChoiceField(label=_("Scenario served"), queryset=None, required=False)

    def __init__(self, *args, scenarios, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].queryset = scenarios


class DemandFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *DemandStatus.choices], required=False
    )
    zone = forms.ModelChoiceField(
        label=_("Data zone"),
        queryset=DataZone.objects.all(),
        to_field_name="key",
        required=False,
        empty_label=_("All"),
    )


class AssignForm(forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Data provider"),
        queryset=Organization.objects.filter(kind=OrganizationKind.PROVIDER).order_by("name"),
    )
    note = forms.CharField(label=_("Note to the provider"), required=False)


class MatchForm(forms.Form):
    catalog = forms.CharField(label=_("Catalog code"), max_length=20)
    note = forms.CharField(label=_("Note"), required=False)


class BlockForm(forms.Form):
    reason = forms.CharField(
        label=_("What blocks the demand"), widget=forms.Textarea(attrs={"rows": 2})
    )


class MergeForm(forms.Form):
    into = forms.IntegerField(
        label=_("Keep demand number"), min_value=1, help_text=_("e.g. 12 for <code>XQ-00012</code>")
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"),
        choices=[("will", _("We will publish the data")), ("cannot", _("We cannot supply it"))],
        widget=forms.RadioSelect,
    )
    due_date = forms.DateField(
        label=_("To be published by"), required=False, widget=forms.DateInput(**DATE)
    )
    catalog = forms.ModelChoiceField(
        label=_("Catalog being prepared"), queryset=None, required=False
    )
    reason = forms.CharField(
        label=_("Note (why not, when we cannot)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, catalogs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["catalog"].queryset = catalogs
