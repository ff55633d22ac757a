"""Verified clinicians (issue 17, item 4): the NPI check digit, the coordinator's verify and revoke
pages (bad input, permissions, audit rows), the database's constraints, expiry without a write, the
public person page, the episode page's badge and the selector other apps read."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from audit.models import AuditEvent
from credits import clinicians, disclosure_services
from credits.demo import DEMO_ACTIVITY_EPISODE, seed_demo_clinician
from credits.models import ClinicianVerification, ProviderPerson
from credits.provider_time import provider_date
from credits.selectors import verified_people_for_show
from episodes.feeds import build_feed
from episodes.models import Episode, EpisodePerson, Show
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

GOOD_NPI = "1234567893"  # CMS's worked example of the check digit
TODAY = datetime.date.today


def _expiry(days: int = 400) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def person(provider):
    return ProviderPerson.objects.create(provider=provider, name="Dana Faculty", credentials="MD")


def _verify(person, coordinator, **fields):
    data = {
        "licence_state": "CA",
        "licence_number": "A123456",
        "npi": GOOD_NPI,
        "licence_expires_on": _expiry(),
        **fields,
    }
    return clinicians.clinician_verify(person=person, actor=coordinator, **data)


def _form(**fields):
    data = {
        "licence_state": "CA",
        "licence_number": "A123456",
        "npi": GOOD_NPI,
        "licence_expires_on": _expiry().isoformat(),
        "evidence_note": "Medical Board of California lookup and NPPES record checked today.",
    }
    data.update(fields)
    return data


def _verify_url(provider, person):
    return reverse("credits:coordinator_clinician_verify", args=[provider.slug, person.pk])


def _list_url(provider):
    return reverse("credits:coordinator_clinicians", args=[provider.slug])


# --- The NPI check digit ---------------------------------------------------------------------------


@pytest.mark.parametrize("npi", ["1234567893", "1003000126", "1245319599"])
def test_known_valid_npis_pass(npi):
    assert clinicians.npi_is_valid(npi)
    assert clinicians.npi_check_digit(npi[:9]) == int(npi[-1])


def test_the_check_digit_follows_cms_worked_example():
    # CMS: 123456789 with the prefix 80840 -> doubled alternates and the rest sum to 67 -> check 3.
    assert clinicians.luhn_check_digit("80840123456789") == 3
    assert clinicians.npi_check_digit("123456789") == 3


@pytest.mark.parametrize(
    ("npi", "says"),
    [
        ("1234567890", "check digit"),
        ("1234567839", "check digit"),  # two digits swapped
        ("123456789", "has 9"),
        ("12345678934", "has 11"),
        ("12345a7893", "only digits"),
        ("１２３４５６７８９３", "only digits"),  # full-width digits are not ASCII digits
        ("3234567893", "starts with 1 or 2"),
        ("", "Enter the person's NPI"),
    ],
)
def test_bad_npis_are_refused_with_a_reason(npi, says):
    assert not clinicians.npi_is_valid(npi)
    assert says in clinicians.npi_problem(npi)


# --- Verifying, through the service and the page ---------------------------------------------------


def test_verify_records_the_evidence_who_and_when_and_an_audit_row(person, coordinator):
    verification = _verify(person, coordinator, evidence_note="Board lookup")
    assert verification.verified_by == coordinator
    assert verification.licence_state == "CA" and verification.npi == GOOD_NPI
    assert verification.is_valid()
    # Valid through the licence's expiry day where the provider is, not a moment less.
    zone = clinicians.provider_zone(person.provider)
    assert timezone.localtime(verification.valid_until, zone).date() == _expiry() + datetime.timedelta(days=1)
    event = AuditEvent.objects.get(action="clinician.verified")
    assert event.actor == coordinator and event.object_id == str(verification.pk)
    assert event.data["npi"] == GOOD_NPI and event.data["licence_state"] == "CA"


def test_the_coordinator_verifies_through_the_form(client, provider, coordinator, person):
    mfa_login(client, coordinator)
    page = client.get(_verify_url(provider, person))
    assert page.status_code == 200 and "Dana Faculty" in page.content.decode()
    response = client.post(_verify_url(provider, person), _form())
    assert response.status_code == 302 and response["Location"] == _list_url(provider)
    verification = ClinicianVerification.objects.get()
    assert verification.evidence_note.startswith("Medical Board")
    listing = client.get(_list_url(provider)).content.decode()
    assert "Verified" in listing and "A123456" not in listing


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"npi": "1234567890"}, "npi", "check digit does not match"),
        ({"npi": "12345"}, "npi", "An NPI has 10 digits"),
        ({"npi": "abcdefghij"}, "npi", "only digits"),
        ({"licence_state": "ZZ"}, "licence_state", "Select a valid choice"),
        ({"licence_state": ""}, "licence_state", "This field is required"),
        ({"licence_number": ""}, "licence_number", "This field is required"),
        ({"licence_number": "A1<script>"}, "licence_number", "only letters, digits"),
        ({"licence_number": "X" * 40}, "licence_number", "at most 32 characters"),
        ({"licence_expires_on": "2020-01-01"}, "licence_expires_on", "expired on"),
        ({"licence_expires_on": "not a date"}, "licence_expires_on", "Enter a valid date"),
        ({"licence_expires_on": "2999-01-01"}, "licence_expires_on", "does not run 10 years ahead"),
        ({"evidence_note": "x" * 1001}, "evidence_note", "under 1000 characters"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    client, provider, coordinator, person, fields, field, message
):
    mfa_login(client, coordinator)
    response = client.post(_verify_url(provider, person), _form(**fields))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert "Nothing was saved" in response.content.decode()
    assert not ClinicianVerification.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="clinician.").exists()


def test_the_npi_may_be_typed_with_spaces(person, coordinator):
    assert _verify(person, coordinator, npi=" 1234 567 893 ").npi == GOOD_NPI


def test_verifying_again_replaces_the_current_verification(person, coordinator):
    first = _verify(person, coordinator)
    second = _verify(person, coordinator, licence_number="A999", licence_expires_on=_expiry(800))
    first.refresh_from_db()
    assert first.replaced_at is not None and first.state() == ClinicianVerification.State.REPLACED
    assert second.is_valid()
    assert ClinicianVerification.objects.current().get() == second
    assert (
        AuditEvent.objects.filter(action="clinician.verified").order_by("id").last().data["replaces"]
        == first.pk
    )


# --- Permissions -----------------------------------------------------------------------------------


def test_a_coordinator_of_another_provider_gets_404_everywhere(client, provider, coordinator, person):
    verification = _verify(person, coordinator)
    other = factories.make_provider(name="Other Society", slug="other")
    stranger = factories.make_coordinator(other, email="stranger@example.org")
    mfa_login(client, stranger)
    assert client.get(_list_url(provider)).status_code == 404
    assert client.get(_verify_url(provider, person)).status_code == 404
    assert client.post(_verify_url(provider, person), _form()).status_code == 404
    # Their own provider's address with this provider's person: not theirs either.
    assert client.get(_verify_url(other, person)).status_code == 404
    revoke = reverse("credits:coordinator_clinician_revoke", args=[provider.slug, verification.pk])
    assert client.post(revoke, {"reason": "Not mine"}).status_code == 404
    assert (
        client.get(
            reverse("credits:coordinator_clinician_revoke", args=[other.slug, verification.pk])
        ).status_code
        == 404
    )
    verification.refresh_from_db()
    assert verification.revoked_at is None
    assert ClinicianVerification.objects.count() == 1


def test_a_learner_is_refused_and_a_visitor_sent_to_log_in(client, provider, learner, person):
    anonymous = client.get(_verify_url(provider, person))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    client.force_login(learner)
    assert client.get(_list_url(provider)).status_code == 403
    assert client.post(_verify_url(provider, person), _form()).status_code == 403
    assert not ClinicianVerification.objects.exists()


def test_the_service_refuses_a_non_coordinator(person, learner):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _verify(person, learner)
    assert not ClinicianVerification.objects.exists()


# --- Revoking --------------------------------------------------------------------------------------


def test_revoke_asks_for_confirmation_and_a_reason_then_records_it(client, provider, coordinator, person):
    verification = _verify(person, coordinator)
    url = reverse("credits:coordinator_clinician_revoke", args=[provider.slug, verification.pk])
    mfa_login(client, coordinator)
    confirm = client.get(url)
    assert (
        confirm.status_code == 200 and "Revoke the verification of Dana Faculty?" in confirm.content.decode()
    )
    verification.refresh_from_db()
    assert verification.revoked_at is None  # a GET changes nothing
    blank = client.post(url, {"reason": "   "})
    assert blank.status_code == 400 and "This field is required" in blank.content.decode()
    verification.refresh_from_db()
    assert verification.revoked_at is None
    assert client.post(url, {"reason": "The board suspended the licence."}).status_code == 302
    verification.refresh_from_db()
    assert verification.revoked_by == coordinator
    assert verification.revocation_reason == "The board suspended the licence."
    assert verification.state() == ClinicianVerification.State.REVOKED
    event = AuditEvent.objects.get(action="clinician.verification_revoked")
    assert event.actor == coordinator and event.data["reason"] == "The board suspended the licence."
    # Twice: refused, nothing more written.
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 400 and "already revoked" in again.content.decode()
    assert AuditEvent.objects.filter(action="clinician.verification_revoked").count() == 1


def test_a_replaced_verification_cannot_be_revoked(person, coordinator):
    from django.core.exceptions import ValidationError

    first = _verify(person, coordinator)
    _verify(person, coordinator)
    with pytest.raises(ValidationError, match="revoke that one instead"):
        clinicians.clinician_revoke(verification=first, actor=coordinator, reason="Old")


def test_verifications_are_never_deleted(person, coordinator):
    verification = _verify(person, coordinator)
    with pytest.raises(TypeError):
        verification.delete()


# --- The database's constraints --------------------------------------------------------------------


def _row(person, user, **fields):
    now = timezone.now()
    data = {
        "person": person,
        "licence_state": "CA",
        "licence_number": "A1",
        "licence_expires_on": _expiry(),
        "npi": GOOD_NPI,
        "verified_at": now,
        "verified_by": user,
        "valid_until": now + datetime.timedelta(days=30),
        **fields,
    }
    return ClinicianVerification.objects.create(**data)


def test_the_database_holds_one_current_verification_per_person(person, coordinator):
    _row(person, coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(person, coordinator)
    _row(person, coordinator, replaced_at=timezone.now())  # history may hold any number


def test_the_database_refuses_valid_until_before_verified_at(person, coordinator):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(person, coordinator, valid_until=timezone.now() - datetime.timedelta(days=1))


@pytest.mark.parametrize("npi", ["123456789", "12345a7893", "123456789O"])
def test_the_database_refuses_an_npi_that_is_not_10_digits(person, coordinator, npi):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(person, coordinator, npi=npi)


def test_the_database_refuses_a_revocation_without_reason(person, coordinator):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(person, coordinator, revoked_at=timezone.now(), revoked_by=coordinator)


# --- Expiry and the public page --------------------------------------------------------------------


def test_after_the_licence_expires_the_verification_is_gone_without_a_write(person, coordinator):
    verification = _verify(person, coordinator, licence_expires_on=_expiry(1))
    later = verification.valid_until + datetime.timedelta(seconds=1)
    assert verification.is_valid(verification.valid_until - datetime.timedelta(seconds=1))
    assert verification.state(later) == ClinicianVerification.State.EXPIRED
    assert not ClinicianVerification.objects.valid(later).exists()


def test_the_public_page_states_the_verification_without_login(client, provider, coordinator, person):
    verification = _verify(person, coordinator)
    page = client.get(reverse("credits:clinician_person", args=[person.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Dana Faculty, MD" in text
    assert f"Licensed clinician verified by {provider.name} on" in text
    assert "licence California valid until" in text
    assert f"https://npiregistry.cms.hhs.gov/provider-view/{GOOD_NPI}" in text
    assert "A123456" not in text and "456" in text  # the licence number masked
    on = date_format(provider_date(verification.verified_at, provider), "DATE_FORMAT")
    until = date_format(_expiry(), "DATE_FORMAT")
    assert f"verified by {provider.name} on {on}, licence California valid until {until}." in text


def test_the_public_page_says_expired_or_revoked(client, coordinator, person, settings):
    verification = _verify(person, coordinator)
    ClinicianVerification.objects.filter(pk=verification.pk).update(
        verified_at=timezone.now() - datetime.timedelta(days=400),
        valid_until=timezone.now() - datetime.timedelta(days=1),
    )
    url = reverse("credits:clinician_person", args=[person.pk])
    assert "expired on" in client.get(url).content.decode()
    ClinicianVerification.objects.filter(pk=verification.pk).update(
        valid_until=timezone.now() + datetime.timedelta(days=10)
    )
    clinicians.clinician_revoke(verification=verification, actor=coordinator, reason="Left practice")
    text = client.get(url).content.decode()
    assert "was revoked on" in text and "Verified clinician" not in text


def test_someone_never_verified_has_no_public_page(client, person):
    assert client.get(reverse("credits:clinician_person", args=[person.pk])).status_code == 404
    assert client.get(reverse("credits:clinician_person", args=[999999])).status_code == 404


# --- The badge, the matching rule and the selector -------------------------------------------------


def _speaker(episode, name, role="faculty"):
    return EpisodePerson.objects.create(episode=episode, name=name, role=role)


def test_the_episode_page_shows_the_badge_for_a_verified_speaker(client, activity, coordinator):
    """Rule 1: the activity's recorded speaker match names the person."""
    episode = activity.episode
    _speaker(episode, "Dana Faculty")
    _speaker(episode, "Ian Interviewer", role="host")
    content_person = activity.people.get(person__name="Dana Faculty")
    disclosure_services.speaker_settle(
        activity=activity, actor=coordinator, speaker_name="Dana Faculty", content_person=content_person
    )
    page_url = episode.get_absolute_url()
    assert "Verified clinician" not in client.get(page_url).content.decode()
    _verify(content_person.person, coordinator)
    text = client.get(page_url).content.decode()
    person_url = reverse("credits:clinician_person", args=[content_person.person.pk])
    assert text.count("verified-clinician") == 1
    assert f'href="{person_url}"' in text


