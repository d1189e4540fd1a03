from django import forms
from django.utils.translation import gettext_lazy as _


class DraftForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=9999)
