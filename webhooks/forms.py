"""The endpoint form: a URL we may POST to, a description, the events chosen (the owner, a provider
or a show, comes from the page's URL, never from the form)."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import EVENT_LABELS, URL_MAX_LENGTH
from .url_ports import url_port_problem


def http_allowed() -> bool:
    return bool(settings.PODCASTCME_WEBHOOKS_ALLOW_HTTP or settings.DEBUG)


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Endpoint URL"),
        max_length=URL_MAX_LENGTH,
        help_text=gettext_lazy(
            "An https address on the public internet (port 443, or 8443); we POST signed JSON to it."
        ),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For you: what receives these events (e.g. “Moodle at the society”)."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one event.")},
    )

    def __init__(self, *args, events: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["events"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(event, EVENT_LABELS[event]) for event in events]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        schemes = ["https", "http"] if http_allowed() else ["https"]
        parts = urlsplit(url)
        if parts.scheme.lower() not in schemes:
            raise forms.ValidationError(_("The URL must start with https://."))
        if "@" in parts.netloc:
            raise forms.ValidationError(
                _("The URL must not contain a user name or password: the signature proves the sender.")
            )
        if parts.fragment:
            raise forms.ValidationError(_("The URL must not contain a # fragment."))
        try:
            URLValidator(schemes=schemes)(url)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("Enter a complete URL, like https://lms.example.org/hooks/cme.")
            ) from None
        problem = url_port_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url
