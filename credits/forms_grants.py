"""Forms for show grants: a host invites a provider, a coordinator asks a show for access."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .grants import MESSAGE_MAX_CHARS
from .models import Provider


def _message_field() -> forms.CharField:
    return forms.CharField(
        label=_("Message (optional)"),
        required=False,
        max_length=MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MESSAGE_MAX_CHARS}),
    )


class GrantInviteForm(forms.Form):
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(),
        to_field_name="slug",
        label=_("Provider"),
        empty_label=_("Choose an accredited provider"),
    )
    message = _message_field()

    def __init__(self, *args, providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        provider = self.fields["provider"]
        if not isinstance(provider, forms.ModelChoiceField):
            raise TypeError("GrantInviteForm.provider must be a model choice field")
        provider.queryset = providers if providers is not None else Provider.objects.none()


class GrantRequestForm(forms.Form):
    show = forms.CharField(
        label=_("Show address"),
        max_length=200,
        help_text=_(
            "The last part of the show's page address, e.g. airway-rounds for /shows/airway-rounds/."
        ),
        widget=forms.TextInput(attrs={"list": "requestable-shows", "autocomplete": "off"}),
    )
    message = _message_field()
