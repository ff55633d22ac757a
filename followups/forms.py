"""Forms of spaced follow-up: the coordinator's plan and own question, the learner's answers."""

import random
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Barrier, FollowUp, PracticeChange
from .services import MAX_BARRIER_OTHER_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS, MAX_RATIONALE_CHARS


class PlanForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send follow-ups to learners who opted in"), required=False)
    intervals = forms.CharField(
        label=_("Knowledge checks, days after the claim"),
        max_length=60,
        help_text=_("Comma-separated, 1-365, at most five; for example 7, 30, 90."),
    )
    practice_change_days = forms.IntegerField(
        label=_("Practice-change question, days after the claim"),
        min_value=60,
        max_value=90,
        help_text=_("Between 60 and 90. Asked only of learners who stated an intent to change."),
    )
    reused = forms.MultipleChoiceField(
        label=_("Post-test questions to ask again"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their answers at the claim are the baseline of the outcomes report."),
    )

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        reused = self.fields["reused"]
        assert isinstance(reused, forms.MultipleChoiceField)
        reused.choices = [(str(q.pk), q.text) for q in questions]

    def interval_list(self) -> list[str]:
        return [part for part in self.cleaned_data["intervals"].replace(";", ",").split(",") if part.strip()]


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Question"), max_length=MAX_QUESTION_CHARS, widget=forms.Textarea(attrs={"rows": 2})
    )
    rationale = forms.CharField(
        label=_("Rationale (shown after answering)"),
        max_length=MAX_RATIONALE_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    correct = forms.TypedChoiceField(
        label=_("Correct option"),
        coerce=int,
        choices=[(n, _("Option %(n)d") % {"n": n}) for n in range(1, MAX_OPTIONS + 1)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_OPTIONS + 1):
            self.fields[f"option_{n}"] = forms.CharField(
                label=_("Option %(n)d") % {"n": n}, max_length=500, required=n <= 2
            )

    def options(self) -> list[str]:
        return [self.cleaned_data.get(f"option_{n}", "") for n in range(1, MAX_OPTIONS + 1)]


class KnowledgeAnswerForm(forms.Form):
    """One radio group per question as sent; options in an order of their own for this follow-up."""

    def __init__(self, *args, follow_up: FollowUp, **kwargs):
        super().__init__(*args, **kwargs)
        shuffle = random.Random(follow_up.nonce)
        self.asked = follow_up.questions
        for n, question in enumerate(follow_up.questions, start=1):
            options = list(question["options"])
            shuffle.shuffle(options)
            self.fields[f"q{question['id']}"] = forms.TypedChoiceField(
                label=f"{n}. {question['text']}",
                coerce=int,
                choices=[(str(o["id"]), o["text"]) for o in options],
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Answer this question."),
                    "invalid_choice": _("Choose one of the options shown."),
                },
            )

    def answers(self) -> dict[int, int]:
        return {int(q["id"]): self.cleaned_data[f"q{q['id']}"] for q in self.asked}


class PracticeAnswerForm(forms.Form):
    changed = forms.ChoiceField(
        label=_("Did you make the change?"),
        choices=PracticeChange.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you made the change.")},
    )
    barriers = forms.MultipleChoiceField(
        label=_("What got in the way? (any that apply)"),
        choices=Barrier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    barrier_other = forms.CharField(
        label=_("Anything else (optional)"),
        max_length=MAX_BARRIER_OTHER_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def answer(self) -> dict[str, Any]:
        return {
            "changed": self.cleaned_data["changed"],
            "barriers": list(self.cleaned_data["barriers"]),
            "barrier_other": self.cleaned_data["barrier_other"],
        }
