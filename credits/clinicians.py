"""Verified clinicians (issue 17, docs/verified-clinicians.md): writes, reads and the one matching rule.

A provider's coordinator verifies one of the provider's known people (``ProviderPerson``) as a
licensed clinician from the evidence entered: the licence's state, number and expiry date, and the
person's NPI, whose check digit is validated (``npi_is_valid``). Verifying and revoking each write an
audit row and rebuild the feeds of the shows concerned (their ``podcast:person`` links change).

The badge and the feed's link come from ``verified_speakers``: a speaker of an episode
(``EpisodePerson``) is a verified person when

1. the episode's CME activity recorded a match of that speaker to a person in control of content
   (``SpeakerMatch``, still on the activity): that person, verified or not (no name guessing then);
2. otherwise, a known person of a provider holding an active grant on the show has the same name
   (case aside; names are stored with their spaces collapsed) and a valid verification (the most
   recently verified, if several).

Expiry needs no write: a verification counts until ``valid_until``. A feed built before the expiry
keeps the link until the show's next change; the link leads to the person's page, which says that
the verification expired.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import is_coordinator_of
from audit.services import audit_record
from episodes.models import Episode, Show
from episodes.person_links import PersonLinks, people_links_changed

from .audit_actions import CreditAction
from .models import ClinicianVerification, GrantStatus, ProviderPerson, SpeakerMatch
from .models.clinicians import LICENCE_NUMBER_MAX_CHARS, NPI_LENGTH, REVOCATION_REASON_MAX_CHARS
from .provider_time import provider_zone
from .us_states import STATES

# The NPI's check digit is the Luhn check digit of the NPI's first 9 digits behind the prefix 80840
# (the ISO 7812 card issuer prefix of US health applications): CMS, "Requirements for Constructing
# the National Provider Identifier (NPI) Check Digit".
NPI_PREFIX = "80840"
EVIDENCE_NOTE_MAX_CHARS = 1000
LICENCE_MAX_YEARS_AHEAD = 10
LICENCE_NUMBER_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./ ")


# --- The NPI ---------------------------------------------------------------------------------------


def luhn_check_digit(payload: str) -> int:
    """The Luhn check digit to append to ``payload`` (digits only)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # the rightmost payload digit and every second one leftwards are doubled
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def npi_check_digit(first_nine: str) -> int:
    """The check digit of an NPI whose first 9 digits are ``first_nine``."""
    return luhn_check_digit(NPI_PREFIX + first_nine)


def npi_problem(npi: str) -> str | None:
    """Why ``npi`` is not a valid NPI, for the person who typed it; None when it is valid."""
    if not npi:
        return _("Enter the person's NPI (10 digits).")
    if not npi.isascii() or not npi.isdigit():
        return _("An NPI has only digits (0-9); “%(npi)s” has other characters.") % {"npi": npi[:20]}
    if len(npi) != NPI_LENGTH:
        return _("An NPI has 10 digits; “%(npi)s” has %(n)d.") % {"npi": npi[:20], "n": len(npi)}
    if npi[0] not in "12":
        return _("An NPI starts with 1 or 2; check “%(npi)s” in the NPPES registry.") % {"npi": npi}
    if int(npi[-1]) != npi_check_digit(npi[:9]):
        return _(
            "“%(npi)s” is not a valid NPI: its check digit does not match (a digit is mistyped or two "
            "are swapped). Check it in the NPPES registry."
        ) % {"npi": npi}
    return None


def npi_is_valid(npi: str) -> bool:
    return npi_problem(npi) is None


def nppes_url(npi: str) -> str:
    """The NPI's public page in the CMS NPPES registry."""
    return f"https://npiregistry.cms.hhs.gov/provider-view/{npi}"


# --- Writes ----------------------------------------------------------------------------------------


def valid_until_for(expires_on: datetime.date, person: ProviderPerson) -> datetime.datetime:
    """The end of the licence's expiry day where the person's provider is."""
    next_day = expires_on + datetime.timedelta(days=1)
    return datetime.datetime.combine(next_day, datetime.time.min, tzinfo=provider_zone(person.provider))


