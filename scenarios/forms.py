"""Portal forms for scenario types, scenarios, jobs, releases and data services. They only
parse input: the services decide (scope, parameters, periods, agreement)."""

import datetime
import json

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from scenarios.agreement import AGREEMENT_SHA256
from scenarios.models import (
    CheckStatus,
    FeeBasis,
    JobLanguage,
    OutputKind,
    ReleaseStatus,
    ScenarioStatus,
    ScenarioTypeStatus,
)

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
    name = forms.CharField(
        label=_("Name"),
        required=False,
        help_text=_("By default the code's first line, when it is a comment."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=JobLanguage.choices)
    code = forms.CharField(
        label=pgettext_lazy("program", "Code"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )
    dry_run = forms.BooleanField(label=_("Dry run on synthetic data"), required=False)

    def clean_code(self) -> str:
        """Browsers send a textarea's lines ending in CRLF; the runner reads the code with
        plain newlines, and so must the checks that map ``-- output:`` lines to files."""
        return self.cleaned_data["code"].replace("\r\n", "\n").replace("\r", "\n")


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


# Outputs and their release ------------------------------------------------------------


class MitigateForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Mitigation"),
        choices=[("suppress", _("Suppress failing cells")), ("round", _("Round to a base"))],
    )
    base = forms.IntegerField(label=_("Base"), required=False, initial=5)


class ReleaseItemForm(forms.Form):
    """One output offered on the release request form (prefixed by the output's id): what
    a ticked one needs is said here, all at once, and the service decides again."""

    include = forms.BooleanField(label=_("Ask for its release"), required=False)

    def __init__(self, *args, output, **kwargs):
        super().__init__(*args, **kwargs)
        self.output = output

    context = forms.CharField(
        label=_("What it shows"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Each table or figure: what is counted or measured, over which rows."),
    )
    controls = forms.CharField(
        label=_("How disclosure was avoided"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. every cell counts at least the minimum number of vessels."),
    )
    exception = forms.CharField(
        label=_("Exception request"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for an output that failed its checks: why it should leave anyway."),
    )

    def clean(self):
        """A ticked output needs what it shows and its controls, and an exception request
        when it failed its checks: every missing one is said at once (the service checks
        again)."""
        cleaned = super().clean()
        if cleaned.get("include"):
            if not cleaned.get("context"):
                self.add_error("context", gettext("Say what the output shows."))
            if not cleaned.get("controls"):
                self.add_error("controls", gettext("Say how disclosure was avoided."))
            if self.output.check_status == CheckStatus.FAIL and not cleaned.get("exception"):
                self.add_error(
                    "exception",
                    gettext("Output %(name)s failed its checks: write an exception request.")
                    % {"name": self.output.name},
                )
        return cleaned


def release_item_forms(data, outputs, *, initial: dict) -> list[ReleaseItemForm]:
    """A form per offered output; ``form.output`` is the output it is about."""
    found = []
    for output in outputs:
        form = ReleaseItemForm(
            data, prefix=f"output-{output.pk}", initial=initial.get(output.pk), output=output
        )
        found.append(form)
    return found


def release_items_chosen(item_forms) -> tuple[list[ReleaseItemForm], list[dict]]:
    """The ticked forms and the items the release services take, in the same order."""
    chosen = [form for form in item_forms if form.is_valid() and form.cleaned_data["include"]]
    items = [
        {
            "output": form.output.pk,
            "context": form.cleaned_data["context"],
            "controls": form.cleaned_data["controls"],
            "exception": form.cleaned_data["exception"],
        }
        for form in chosen
    ]
    return chosen, items


class ReleaseReviewForm(forms.Form):
    decision = forms.CharField(required=False)
    comment_private = forms.CharField(
        label=_("Comment to the other reviewers (private)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comment_public = forms.CharField(
        label=_("Comment to the developer (public; required to reject or return)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReleaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    scenario = forms.ModelChoiceField(
        label=_("Scenario"), queryset=None, required=False, empty_label=_("All")
    )
    awaiting = forms.BooleanField(label=_("Awaiting my decision"), required=False)

    def __init__(self, *args, scenarios, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *ReleaseStatus.choices]
        self.fields["scenario"].queryset = scenarios

    def wanted(self) -> dict:
        if self.is_valid():
            return self.cleaned_data
        return {"status": "", "scenario": None, "awaiting": False}


# Data services -------------------------------------------------------------------------


class ServiceForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=60,
        help_text=_("Lower-case letters, digits and hyphens, e.g. <code>berth-traffic</code>."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sql = forms.CharField(
        label=_("SQL template"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "class": "code", "spellcheck": "false"}),
        help_text=_(
            "One aggregate query over one catalog of the type's scope (as "
            "<code>hy_0001</code> for HY-0001): grouping columns and counts or sums, "
            "<code>$parameters</code> in <code>WHERE</code> only, <code>GROUP BY</code> "
            "the grouping columns."
        ),
    )
    parameters = forms.CharField(
        label=_("Parameters (JSON)"),
        required=False,
        strip=False,
        initial="[]",
        widget=forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"}),
        help_text=_(
            "A list of objects, e.g. <code>[{&quot;name&quot;: &quot;period&quot;, "
            "&quot;type&quot;: &quot;date_range&quot;, &quot;max_days&quot;: 62}]</code>. "
            "Types: <code>date</code>, <code>date_range</code> (binds "
            "<code>$period_start</code> and <code>$period_end</code>), "
            "<code>integer</code>, <code>number</code> (<code>min</code>, "
            "<code>max</code>), <code>choice</code> (<code>choices</code>); "
            "<code>&quot;required&quot;: false</code> makes one optional."
        ),
    )
    columns = forms.CharField(
        label=_("Output columns"),
        max_length=2000,
        help_text=_("The query's output column names, in order, comma-separated."),
    )
    unit = forms.CharField(
        label=_("Unit counted"),
        max_length=100,
        required=False,
        help_text=_(
            "The identifier field whose distinct values each cell must count at least the "
            "type's minimum of (e.g. <code>mmsi</code>); empty: rows are counted."
        ),
    )
    cached = forms.BooleanField(label=_("Cache results"), required=False)

    def clean_sql(self) -> str:
        return self.cleaned_data["sql"].replace("\r\n", "\n").replace("\r", "\n")

    def clean_parameters(self):
        text = self.cleaned_data["parameters"].strip() or "[]"
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                gettext(
                    "The parameters are not valid JSON (line %(line)s, column %(column)s: %(msg)s)."
                )
                % {"line": error.lineno, "column": error.colno, "msg": error.msg}
            ) from None

    def clean_columns(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["columns"].split(",") if name.strip()]


class QuotaForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None)
    calls_per_day = forms.IntegerField(
        label=_("Calls per day"),
        required=False,
        min_value=1,
        help_text=_("Empty: the platform's default."),
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Key name"), max_length=100)
    expires_at = forms.DateField(
        label=_("Expires after (optional)"),
        required=False,
        widget=forms.DateInput(**DATE),
        help_text=_("The key stops working at the end of this day."),
    )

    def expiry(self) -> datetime.datetime | None:
        """The end of the chosen local day, or None."""
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(midnight)


class RateForm(forms.Form):
    rate_per_minute = forms.IntegerField(required=False, min_value=1)


class UsageFilterForm(forms.Form):
    """Shown on the dashboard; the period is parsed by ``usage_filter`` itself."""

    def __init__(self, *args, services, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        invalid = {"invalid": gettext("Write a date as YYYY-MM-DD.")}
        self.fields["from"] = forms.DateField(
            label=gettext("From"),
            required=False,
            widget=forms.DateInput(**DATE),
            error_messages=invalid,
        )
        self.fields["to"] = forms.DateField(
            label=gettext("To"),
            required=False,
            widget=forms.DateInput(**DATE),
            error_messages=invalid,
        )
        self.fields["service"] = forms.ChoiceField(
            label=gettext("Service"), required=False, choices=[("", gettext("All")), *services]
        )
        if organizations is not None:
            self.fields["organization"] = forms.ChoiceField(
                label=gettext("Organization"),
                required=False,
                choices=[("", gettext("All")), *((str(o.pk), o.name) for o in organizations)],
            )


class PriceForm(forms.Form):
    fee_basis = forms.ChoiceField(
        label=_("Fee basis"), choices=[c for c in FeeBasis.choices if c[0]]
    )
    price_amount = forms.DecimalField(
        label=_("Price (yuan)"), required=False, max_digits=12, decimal_places=2
    )
    price_unit = forms.CharField(
        label=_("Per"), required=False, max_length=60, help_text=_("For example: per call")
    )
    price_basis = forms.CharField(
        label=_("Pricing basis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The document or decision the guided price rests on."),
    )
