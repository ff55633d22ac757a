"""The form for a learner's licence or certification: the cycle, the hours, the mandated topics."""

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_LICENCE_MANDATES, MAX_MANDATE_HOURS, Licence

MANDATE_ROWS = range(1, MAX_LICENCE_MANDATES + 1)


class LicenceForm(forms.ModelForm):
    """``topics``: the names a mandated topic may take (credits' state-mandate topics, given by the view)."""

    class Meta:
        model = Licence
        fields = [
            "profession",
            "state",
            "number",
            "cycle_start",
            "cycle_end",
            "required_hours",
            "counts_participation",
        ]
        widgets = {
            "cycle_start": forms.DateInput(attrs={"type": "date"}),
            "cycle_end": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "state": _("The state or board that issued it, e.g. Ohio, or NCCPA."),
            "number": _("Optional; shown on your transcript next to the licence."),
            "cycle_start": _("The first day of the current renewal cycle."),
            "cycle_end": _("The last day of the cycle (your renewal date)."),
            "required_hours": _("Total hours (or credits) your board requires in the cycle; 0 if none."),
            "counts_participation": _(
                "Nursing and other licences only: tick if your board accepts the hours on a "
                "certificate of participation."
            ),
        }

    def __init__(
        self, *args, topics: Sequence[str] = (), mandates: Sequence[tuple[str, Decimal]] = (), **kwargs
    ):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(name, name) for name in topics]
        for n in MANDATE_ROWS:
            self.fields[f"topic_{n}"] = forms.ChoiceField(
                label=_("Mandated topic %(n)s") % {"n": n},
                choices=choices,
                required=False,
                error_messages={
                    "invalid_choice": _(
                        "“%(value)s” is not one of the state-mandate topics this site tags; "
                        "choose one from the list."
                    )
                },
            )
            self.fields[f"hours_{n}"] = forms.DecimalField(
                label=_("Hours for topic %(n)s") % {"n": n},
                required=False,
                min_value=Decimal("0.25"),
                max_value=MAX_MANDATE_HOURS,
                decimal_places=2,
            )
        if not self.is_bound:
            for n, (topic, hours) in zip(MANDATE_ROWS, mandates, strict=False):
                self.initial[f"topic_{n}"] = topic
                self.initial[f"hours_{n}"] = hours

    def mandate_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"topic_{n}"], self[f"hours_{n}"]) for n in MANDATE_ROWS]

    def clean(self):
        data = super().clean() or self.cleaned_data
        mandates: list[tuple[str, Decimal]] = []
        for n in MANDATE_ROWS:
            topic, hours = data.get(f"topic_{n}"), data.get(f"hours_{n}")
            if f"topic_{n}" in self.errors or f"hours_{n}" in self.errors:
                continue
            if topic and hours is None:
                self.add_error(
                    f"hours_{n}", _("How many hours does your board require on “%(t)s”?") % {"t": topic}
                )
            elif hours is not None and not topic:
                self.add_error(f"topic_{n}", _("Choose the topic these hours are for."))
            elif topic and hours is not None:
                if topic in {t for t, _h in mandates}:
                    self.add_error(f"topic_{n}", _("“%(t)s” is listed twice.") % {"t": topic})
                else:
                    mandates.append((topic, hours))
        data["mandates"] = mandates
        return data
