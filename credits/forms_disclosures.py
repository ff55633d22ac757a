"""Forms of the disclosure workflow: the coordinator's people page and the person's public form."""

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms_rows import RowFormSet
from .models import ContentPerson, Nature, ProviderPerson, RelevanceDecision

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# Blank rows of the public form (more on request with ?rows=, no script needed).
RELATIONSHIP_ROWS = 6
MAX_RELATIONSHIP_ROWS = 40


def _yes(value: str) -> bool:
    return value == "yes"


# --- Coordinator ---------------------------------------------------------------------------------------


class AddPersonForm(forms.Form):
    known = forms.ModelChoiceField(
        label=_("Someone your provider knows"),
        queryset=ProviderPerson.objects.none(),
        required=False,
        empty_label=_("— a new person (below) —"),
    )
    name = forms.CharField(label=_("Name (new person)"), max_length=128, required=False)
    credentials = forms.CharField(label=_("Credentials"), max_length=64, required=False)
    email = forms.EmailField(
        label=_("Email"), required=False, help_text=_("The disclosure form is sent here (no account needed).")
    )
    # The initial role is what an untouched select sends, so a blank row of the list stays blank.
    role = forms.ChoiceField(
        label=_("Role"), choices=ContentPerson.Role.choices, initial=ContentPerson.Role.FACULTY
    )
    exception = forms.ChoiceField(
        label=_("If they own or work for an ineligible company: ACCME's exception that applies"),
        choices=[("", _("None"))] + [c for c in ContentPerson.OwnerException.choices if c[0]],
        required=False,
    )
    exception_note = forms.CharField(
        label=_("Why the exception applies"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    send_request = forms.BooleanField(
        label=_("Email them the disclosure form now"), required=False, initial=True
    )

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        known = self.fields["known"]
        assert isinstance(known, forms.ModelChoiceField)
        known.queryset = ProviderPerson.objects.filter(provider=provider).order_by("name")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("known") is None and not (cleaned.get("name") or "").strip():
            raise ValidationError(_("Choose someone your provider knows, or give a new person's name."))
        if cleaned.get("known") is not None and (cleaned.get("name") or "").strip():
            raise ValidationError(_("Choose someone from the list or give a new name, not both."))
        if cleaned.get("exception") and not (cleaned.get("exception_note") or "").strip():
            self.add_error("exception_note", _("Say why the exception applies: it is kept in the record."))
        return cleaned


class PeopleFormSet(RowFormSet):
    """The people page's list of people to add, saved together (credits/forms_rows.py)."""

    empty_message = _("Fill in at least one person.")
    default_error_messages = {
        "too_many_forms": _("At most %(num)d people can be added in one save."),
    }


PEOPLE_ROWS = 3  # blank rows shown
MAX_PEOPLE_ROWS = 20
AddPeopleFormSet = forms.formset_factory(
    AddPersonForm,
    formset=PeopleFormSet,
    extra=PEOPLE_ROWS,
    max_num=MAX_PEOPLE_ROWS,
    absolute_max=MAX_PEOPLE_ROWS,
    validate_max=True,
)


class PersonUpdateForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ContentPerson.Role.choices)
    exception = AddPersonForm.base_fields["exception"]
    exception_note = AddPersonForm.base_fields["exception_note"]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("exception") and not (cleaned.get("exception_note") or "").strip():
            self.add_error("exception_note", _("Say why the exception applies: it is kept in the record."))
        return cleaned


class IdentityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=128)
    credentials = forms.CharField(label=_("Credentials"), max_length=64, required=False)
    email = forms.EmailField(label=_("Email"), required=False)


class SendRequestForm(forms.Form):
    email = forms.EmailField(label=_("Send to"), required=False)


