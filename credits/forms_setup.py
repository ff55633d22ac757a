"""Coordinators' set-up forms: an activity's commercial support, and the provider's own settings."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CommercialSupport, Provider


class CommercialSupportForm(forms.ModelForm):
    class Meta:
        model = CommercialSupport
        fields = ["supporter", "kind", "amount", "in_kind_description", "agreement_signed_on"]
        widgets = {
            "kind": forms.RadioSelect,
            "agreement_signed_on": forms.DateInput(attrs={"type": "date"}),
            "amount": forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        amount = self.fields["amount"]
        if isinstance(amount, forms.DecimalField):
            amount.min_value = None  # the message below says it plainly
        self.fields["agreement_signed_on"].required = True
        self.fields["agreement_signed_on"].error_messages["required"] = _(
            "Give the date the written agreement was signed (before the release)."
        )

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("The amount must be greater than 0."))
        return amount

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        kind = cleaned.get("kind")
        if (
            kind == CommercialSupport.Kind.MONETARY
            and cleaned.get("amount") is None
            and "amount" not in self.errors
        ):
            self.add_error("amount", _("Give the amount of monetary support."))
        if kind == CommercialSupport.Kind.IN_KIND and not (cleaned.get("in_kind_description") or "").strip():
            self.add_error("in_kind_description", _("Say what was given in kind."))
        return cleaned

    def _post_clean(self):
        # The service builds and validates the row (with its activity); the form checks fields only.
        pass


class ProviderSettingsForm(forms.ModelForm):
    """What a provider's coordinators set themselves (name and slug are set by the site's operator)."""

    privacy_policy_url = forms.URLField(
        label=_("Privacy policy"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("Your own privacy policy (https://...); empty: the site's privacy page is shown."),
    )

    class Meta:
        model = Provider
        fields = ["name_takes_the", "contact_email", "privacy_policy_url", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        email = self.fields["contact_email"]
        email.required = True
        email.error_messages["required"] = _(
            "Give a contact email: learners see it before they start, and write to it about certificates."
        )
