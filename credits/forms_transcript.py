"""Forms of the transcript: its filters, and the learner's self-reported credits (with a file check)."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ExternalCredit, MandateTopic

MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024

# What the file is, read from its first bytes: a name or a browser's content type proves nothing.
_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)


def sniff_certificate(upload) -> str | None:
    """'pdf', 'jpg' or 'png' from the file's content, else None."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


class RecordDateField(forms.DateField):
    """A date a credit record could carry: 1900-01-01 to 2999-12-31.

    Filters turn dates into datetimes with a day's margin and a time zone; at the ends of Python's
    range (0001-01-01, 9999-12-31) that arithmetic overflows, so such dates are refused here with a
    clear message instead of failing in a query.
    """

    MIN = datetime.date(1900, 1, 1)
    MAX = datetime.date(2999, 12, 31)

    def validate(self, value):
        super().validate(value)
        if value and not self.MIN <= value <= self.MAX:
            raise forms.ValidationError(
                _("Enter a date between %(min)s and %(max)s.")
                % {"min": self.MIN.isoformat(), "max": self.MAX.isoformat()},
                code="out_of_range",
            )


class TranscriptFilterForm(forms.Form):
    start = RecordDateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the start date as YYYY-MM-DD.")},
    )
    end = RecordDateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the end date as YYYY-MM-DD.")},
    )
    topic = forms.ModelChoiceField(
        label=_("State-mandate topic"),
        queryset=MandateTopic.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All topics"),
        error_messages={"invalid_choice": _("Choose a topic from the list.")},
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."), code="period")
        return data


class ExternalCreditForm(forms.ModelForm):
    credits = forms.DecimalField(
        label=_("Credits or hours"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("500"),
        error_messages={
            "min_value": _("Credits must be more than 0."),
            "max_value": _("Credits can be at most 500."),
        },
    )
    certificate_file = forms.FileField(
        label=_("Certificate (PDF, JPEG or PNG, up to 10 MB)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    remove_file = forms.BooleanField(label=_("Remove the stored certificate file"), required=False)

    class Meta:
        model = ExternalCredit
        fields = ["title", "provider_name", "completed_on", "credits", "credit_type", "mandate_topics"]
        widgets = {
            "completed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "mandate_topics": forms.CheckboxSelectMultiple,
        }
        error_messages = {"completed_on": {"invalid": _("Enter the completion date as YYYY-MM-DD.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credits"].help_text = _("As printed on the certificate, e.g. 1.5.")
        self.fields["mandate_topics"].required = False

    def clean_completed_on(self):
        day = self.cleaned_data["completed_on"]
        # The learner's own today (TimezoneMiddleware activates their time zone).
        if day > timezone.localdate():
            raise forms.ValidationError(_("The completion date cannot be in the future."), code="future")
        return day

    def clean_certificate_file(self):
        upload = self.cleaned_data.get("certificate_file")
        if not upload:
            return upload
        if upload.size > MAX_CERTIFICATE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."), code="too_big")
        kind = sniff_certificate(upload)
        if kind is None:
            raise forms.ValidationError(
                _("The file is not a PDF, JPEG or PNG (whatever its name says)."), code="file_type"
            )
        upload.certificate_kind = kind
        return upload
