"""The coordinator's forms for ACCME PARS reporting (credits/pars.py)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import pars


class ParsActivityForm(forms.Form):
    pars_activity_id = forms.CharField(
        label=_("PARS activity ID"),
        required=False,
        max_length=12,
        help_text=_("The number PARS gives the activity once you have registered it there (digits only)."),
    )
    pars_description = forms.CharField(
        label=_("Activity description for PARS"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Empty: the learning objectives are reported."),
    )
    pars_cme_finder = forms.BooleanField(label=_("List the activity in CME Finder"), required=False)
    pars_outcome_measures = forms.MultipleChoiceField(
        label=_("Outcome measures"),
        required=False,
        choices=pars.OUTCOME_MEASURES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At least one is needed to report the activity."),
    )


class ParsYearForm(forms.Form):
    year = forms.IntegerField(label=_("Reporting year"), min_value=2016)

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year > timezone.localdate().year:
            raise forms.ValidationError(_("The reporting year cannot be in the future."))
        return year
