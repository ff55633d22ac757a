"""Forms for learners (evaluation, claim) and coordinators (activity, people, quiz)."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Profession
from episodes import json_input
from episodes.models import Episode

from . import credit_types
from .designation import credits_for_minutes
from .forms_rows import RowFormSet
from .models import (
    DEFAULT_REQUIREMENTS,
    AccreditationType,
    Activity,
    CreditKind,
    Evaluation,
    Likert,
    MandateTopic,
)
from .statements import format_credits


def _likert_field(name: str) -> forms.TypedChoiceField:
    """A required agree/disagree question as radios with no blank "---------" choice, so nothing is
    chosen for the learner and the browser's own required check refuses a question left out."""
    model_field = Evaluation._meta.get_field(name)
    assert isinstance(model_field, models.Field)  # a column, not a relation
    return forms.TypedChoiceField(
        label=model_field.verbose_name,
        choices=Likert.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an answer to this question.")},
    )


class EvaluationForm(forms.ModelForm):
    objectives_met = _likert_field("objectives_met")
    relevant_to_practice = _likert_field("relevant_to_practice")
    free_of_bias = _likert_field("free_of_bias")
    intends_change = forms.TypedChoiceField(
        # Stored as "intends to change" (Evaluation.intends_change); asked in a few words on a phone.
        label=_("Will this change your practice?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an answer to this question.")},
    )

    class Meta:
        model = Evaluation
        fields = [
            "objectives_met", "relevant_to_practice", "free_of_bias", "intends_change",
            "change_description", "comments",
        ]  # fmt: skip
        labels = {"comments": _("Comments (optional)")}
        help_texts = {"change_description": _("Needed if you answered Yes above.")}
        widgets = {
            "change_description": forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
            "comments": forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
        }

    # The agree/disagree statements, shown as one grid with the scale written once above them.
    LIKERT = ("objectives_met", "relevant_to_practice", "free_of_bias")

    def likert_fields(self) -> list:
        return [self[name] for name in self.LIKERT]

    def other_fields(self) -> list:
        return [self[name] for name in self.fields if name not in self.LIKERT]

    @staticmethod
    def likert_scale() -> list[str]:
        return [str(label) for _value, label in Likert.choices]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("intends_change") and not (cleaned.get("change_description") or "").strip():
            self.add_error("change_description", _("Tell us what you will change."))
        return cleaned

    def _post_clean(self):
        """No model validation here: the service validates the evaluation once (its fields; the
        database's check constraints, which hold each rating to the 1-5 its choices allow, are not
        asked a second time), and the form fields already check choices and lengths. The view passes
        ``cleaned_data`` to credits.services.evaluation_submit; the form never saves."""


@dataclass(frozen=True)
class CreditOffer:
    """A further credit type the learner may claim, as the claim page offers it."""

    kind: str
    label: str
    amount: Decimal  # what they will receive for the minutes on the page
    designated: Decimal  # the version's designation of this type

    @property
    def choice_label(self) -> str:
        return f"{format_credits(self.amount)} {self.label}"


def _audience(kind: str) -> str:
    """Who may claim a credit type, in words ("pharmacists")."""
    names = sorted(f"{str(Profession(p).label).lower()}s" for p in credit_types.KINDS[kind].professions)
    return " / ".join(names)


class _AnyChoiceField(forms.MultipleChoiceField):
    """Boxes for the offered choices that pass any other posted value on (at most 8 characters, the
    length of a credit kind) for the service to judge."""

    def valid_value(self, value) -> bool:
        return isinstance(value, str) and 0 < len(value) <= 8


class ClaimForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes spent"),
        help_text=_(
            "Listening plus the post-test. Rounded to the nearest quarter hour; "
            "at most the designated credits."
        ),
        min_value=1,
        max_value=24 * 60,
        error_messages={
            "min_value": _("Enter the time you spent, in minutes (a positive whole number)."),
            "max_value": _("That is more than a day: enter the time you actually spent."),
            "invalid": _("Enter the time in whole minutes, e.g. 45."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    attest = forms.BooleanField(
        label=_("I claim only the credit commensurate with the extent of my participation in the activity."),
        # The claim page states it beside the button, which sends it: claiming is attesting.
        error_messages={"required": _("Claim with the button below the attestation: it confirms it.")},
    )

    def __init__(self, *args, moc_boards=(), board_ids=None, profile=None, version=None, **kwargs):
        """``moc_boards``: the boards the learner's version is registered with (credits/moc.py); each
        gets an opt-in box and a board id field (prefilled from the profile's ``board_ids``).

        ``profile`` and ``version`` (the learner's profile and version): when the version offers credit
        types besides AMA (credits/credit_types.py), one box per type the learner's profession may
        claim, ticked by default, labelled with the amount they will receive; ``credit_notes`` says
        which types are for other professions and ``credit_profile_missing`` what a pharmacist must
        add to their profile first. The view passes ``credit_kinds()`` to the claim service, which
        refuses a type not offered or not allowed (a tampered form) with a clear message."""
        super().__init__(*args, **kwargs)
        board_ids = board_ids or {}
        self._setup_credit_types(profile, version)
        self.moc_boards = list(moc_boards)
        for board in self.moc_boards:
            self.fields[f"moc_{board}"] = forms.BooleanField(
                label=_("Report my completion to %(board)s for MOC") % {"board": board}, required=False
            )
            self.fields[f"moc_{board}_id"] = forms.CharField(
                label=_("Your %(board)s ID") % {"board": board},
                max_length=20,
                required=False,
                initial=board_ids.get(board, ""),
            )

    def moc_fields(self):
        return [(self[f"moc_{b}"], self[f"moc_{b}_id"]) for b in self.moc_boards]

    def _setup_credit_types(self, profile, version) -> None:
        self.credit_offers: list[CreditOffer] = []
        self.credit_notes: list[str] = []
        self.credit_profile_missing: list[str] = []
        if version is None:
            return
        offers = credit_types.offered(version)
        if not offers:
            return
        minutes = self._minutes_for_amounts(version)
        for offer in offers:
            kind, designated = offer["kind"], Decimal(offer["amount"])
            if credit_types.may_claim(profile, kind):
                # The learner's time, rounded to the quarter hour and capped at this type's
                # designation: the same rule as the AMA credit (designation.credits_for_minutes).
                amount = credits_for_minutes(minutes, designated)[0] if minutes else designated
                self.credit_offers.append(
                    CreditOffer(kind=kind, label=offer["label"], amount=amount, designated=designated)
                )
            elif profile is not None and profile.credential:
                self.credit_notes.append(
                    _("%(type)s are for %(audience)s; your profile says %(degree)s.")
                    % {
                        "type": offer["label"],
                        "audience": _audience(kind),
                        "degree": profile.credential,
                    }
                )
        # Every kind the learner may claim is a box; anything else posted reaches the service,
        # which refuses it with its own message (the field does not drop unknown values).
        self.fields["credit_kinds"] = _AnyChoiceField(
            label=_("Also claim"),
            choices=[(o.kind, o.choice_label) for o in self.credit_offers],
            initial=[o.kind for o in self.credit_offers],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        if profile is not None and any(o.kind == CreditKind.ACPE for o in self.credit_offers):
            if not profile.nabp_eprofile_id:
                self.credit_profile_missing.append(str(_("your NABP e-Profile ID")))
            if not (profile.birth_month and profile.birth_day):
                self.credit_profile_missing.append(str(_("your birth month and day")))

    def _minutes_for_amounts(self, version) -> int | None:
        """The minutes the amounts on the page are computed from: the learner's entry when it is a
        valid number of minutes, else the version's estimate (the field's initial value)."""
        raw = self.data.get("minutes") if self.is_bound else None
        try:
            minutes = int(str(raw).strip()) if raw not in (None, "") else None
        except ValueError:
            minutes = None
        if minutes is None or not 1 <= minutes <= 24 * 60:
            minutes = version.estimated_minutes
        return minutes

    def credit_kinds(self) -> list[str] | None:
        """The further credit types ticked (and anything else posted, for the service to refuse);
        None when the version offers none (the service then awards what the profession may claim)."""
        if "credit_kinds" not in self.fields:
            return None
        return list(self.cleaned_data.get("credit_kinds") or [])

    def moc_optins(self) -> dict[str, str]:
        """{board: board id} for each box ticked (the service checks the rest)."""
        data = self.cleaned_data
        return {b: data.get(f"moc_{b}_id") or "" for b in self.moc_boards if data.get(f"moc_{b}")}


def _episode_choice_label(episode: Episode) -> str:
    """Show — episode, with "(draft)" or "(scheduled)" for what listeners cannot hear yet."""
    label = f"{episode.show.title} — {episode.title}"
    if episode.is_scheduled:
        return _("%(label)s (scheduled)") % {"label": label}
    if not episode.is_public:
        return _("%(label)s (draft)") % {"label": label}
    return label


ACTIVITY_DEFAULTS = {
    "providership": AccreditationType.DIRECT,
    "medium": "Audio podcast",
    "requirements": DEFAULT_REQUIREMENTS,
}


class ActivityForm(forms.ModelForm):
    episode = forms.ModelChoiceField(queryset=Episode.objects.none(), label=_("Episode"))
    mandate_topics = forms.ModelMultipleChoiceField(
        queryset=MandateTopic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("State-mandate topics"),
    )

    class Meta:
        model = Activity
        fields = [
            "episode", "title", "objectives", "target_audience", "designated_credits", "designation_reason",
            "release_date", "last_review_date", "expiry_date", "providership", "joint_provider_name",
            "medium", "references", "requirements", "passing_score", "max_attempts", "reveal_answers",
            "mandate_topics",
        ]  # fmt: skip
        widgets = {
            "release_date": forms.DateInput(attrs={"type": "date"}),
            "last_review_date": forms.DateInput(attrs={"type": "date"}),
            "expiry_date": forms.DateInput(attrs={"type": "date"}),
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "designation_reason": forms.Textarea(attrs={"rows": 2}),
            "references": forms.Textarea(attrs={"rows": 4}),
            "requirements": forms.Textarea(attrs={"rows": 2}),
            "designated_credits": forms.NumberInput(attrs={"step": "0.25", "min": "0.25"}),
        }

    def __init__(self, *args, episodes=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Leave empty to use the episode's title.")
        # Fields with a sensible default may be left out (an older form, a script): the default holds.
        for name in ("providership", "medium", "requirements"):
            self.fields[name].required = False
        if editing:
            del self.fields["episode"]
        else:
            # The view passes only episodes of shows that grant the provider (credits.grants).
            episode = self.fields["episode"]
            if not isinstance(episode, forms.ModelChoiceField):
                raise TypeError("ActivityForm.episode must be a model choice field")
            episode.queryset = episodes if episodes is not None else Episode.objects.none()
            episode.label_from_instance = _episode_choice_label  # type: ignore[assignment]  # a per-instance label hook

    def _default(self, name: str):
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            return self.instance.__dict__.get(name) or ACTIVITY_DEFAULTS[name]
        return value

    def clean_providership(self):
        return self._default("providership")

    def clean_medium(self):
        return self._default("medium")

    def clean_requirements(self):
        return self._default("requirements")

    def clean_designated_credits(self):
        value = self.cleaned_data["designated_credits"]
        if value is not None and (value < 0.25 or (value * 4) % 1 != 0):
            raise ValidationError(_("Designated credits must be a multiple of 0.25, at least 0.25."))
        return value


# The people page's forms (known people, requests, relevance, speakers): credits/forms_disclosures.py.


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    option_1 = forms.CharField(label=_("Option A"), max_length=500)
    option_2 = forms.CharField(label=_("Option B"), max_length=500)
    option_3 = forms.CharField(label=_("Option C"), max_length=500, required=False)
    option_4 = forms.CharField(label=_("Option D"), max_length=500, required=False)
    option_5 = forms.CharField(label=_("Option E"), max_length=500, required=False)
    # No option is preselected: a new question must name its answer, and a blank row stays blank.
    correct = forms.ChoiceField(
        label=_("Correct option"), choices=[("", "—")] + [(str(i), "ABCDE"[i - 1]) for i in range(1, 6)]
    )
    rationale = forms.CharField(
        label=_("Rationale"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    references = forms.CharField(
        label=_("References (one per line: links or DOIs)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        correct = cleaned.get("correct")
        if correct and not (cleaned.get(f"option_{correct}") or "").strip():
            self.add_error("correct", _("The correct option is empty."))
        return cleaned

    def as_quiz_item(self) -> dict:
        data = self.cleaned_data
        options = []
        for i in range(1, 6):
            text = (data.get(f"option_{i}") or "").strip()
            if text:
                options.append({"text": text, "correct": data["correct"] == str(i)})
        return {
            "text": data["text"],
            "rationale": data.get("rationale", ""),
            "references": [r for r in (data.get("references") or "").splitlines() if r.strip()],
            "options": options,
        }


class QuestionRowFormSet(RowFormSet):
    """The post-test editor's questions, saved together (credits/forms_rows.py)."""

    require_one = False  # an empty post-test is quiz_replace's to refuse, with its own message
    default_error_messages = {"too_many_forms": _("A post-test has at most %(num)d questions.")}


QUESTION_ROWS = 2  # blank rows shown under the stored questions
MAX_QUESTIONS = 50
QuestionFormSet = forms.formset_factory(
    QuestionForm,
    formset=QuestionRowFormSet,
    extra=QUESTION_ROWS,
    can_delete=True,
    max_num=MAX_QUESTIONS,
    absolute_max=MAX_QUESTIONS,
    validate_max=True,
)


class QuizImportForm(forms.Form):
    file = forms.FileField(label=_("Quiz JSON file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 512 * 1024:
            raise ValidationError(_("The file is too large for a quiz (over 512 KB)."))
        try:
            return json_input.loads(upload.read())
        except json_input.UntrustedJSONError as error:
            if error.reason == "too_deep":
                message = _("The quiz file is nested too deeply (at most %(max)d levels of [ ] and { }).")
                raise ValidationError(message % {"max": json_input.MAX_DEPTH}) from None
            if error.reason == "bad_characters":
                message = _("The quiz file contains a NUL character or an invalid \\u escape.")
                raise ValidationError(message) from None
            raise ValidationError(_("This is not a JSON file (%(error)s).") % {"error": error}) from None