def test_a_recorded_match_to_an_unverified_person_is_not_overridden_by_a_name(
    activity, coordinator, provider
):
    episode = activity.episode
    _speaker(episode, "Dana Faculty")
    content_person = activity.people.get(person__name="Dana Faculty")
    disclosure_services.speaker_settle(
        activity=activity, actor=coordinator, speaker_name="Dana Faculty", content_person=content_person
    )
    namesake = ProviderPerson.objects.create(provider=provider, name="dana  faculty")
    _verify(namesake, coordinator)
    assert clinicians.verified_people_for_episode(episode) == {}


def test_without_a_match_an_exact_name_of_a_granting_provider_counts(episode, provider, coordinator, person):
    """Rule 2: no CME activity; the provider holds an active grant on the show; the same name, case aside."""
    _speaker(episode, "DANA faculty")  # names are stored whitespace-collapsed
    _verify(person, coordinator)
    found = clinicians.verified_people_for_episode(episode)
    assert [p.person_id for p in found.values()] == [person.pk]
    # A provider without a grant on the show does not lend its people to it.
    other_show = factories.make_show(slug="other-show", title="Other show")
    other_episode = factories.make_episode(other_show, slug="elsewhere")
    _speaker(other_episode, "Dana Faculty")
    assert clinicians.verified_people_for_episode(other_episode) == {}


