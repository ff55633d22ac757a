"""The token page's form: a name, a scope, and an optional expiry date."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import PersonalAccessToken


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What will use it, e.g. 'Hospital LMS'."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Scope"),
        choices=PersonalAccessToken.Scope.choices,
        initial=PersonalAccessToken.Scope.READ,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": gettext_lazy("Unknown scope %(value)s: choose read or read and write.")
        },
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy(
            "The token stops working at the end of this day. Leave empty to keep it until revoked."
        ),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        return name

    def clean_expires_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        if day is not None and day >= datetime.date.max:  # its end would be past the calendar's (a 500)
            raise forms.ValidationError(
                _("Choose a day before %(day)s, or leave it empty for a token that lasts until revoked.")
                % {"day": datetime.date.max.isoformat()}
            )
        return day

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day in the user's time zone (the start of the next)."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
        )