class DecisionForm(forms.Form):
    relevant = forms.ChoiceField(
        label=_("Relevant to this activity's content?"), choices=YES_NO, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    mitigation = forms.ChoiceField(
        label=_("How it was mitigated (when relevant)"),
        choices=[("", "—")]
        + [
            c
            for c in RelevanceDecision.Mitigation.choices
            if c[0] != RelevanceDecision.Mitigation.BEFORE_COLLECTION
        ],
        required=False,
    )
    mitigation_note = forms.CharField(
        label=_("Mitigation details (who reviewed, what changed)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("mitigation") == RelevanceDecision.Mitigation.OTHER and not cleaned.get(
            "mitigation_note"
        ):
            self.add_error("mitigation_note", _("Describe how the relationship was mitigated."))
        return cleaned


class SpeakerForm(forms.Form):
    speaker = forms.CharField(max_length=128, widget=forms.HiddenInput)
    person = forms.ChoiceField(label=_("Is"), required=False)
    reason = forms.CharField(
        label=_("Or: why they are not in control of content"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, forms.ChoiceField)
        person.choices = [("", _("— not in control of content —"))] + [
            (str(p.pk), str(p.person)) for p in people
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("person") and not (cleaned.get("reason") or "").strip():
            raise ValidationError(
                _(
                    "Choose the person in control of content this speaker is, or say why they are not in "
                    "control of content."
                )
            )
        return cleaned


# --- The person's public form (ACCME Standard 3.1) ----------------------------------------------------


class RelationshipForm(forms.Form):
    company = forms.CharField(label=_("Ineligible company"), max_length=200, required=False)
    nature = forms.ChoiceField(
        label=_("Nature of the relationship"), choices=[("", "—"), *Nature.choices], required=False
    )
    started_on = forms.DateField(
        label=_("From (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ended_on = forms.DateField(
        label=_("Until (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ongoing = forms.BooleanField(label=_("Ongoing"), required=False)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        company, nature = (cleaned.get("company") or "").strip(), cleaned.get("nature")
        filled = (
            company
            or nature
            or cleaned.get("started_on")
            or cleaned.get("ended_on")
            or cleaned.get("ongoing")
        )
        if not filled:
            return cleaned
        if not company:
            self.add_error("company", _("Name the company."))
        if not nature:
            self.add_error("nature", _("Choose the nature of the relationship."))
        today = timezone.localdate()
        started, ended = cleaned.get("started_on"), cleaned.get("ended_on")
        if started and started > today:
            self.add_error("started_on", _("This date is in the future."))
        if ended and started and ended < started:
            self.add_error("ended_on", _("The end is before the start."))
        if ended and ended > today:
            self.add_error(
                "ended_on", _("A relationship that has not ended is ongoing: leave the end empty.")
            )
        if ended and cleaned.get("ongoing"):
            self.add_error("ongoing", _("An ongoing relationship has no end date."))
        if ended and ended < today - datetime.timedelta(days=2 * 365):
            self.add_error("ended_on", _("It ended more than 24 months ago: leave it out."))
        cleaned["company"] = company
        return cleaned

    @property
    def is_filled(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return bool(data.get("company") or data.get("nature"))


class BaseRelationshipFormSet(forms.BaseFormSet):
    pass


def declared_relationships(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The filled rows of a valid relationships formset (empty rows are left out)."""
    return [
        {k: f.cleaned_data.get(k) for k in ("company", "nature", "started_on", "ended_on", "ongoing")}
        for f in formset.forms
        if isinstance(f, RelationshipForm) and f.is_filled
    ]


RelationshipFormSet = forms.formset_factory(
    RelationshipForm,
    formset=BaseRelationshipFormSet,
    extra=RELATIONSHIP_ROWS,
    max_num=MAX_RELATIONSHIP_ROWS,
    validate_max=True,
    absolute_max=MAX_RELATIONSHIP_ROWS,
)


class DeclarationForm(forms.Form):
    no_relationships = forms.BooleanField(
        label=_("I have had no financial relationships with ineligible companies in the past 24 months."),
        required=False,
    )
    owner_or_employee = forms.ChoiceField(
        label=_("Do you own, or are you employed by, an ineligible company?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    owner_or_employee_company = forms.CharField(
        label=_("If yes: which company"), max_length=200, required=False
    )
    attests_complete = forms.BooleanField(
        label=_(
            "This lists all my financial relationships with ineligible companies in the past 24 months, "
            "whatever their amount and whether or not I think they are relevant."
        )
    )
    promises_to_report_changes = forms.BooleanField(
        label=_("I will tell the provider of any change before the activity and while it is offered.")
    )
    signed_name = forms.CharField(label=_("Your name (as a signature)"), max_length=128)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        cleaned["owner_or_employee"] = _yes(cleaned.get("owner_or_employee") or "")
        if cleaned["owner_or_employee"] and not (cleaned.get("owner_or_employee_company") or "").strip():
            self.add_error("owner_or_employee_company", _("Name the company you own or work for."))
        return cleaned