def test_a_name_with_wildcard_characters_matches_only_itself(episode, provider, coordinator):
    _speaker(episode, "DanaXFaculty")
    _speaker(episode, "Dana Faculty 100")
    _verify(ProviderPerson.objects.create(provider=provider, name="Dana_Faculty"), coordinator)
    _verify(ProviderPerson.objects.create(provider=provider, name="Dana Faculty %"), coordinator)
    assert clinicians.verified_people_for_episode(episode) == {}


def test_verified_people_for_show_lists_each_once(episode, provider, coordinator, person, show):
    _speaker(episode, "Dana Faculty")
    second = factories.make_episode(show, slug="second")
    _speaker(second, "Dana Faculty")
    _speaker(second, "Unverified Guest")
    _verify(person, coordinator)
    people = verified_people_for_show(show)
    assert [(p.name, p.credentials) for p in people] == [("Dana Faculty", "MD")]
    assert people[0].url == "http://testserver" + reverse("credits:clinician_person", args=[person.pk])
    assert people[0].provider_name == provider.name


def test_verifying_and_revoking_rebuild_the_feeds_concerned(episode, provider, coordinator, person, show):
    _speaker(episode, "Dana Faculty")
    before = Show.objects.get(pk=show.pk).content_changed_at
    verification = _verify(person, coordinator)
    after_verify = Show.objects.get(pk=show.pk).content_changed_at
    assert after_verify > before
    clinicians.clinician_revoke(verification=verification, actor=coordinator, reason="Left practice")
    assert Show.objects.get(pk=show.pk).content_changed_at > after_verify


