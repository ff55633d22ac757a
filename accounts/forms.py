"""The learner profile form; each field says why we ask for it."""

import calendar
import functools
import importlib.resources
import zoneinfo
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import (
    NAMED_DEGREES,
    TIME_ZONE_CHOICES,
    Degree,
    LearnerProfile,
    degree_needs_equivalence,
)
from .validators import validate_birth_month_day, validate_nabp_eprofile_id

MONTH_CHOICES = [("", "—")] + [(str(i), calendar.month_name[i]) for i in range(1, 13)]
DAY_CHOICES = [("", "—")] + [(str(i), str(i)) for i in range(1, 32)]

WHY = {
    "given_name": _("Printed on your certificates exactly as typed; use your legal name as on your licence."),
    "middle_name": _("Optional; printed on certificates if given."),
    "family_name": _("Printed on certificates and sent to boards when you consent."),
    "suffix": _("Optional (Jr., III)."),
    "degree": _(
        "Decides the credit type: physicians (MD, DO, and international primary medical degrees "
        "such as MBBS, MBChB, MB BCh or BMBS) receive AMA PRA Category 1 Credit™; "
        "nurses, pharmacists and physician assistants also their own credit (ANCC, ACPE, AAPA) where an "
        "activity offers it; other professions a certificate of participation."
    ),
    "degree_other": _(
        "The name of your degree as it should be printed, if you chose Other or another "
        "international medical degree."
    ),
    "specialty": _("Helps the provider plan relevant education; not printed."),
    "country": _("Where you practise; used for reports to accreditors."),
    "state_province": _("Optional: state boards may ask for the state of your licence."),
    "licence_number": _("Optional: some state boards accept it as your identifier."),
    "npi": _("Optional: your 10-digit National Provider Identifier, one way boards identify you."),
    "nabp_eprofile_id": _(
        "Pharmacists: your 6- or 7-digit NABP e-Profile ID. ACPE pharmacy CE is reported to CPE Monitor "
        "with it and your birth month and day (below)."
    ),
    "abim_id": _("Optional: needed if you want MOC points reported to the ABIM."),
    "aba_id": _("Optional: for reporting to the American Board of Anesthesiology."),
    "abp_id": _("Optional: for reporting to the American Board of Pediatrics."),
    "abfm_id": _("Optional: for reporting to the American Board of Family Medicine."),
    "abem_id": _("Optional: for reporting to the American Board of Emergency Medicine."),
    "other_board_name": _("Optional: another certifying board."),
    "other_board_id": _("Optional: your ID at that board."),
    "board_sharing_consent": _(
        "Boards (through ACCME PARS) receive your name, birth month/day, "
        "board ID and completions only if you tick this. You can withdraw."
    ),
    "time_zone": _("Dates and times on the site are shown in this time zone."),
}


