"""Forms of institutional access: inviting by email, and the learner's consent when joining or later."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import InstitutionError
from .invitations import parse_addresses


class InviteForm(forms.Form):
    addresses = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        max_length=20000,
        help_text=_("One or many, separated by commas or new lines. Each gets its own link, valid once."),
    )

    def clean_addresses(self) -> list[str]:
        try:
            return parse_addresses(self.cleaned_data["addresses"])
        except InstitutionError as error:
            raise forms.ValidationError(error.message, code=error.code) from None


class ConsentForm(forms.Form):
    shares_completions = forms.BooleanField(
        label=_("Share my completions of this provider's activities with the institution's CME office"),
        required=False,
        help_text=_(
            "They then see which activities you completed, when, and the credits. Off by default; "
            "you can change it at any time from Your institutions."
        ),
    )
