from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from operation.models import (
    Catalog,
    CatalogStatus,
    DataZone,
    OpenType,
    SensitivityLevel,
    SharingType,
    UpdateFrequency,
)
from tenants.models import Organization, OrganizationKind


def _with_any(choices) -> list:
    return [("", _("Any")), *choices]


class CatalogFilterForm(forms.Form):
    search = forms.CharField(label=_("Keywords"), required=False)
    zone = forms.ChoiceField(label=_("Data zone"), required=False)
    provider = forms.ChoiceField(label=_("Data provider"), required=False)
    level = forms.ChoiceField(
        label=_("Sensitivity level"), required=False, choices=_with_any(SensitivityLevel.choices)
    )
    update_frequency = forms.ChoiceField(
        label=_("Update frequency"), required=False, choices=_with_any(UpdateFrequency.choices)
    )
    sharing_type = forms.ChoiceField(
        label=_("Sharing type"), required=False, choices=_with_any(SharingType.choices)
    )
    open_type = forms.ChoiceField(
        label=_("Open type"), required=False, choices=_with_any(OpenType.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_with_any(CatalogStatus.choices)
    )

    def __init__(self, *args, zones, providers, show_status: bool, counts=None, **kwargs):
        """``counts``: per filter, how many catalogs each choice finds (shown beside it)."""
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = _with_any([(z.key, z.display_name) for z in zones])
        self.fields["provider"].choices = _with_any([(str(p.pk), p.name) for p in providers])
        if not show_status:
            del self.fields["status"]
        for name, found in (counts or {}).items():
            if name in self.fields:
                field = self.fields[name]
                field.choices = [
                    (
                        value,
                        gettext("%(label)s (%(count)s)")
                        % {"label": label, "count": found.get(str(value), 0)}
                        if value != ""
                        else label,
                    )
                    for value, label in field.choices
                ]


class ResourceForm(forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Data provider"),
        queryset=Organization.objects.filter(kind=OrganizationKind.PROVIDER),
    )
    name = forms.CharField(label=_("Resource name"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        required=False,
    )
    import_path = forms.CharField(
        label=_("Or a file in the import folder"),
        required=False,
        help_text=_("A path relative to the import folder configured on the server."),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[
            ("", _("Detect")),
            ("csv", "CSV"),
            ("jsonl", _("JSON lines")),
            ("parquet", "Parquet"),
        ],
    )
    types = forms.CharField(
        label=_("Type overrides"),
        required=False,
        help_text=_(
            "Optional, e.g. <code>station_code:string, depth:number</code> "
            "(<code>string</code>, <code>integer</code>, <code>number</code>, "
            "<code>boolean</code>, <code>date</code>, <code>timestamp</code>, "
            "<code>time</code>)."
        ),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=[
            ("auto", _("Detect (UTF-8 or GB18030)")),
            ("utf-8", "UTF-8"),
            ("gb18030", "GB18030"),
            ("gbk", "GBK"),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CSV, JSON lines or Parquet (optionally gzip-compressed), up to %(size)s."
        ) % {"size": filesizeformat(settings.INGEST_MAX_BYTES)}

    def clean_types(self) -> dict[str, str]:
        return parse_type_overrides(self.cleaned_data.get("types", ""))


class VersionForm(ResourceForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["provider"]
        del self.fields["name"]


class CatalogMetadataForm(forms.ModelForm):
    zone = forms.ModelChoiceField(label=_("Data zone"), queryset=DataZone.objects.all())

    class Meta:
        model = Catalog
        fields = [
            "zone",
            "name",
            "name_en",
            "summary",
            "keywords",
            "update_frequency",
            "data_range",
            "sharing_type",
            "open_type",
            "time_coverage_start",
            "time_coverage_end",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "time_coverage_start": forms.DateInput(attrs={"type": "date"}),
            "time_coverage_end": forms.DateInput(attrs={"type": "date"}),
        }


class CatalogCreateForm(CatalogMetadataForm):
    code = forms.CharField(
        label=_("Code"),
        required=False,
        help_text=_("Leave empty for the zone's next code, e.g. HY-0001."),
    )

    class Meta(CatalogMetadataForm.Meta):
        fields = ["code", *CatalogMetadataForm.Meta.fields]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


def parse_type_overrides(text: str) -> dict[str, str]:
    """ "col:type, col:type" -> {col: type}; the service checks the types."""
    overrides = {}
    for part in (text or "").split(","):
        if part.strip():
            column, _sep, kind = part.partition(":")
            if not kind.strip():
                raise forms.ValidationError(_("Write each override as column:type."))
            overrides[column.strip()] = kind.strip()
    return overrides
