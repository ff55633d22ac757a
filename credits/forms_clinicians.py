"""Forms of the verified-clinician pages (credits/views/clinicians.py); the rules are the service's
(credits/clinicians.py): these forms only read the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models.clinicians import LICENCE_NUMBER_MAX_CHARS, REVOCATION_REASON_MAX_CHARS, licence_state_choices


class VerifyForm(forms.Form):
    licence_state = forms.ChoiceField(label=_("Licence state"), choices=())
    licence_number = forms.CharField(
        label=_("Licence number"),
        max_length=LICENCE_NUMBER_MAX_CHARS,
        help_text=_(
            "As the state board's licence lookup shows it. The public page shows only its last characters."
        ),
    )
    licence_expires_on = forms.DateField(
        label=_("Licence expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The verification ends with the licence: the badge disappears after this day."),
    )
    npi = forms.CharField(
        label=_("NPI"),
        max_length=20,
        help_text=_("The 10-digit National Provider Identifier; its check digit is validated."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    evidence_note = forms.CharField(
        label=_("How you checked the evidence (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        help_text=_("For example: state board lookup and NPPES record checked on the day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["licence_state"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— choose a state —")), *licence_state_choices()]


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=REVOCATION_REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the record; the person's public page says the verification was revoked."),
    )