class LearnerProfileForm(forms.ModelForm):
    birth_month = forms.TypedChoiceField(
        label=_("Birth month"),
        choices=MONTH_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Optional: boards match MOC reports on month and day of birth (no year)."),
    )
    birth_day = forms.TypedChoiceField(
        label=_("Birth day"),
        choices=DAY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)
    # No length limit of its own: 5 or 8 digits get the validator's message ("6 or 7 digits"), not
    # a generic "at most 7 characters".
    nabp_eprofile_id = forms.CharField(
        label=_("NABP e-Profile ID"), max_length=40, required=False, validators=[validate_nabp_eprofile_id]
    )
    degree_equivalence = forms.BooleanField(
        label=_(
            "I attest that my degree is a primary medical degree equivalent to an MD or DO: "
            "it qualifies me to practise medicine as a physician."
        ),
        required=False,
        help_text=_(
            "Only for international medical degrees (MBBS, MBChB, MB BCh, BMBS and the like): "
            "physicians receive AMA PRA Category 1 Credit™. We record when you attested."
        ),
    )

    class Meta:
        model = LearnerProfile
        fields = [
            "given_name",
            "middle_name",
            "family_name",
            "suffix",
            "degree",
            "degree_other",
            "specialty",
            "country",
            "state_province",
            "licence_number",
            "npi",
            "nabp_eprofile_id",
            "abim_id",
            "aba_id",
            "abp_id",
            "abfm_id",
            "abem_id",
            "other_board_name",
            "other_board_id",
            "birth_month",
            "birth_day",
            "board_sharing_consent",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        tz_field = self.fields["time_zone"]
        if isinstance(tz_field, forms.ChoiceField):
            tz_field.choices = time_zone_choices(user.time_zone if user is not None else None)
        if user is not None:
            tz_field.initial = user.time_zone
        if self.instance.degree_equivalence_attested_at is not None:
            self.fields["degree_equivalence"].initial = True
        for name, text in WHY.items():
            if name in self.fields:
                self.fields[name].help_text = text
        for name in CREDIT_FIELDS:  # marked: a claim needs them (profile_is_complete_for_credit)
            self.fields[name].help_text = f"{CREDIT_NEEDS} {self.fields[name].help_text}"
        degree = self.fields["degree"]
        if not isinstance(degree, forms.ChoiceField):
            raise TypeError("LearnerProfileForm.degree must be a choice field")
        degree.choices = [("", "—")] + list(Degree.choices)
        self.fields["npi"].widget.attrs.update({"inputmode": "numeric", "pattern": "[0-9]{10}"})
        self.fields["nabp_eprofile_id"].widget.attrs.update(
            {"inputmode": "numeric", "pattern": "[0-9]{6,7}", "maxlength": "7"}
        )
        # static/js/profile-degree.js hides the attestation unless one of these degrees is chosen.
        degree.widget.attrs["data-equivalence-degrees"] = "|".join(
            sorted(value for value, _label in Degree.choices if degree_needs_equivalence(value))
        )

    def clean_npi(self):
        return (self.cleaned_data.get("npi") or "").replace(" ", "").replace("-", "")

    def clean_nabp_eprofile_id(self):
        return (self.cleaned_data.get("nabp_eprofile_id") or "").strip()

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        month, day = cleaned.get("birth_month"), cleaned.get("birth_day")
        try:
            validate_birth_month_day(month, day)
        except ValidationError as error:
            self.add_error("birth_day", error)
        degree = cleaned.get("degree") or ""
        if degree == Degree.OTHER and not (cleaned.get("degree_other") or "").strip():
            self.add_error("degree_other", _("Name your credential when you choose Other."))
        if degree == Degree.OTHER_MEDICAL and not (cleaned.get("degree_other") or "").strip():
            self.add_error("degree_other", _("Name your medical degree as it should be printed."))
        if degree not in NAMED_DEGREES:
            cleaned["degree_other"] = ""  # a name typed for Other is not printed after a US degree
        if degree_needs_equivalence(degree) and not cleaned.get("degree_equivalence"):
            self.add_error(
                "degree_equivalence",
                _(
                    "Tick the attestation to receive physician credit with this degree: confirm "
                    "that it is a primary medical degree equivalent to an MD or DO. If it is not, "
                    "choose your profession (or Other) instead."
                ),
            )
        if bool(cleaned.get("other_board_name")) != bool(cleaned.get("other_board_id")):
            self.add_error("other_board_id", _("Give both the board's name and your ID there."))
        return cleaned


# What every claim needs from the profile (accounts.models.profile_is_complete_for_credit): the
# legal name and degree printed on the certificate, the degree's name under Other, and the
# attestation for an international medical degree.
CLAIM_PROFILE_FIELDS = ("given_name", "family_name", "degree", "degree_other", "degree_equivalence")
CREDIT_NEEDS = _("Needed for your certificate.")
CREDIT_FIELDS = ("given_name", "family_name", "degree")


class ClaimProfileForm(LearnerProfileForm):
    """The part of the profile a claim needs, asked on the claim page when it is missing.

    The same fields, rules and messages as the profile page (the degree rules in
    ``LearnerProfileForm.clean``); the name and degree are required here. Bound to an unsaved copy
    of the profile (or a new one): the view saves through ``accounts.services.profile_update`` only
    when the claim form is valid too, so bad input writes nothing.
    """

    REQUIRED = {
        "given_name": _("Enter your given name as it should print on the certificate."),
        "family_name": _("Enter your family name as it should print on the certificate."),
        "degree": _("Choose your degree: it decides the credit on your certificate."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in CLAIM_PROFILE_FIELDS:
                del self.fields[name]
        for name, message in self.REQUIRED.items():
            field = self.fields[name]
            field.required = True
            field.error_messages["required"] = message
        self._degree_as_taps()

    # The degrees most learners hold, as one tap each; the rest (international medical degrees,
    # Other) in a list behind "Another degree".
    COMMON_DEGREES = (Degree.MD, Degree.DO, Degree.PA_C, Degree.NP, Degree.RN, Degree.CRNA, Degree.PHARMD)
    ANOTHER = "another"

    def _degree_as_taps(self) -> None:
        listed = self.fields["degree"]
        self.fields["degree"] = forms.ChoiceField(
            label=listed.label,
            help_text=listed.help_text,
            # Any degree is accepted (a client may send it directly); the common ones are shown.
            choices=[*Degree.choices, (self.ANOTHER, _("Another degree"))],
            widget=forms.RadioSelect(attrs={"class": "degree-choice"}),
            error_messages={"required": self.REQUIRED["degree"]},
        )
        self.fields["degree"].widget.choices = [(str(d.value), str(d.label)) for d in self.COMMON_DEGREES] + [
            (self.ANOTHER, _("Another degree"))
        ]
        others = [(v, lbl) for v, lbl in Degree.choices if v not in {d.value for d in self.COMMON_DEGREES}]
        self.fields["degree_more"] = forms.ChoiceField(
            label=_("Which degree"), required=False, choices=[("", "—"), *others]
        )
        self.fields["degree_more"].widget.attrs["data-equivalence-degrees"] = "|".join(
            sorted(value for value, _label in Degree.choices if degree_needs_equivalence(value))
        )
        current = self.instance.degree if self.instance is not None else ""
        if current and current not in {d.value for d in self.COMMON_DEGREES}:
            self.initial["degree"], self.initial["degree_more"] = self.ANOTHER, current

    def clean(self):
        # "Another degree": the degree is the one chosen in the list.
        if self.cleaned_data.get("degree") == self.ANOTHER:
            chosen = self.cleaned_data.get("degree_more") or ""
            if not chosen:
                self.add_error("degree_more", _("Choose your degree in the list."))
            self.cleaned_data["degree"] = chosen
        return super().clean()

    def profile_data(self) -> dict:
        """The fields for ``profile_update`` (the attestation is its own argument)."""
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k in CLAIM_PROFILE_FIELDS and k != "degree_equivalence"
        }


def words(items: list[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _zone_tab() -> str:
    try:
        return importlib.resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        pass
    try:
        return Path("/usr/share/zoneinfo/zone.tab").read_text(encoding="utf-8")
    except OSError:
        return ""


@functools.cache
def canonical_time_zones() -> frozenset[str]:
    """The ~420 zones of the tz database's zone.tab (one per place people live: no aliases such as
    US/Eastern or Asia/Calcutta, no Etc/ offsets), as far as this machine's zoneinfo knows them."""
    available = zoneinfo.available_timezones()
    zones = {
        parts[2]
        for line in _zone_tab().splitlines()
        if line and not line.startswith("#") and len(parts := line.split("\t")) >= 3
    } & available
    if not zones:  # no zone.tab: every region/city name but the Etc/ offsets
        zones = {z for z in available if "/" in z and not z.startswith(("Etc/", "SystemV/"))}
    return frozenset(zones | {"UTC"})


@functools.cache
def _grouped_time_zones() -> tuple:
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone in sorted(canonical_time_zones() - {"UTC"}):
        region, _sep, place = zone.partition("/")
        groups.setdefault(region, []).append((zone, place.replace("_", " ")))
    return (("UTC", "UTC"),) + tuple(
        (region, sorted(places, key=lambda choice: choice[1])) for region, places in sorted(groups.items())
    )


def time_zone_choices(current: str | None = None) -> list:
    """UTC, then the canonical zones grouped by region (an <optgroup> each, cities by name). A
    learner whose stored zone is an older alias keeps it as a choice until they pick another."""
    choices = list(_grouped_time_zones())
    if current and current not in canonical_time_zones() and current in zoneinfo.available_timezones():
        choices.insert(1, (current, current))
    return choices
