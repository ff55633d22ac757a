"""Coordinator forms: an activity's fee and the provider's currency and annual pass, typed in major units."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Currency
from .money import AmountError, to_minor_units


class ActivityFeeForm(forms.Form):
    amount = forms.CharField(
        label=_("Fee for claiming credit"),
        help_text=_("In the provider's currency, e.g. 49 or 49.50. 0 makes the claim free."),
        max_length=20,
        error_messages={"required": _("Enter a price; 0 makes the claim free.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_amount(self) -> int:
        try:
            return to_minor_units(self.cleaned_data["amount"], self.currency, allow_zero=True)
        except AmountError as error:
            raise forms.ValidationError(str(error)) from None


class ProviderBillingForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    pass_price = forms.CharField(
        label=_("Annual CME pass price"),
        help_text=_("One payment for 12 months of free claims for all your activities. Empty: no pass."),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        raw = (cleaned.get("pass_price") or "").strip()
        if not raw:
            cleaned["pass_price"] = None
        elif cleaned.get("currency"):
            try:
                cleaned["pass_price"] = to_minor_units(raw, cleaned["currency"], allow_zero=False)
            except AmountError as error:
                self.add_error("pass_price", str(error))
        return cleaned