def test_the_coordinator_dashboard_links_to_the_page(client, provider, coordinator):
    mfa_login(client, coordinator)
    text = client.get(reverse("credits:coordinator_dashboard")).content.decode()
    assert _list_url(provider) in text


# --- The demo ----------------------------------------------------------------------------------------


def test_the_demo_faculty_member_is_verified_once_and_badged_on_the_demo_episode(client):
    call_command("seed_demo", stdout=io.StringIO())
    verification = ClinicianVerification.objects.get()
    provider, coordinator = verification.person.provider, verification.verified_by
    # Seeding again verifies nobody twice (the whole command's idempotence: tests/core).
    assert seed_demo_clinician(provider=provider, coordinator=coordinator) == verification
    assert ClinicianVerification.objects.count() == 1
    assert verification.person.name == "Fatima Faculty" and verification.is_valid()
    episode = Episode.objects.get(slug=DEMO_ACTIVITY_EPISODE)
    person_url = reverse("credits:clinician_person", args=[verification.person_id])
    page = client.get(episode.get_absolute_url()).content.decode()
    assert f'href="{person_url}"' in page and "Verified clinician" in page
    assert (
        f'href="http://testserver{person_url}">Fatima Faculty</podcast:person>'
        in build_feed(episode.show).decode()
    )
    assert "Licensed clinician verified by" in client.get(person_url).content.decode()


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("A123456", "••••456"),  # at most 3 characters shown
        ("12345", "••••5"),  # and at least 4 hidden
        ("1234", "••••"),  # a short number is not shown at all
        ("7", "•"),
    ],
)
def test_the_public_page_never_shows_much_of_a_licence_number(number, masked):
    from credits.models import ClinicianVerification

    assert ClinicianVerification(licence_number=number).masked_licence_number == masked
