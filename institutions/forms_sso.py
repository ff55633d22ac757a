"""The form an institution's admin fills in to set up single sign-on (institutions/views_sso.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SSOSettingsForm(forms.Form):
    issuer = forms.URLField(
        label=_("Issuer URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Exactly as your identity provider states it, e.g. https://login.mercy.example.org/realms/staff"
        ),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=191)
    # Never shown back: empty keeps the stored secret.
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=191,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_secret"].help_text = (
            _("A secret is stored. Leave empty to keep it; type a new one to replace it.")
            if has_secret
            else _("Given by your identity provider when you registered podcastcme.")
        )
        self.fields["client_secret"].required = not has_secret


class SSOFindForm(forms.Form):
    q = forms.CharField(label=_("Your institution or work email"), max_length=254, required=False)