def _clean_licence_number(raw: str) -> str:
    return " ".join((raw or "").split())


def _evidence_errors(
    *,
    person: ProviderPerson,
    licence_state: str,
    licence_number: str,
    npi: str,
    licence_expires_on: datetime.date | None,
    evidence_note: str,
    now: datetime.datetime,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if licence_state not in STATES:
        errors["licence_state"] = [_("Choose the state that issued the licence.")]
    if not licence_number:
        errors["licence_number"] = [_("Enter the licence number as the state board shows it.")]
    elif len(licence_number) > LICENCE_NUMBER_MAX_CHARS:
        errors["licence_number"] = [
            _("A licence number has at most %(n)d characters.") % {"n": LICENCE_NUMBER_MAX_CHARS}
        ]
    elif not set(licence_number) <= LICENCE_NUMBER_ALLOWED:
        errors["licence_number"] = [
            _("A licence number has only letters, digits, spaces, hyphens, dots and slashes.")
        ]
    if (problem := npi_problem(npi)) is not None:
        errors["npi"] = [problem]
    if licence_expires_on is None:
        errors["licence_expires_on"] = [_("Enter the date the licence expires.")]
    elif valid_until_for(licence_expires_on, person) <= now:
        errors["licence_expires_on"] = [
            _("This licence expired on %(day)s: a clinician is verified only with a current licence.")
            % {"day": date_format(licence_expires_on, "DATE_FORMAT")}
        ]
    elif licence_expires_on.year > now.year + LICENCE_MAX_YEARS_AHEAD:
        errors["licence_expires_on"] = [
            _("A licence does not run %(n)d years ahead: check the expiry date.")
            % {"n": LICENCE_MAX_YEARS_AHEAD}
        ]
    if len(evidence_note) > EVIDENCE_NOTE_MAX_CHARS:
        errors["evidence_note"] = [
            _("Keep the note under %(n)d characters.") % {"n": EVIDENCE_NOTE_MAX_CHARS}
        ]
    return errors


def shows_concerned(person: ProviderPerson) -> QuerySet[Show]:
    """Shows whose feeds may name ``person``: those granting their provider, and those where an
    activity matched a speaker to them."""
    return Show.objects.filter(
        Q(provider_grants__provider_id=person.provider_id, provider_grants__status=GrantStatus.ACTIVE)
        | Q(episodes__activity__speaker_matches__content_person__person=person)
    ).distinct()


def clinician_verify(
    *,
    person: ProviderPerson,
    actor: User,
    licence_state: str,
    licence_number: str,
    npi: str,
    licence_expires_on: datetime.date | None,
    evidence_note: str = "",
    now: datetime.datetime | None = None,
) -> ClinicianVerification:
    """Verify ``person`` as a licensed clinician (replacing their current verification, if any)."""
    if not is_coordinator_of(actor, person.provider):
        raise PermissionDenied
    now = now or timezone.now()
    licence_state = (licence_state or "").strip().upper()
    licence_number = _clean_licence_number(licence_number)
    npi = "".join((npi or "").split())
    evidence_note = (evidence_note or "").strip()
    errors = _evidence_errors(
        person=person,
        licence_state=licence_state,
        licence_number=licence_number,
        npi=npi,
        licence_expires_on=licence_expires_on,
        evidence_note=evidence_note,
        now=now,
    )
    if errors:
        raise ValidationError(errors)
    assert licence_expires_on is not None  # checked above
    with transaction.atomic():
        person = ProviderPerson.objects.select_for_update().select_related("provider").get(pk=person.pk)
        previous = ClinicianVerification.objects.filter(person=person).current().first()
        if previous is not None:
            previous.replaced_at = now
            previous.save(update_fields=["replaced_at"])
        verification = ClinicianVerification.objects.create(
            person=person,
            licence_state=licence_state,
            licence_number=licence_number,
            licence_expires_on=licence_expires_on,
            npi=npi,
            evidence_note=evidence_note,
            verified_at=now,
            verified_by=actor,
            valid_until=valid_until_for(licence_expires_on, person),
        )
        audit_record(
            actor=actor,
            action=CreditAction.CLINICIAN_VERIFIED,
            obj=verification,
            data={
                "person": person.pk,
                "name": person.name,
                "licence_state": licence_state,
                "licence_number": licence_number,
                "licence_expires_on": licence_expires_on.isoformat(),
                "npi": npi,
                "replaces": previous.pk if previous is not None else None,
            },
        )
        people_links_changed(shows=shows_concerned(person))
    return verification


def clinician_revoke(
    *,
    verification: ClinicianVerification,
    actor: User,
    reason: str,
    now: datetime.datetime | None = None,
) -> ClinicianVerification:
    """Revoke a current verification, with the reason (kept, audited; the person's page says it)."""
    person = verification.person
    if not is_coordinator_of(actor, person.provider):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the verification is revoked: the record keeps it.")]})
    if len(reason) > REVOCATION_REASON_MAX_CHARS:
        raise ValidationError(
            {"reason": [_("Keep the reason under %(n)d characters.") % {"n": REVOCATION_REASON_MAX_CHARS}]}
        )
    now = now or timezone.now()
    with transaction.atomic():
        verification = ClinicianVerification.objects.select_for_update().get(pk=verification.pk)
        if verification.revoked_at is not None:
            raise ValidationError(_("This verification was already revoked."))
        if verification.replaced_at is not None:
            raise ValidationError(_("A newer verification replaced this one: revoke that one instead."))
        verification.revoked_at = now
        verification.revoked_by = actor
        verification.revocation_reason = reason
        verification.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
        audit_record(
            actor=actor,
            action=CreditAction.CLINICIAN_VERIFICATION_REVOKED,
            obj=verification,
            data={"person": person.pk, "name": person.name, "reason": reason},
        )
        people_links_changed(shows=shows_concerned(person))
    return verification


# --- Reads -----------------------------------------------------------------------------------------


def provider_people(provider) -> list[tuple[ProviderPerson, ClinicianVerification | None]]:
    """The provider's known people, each with their newest verification (None: never verified)."""
    people = list(ProviderPerson.objects.filter(provider=provider).order_by("name", "id"))
    newest: dict[int, ClinicianVerification] = {}
    for verification in ClinicianVerification.objects.filter(person__provider=provider).order_by(
        "verified_at", "id"
    ):
        newest[verification.person_id] = verification
    return [(person, newest.get(person.pk)) for person in people]


def coordinator_person_or_none(*, user: User, pk: int) -> ProviderPerson | None:
    """The known person, if ``user`` coordinates their provider."""
    return (
        ProviderPerson.objects.select_related("provider")
        .filter(pk=pk, provider__memberships__user=user)
        .first()
    )


def coordinator_verification_or_none(*, user: User, pk: int) -> ClinicianVerification | None:
    return (
        ClinicianVerification.objects.select_related("person__provider")
        .filter(pk=pk, person__provider__memberships__user=user)
        .first()
    )


def public_person(pk: int) -> tuple[ProviderPerson, ClinicianVerification] | None:
    """A person's public page: only someone who was verified has one (the provider's other known
    people are not published). The newest verification: current, expired, revoked."""
    verification = (
        ClinicianVerification.objects.select_related("person__provider", "verified_by")
        .filter(person_id=pk)
        .order_by("-verified_at", "-id")
        .first()
    )
    if verification is None:
        return None
    return verification.person, verification


def person_page_url(person_id: int) -> str:
    return settings.SITE_URL + reverse("credits:clinician_person", args=[person_id])


@dataclass(frozen=True)
class VerifiedPerson:
    """A verified clinician as other pages show them."""

    person_id: int
    name: str
    credentials: str
    provider_name: str
    valid_until: datetime.datetime
    url: str  # the absolute URL of their public page


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def verified_speakers(
    episode_ids: Iterable[int] | QuerySet, *, now: datetime.datetime | None = None
) -> dict[tuple[int, str], VerifiedPerson]:
    """(episode id, speaker name as stored) -> the verified person that speaker is, by the rule in
    this module's docstring. One query (a UNION of both ways), whatever the number of episodes."""
    now = now or timezone.now()
    valid = ClinicianVerification.objects.valid(now)
    # 1. Speakers the episodes' activities matched to a person in control of content, with that
    #    person's valid verification if any (None: the match decides, and nobody is verified).
    mine = valid.filter(person=OuterRef("content_person__person"))
    matched = SpeakerMatch.objects.filter(
        activity__episode__in=episode_ids,
        content_person__isnull=False,
        content_person__removed_at__isnull=True,
    ).values_list(
        Value(MATCHED, output_field=IntegerField()),
        "activity__episode_id",
        "speaker_name",
        "content_person__person_id",
        "content_person__person__name",
        "content_person__person__credentials",
        "content_person__person__provider__name",
        Subquery(mine.values("valid_until")[:1]),
        Subquery(mine.values("verified_at")[:1]),
    )
    # 2. Speakers named like a verified person of a provider with an active grant on the show.
    episodes = "person__provider__show_grants__show__episodes"
    # One filter() call: the grant, the episode and its speaker are one chain of joins. Lower() on
    # both sides, not iexact (SQLite's LIKE would read "_" and "%" in a name as wildcards).
    named = valid.filter(
        Q(**{"person__provider__show_grants__status": GrantStatus.ACTIVE, f"{episodes}__in": episode_ids})
        & Q(Exact(Lower(f"{episodes}__persons__name"), Lower("person__name")))
    ).values_list(
        Value(BY_NAME, output_field=IntegerField()),
        f"{episodes}__id",
        f"{episodes}__persons__name",
        "person_id",
        "person__name",
        "person__credentials",
        "person__provider__name",
        "valid_until",
        "verified_at",
    )
    by_match: dict[tuple[int, str], tuple[Any, ...]] = {}
    by_name: dict[tuple[int, str], tuple[Any, ...]] = {}
    for row in matched.order_by().union(named.order_by(), all=True):
        kind, episode_id, speaker = row[0], row[1], row[2]
        if kind == MATCHED:
            by_match[(episode_id, _name_key(speaker))] = row
        else:
            key = (episode_id, speaker)
            if key not in by_name or _aware(row[8]) > _aware(by_name[key][8]):
                by_name[key] = row  # several providers' namesakes: the most recently verified
    result: dict[tuple[int, str], VerifiedPerson] = {}
    for (episode_id, speaker), row in by_name.items():
        if (episode_id, _name_key(speaker)) not in by_match:
            result[(episode_id, speaker)] = _verified_person(row)
    for row in by_match.values():
        if row[7] is not None:  # the matched person is verified
            result[(row[1], row[2])] = _verified_person(row)
    return result


MATCHED, BY_NAME = 1, 2


def _aware(value: Any) -> datetime.datetime:
    """A datetime from a UNION's column (SQLite returns the text of a subquery's value)."""
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)
    parsed = datetime.datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=datetime.UTC)


def _verified_person(row: tuple[Any, ...]) -> VerifiedPerson:
    return VerifiedPerson(
        person_id=row[3],
        name=row[4],
        credentials=row[5],
        provider_name=row[6],
        valid_until=_aware(row[7]),
        url=person_page_url(row[3]),
    )


def verified_person_links(episode_ids: Iterable[int] | QuerySet) -> PersonLinks:
    """For the feed (episodes/person_links.py): each verified speaker's person page."""
    return {key: person.url for key, person in verified_speakers(episode_ids).items()}


def verified_people_for_show(show: Show) -> list[VerifiedPerson]:
    """The verified clinicians heard in the show's public episodes, once each, by name."""
    public = Episode.objects.published().filter(show=show).values("pk")
    people = {person.person_id: person for person in verified_speakers(public).values()}
    return sorted(people.values(), key=lambda person: (person.name.casefold(), person.person_id))


def verified_people_for_episode(episode: Episode) -> dict[str, VerifiedPerson]:
    """The episode page's badges: speaker name as stored -> the verified person."""
    return {name: person for (_episode, name), person in verified_speakers([episode.pk]).items()}
