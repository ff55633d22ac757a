"""The transcript by licence: hours and mandated topics earned inside each renewal cycle."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import licences as account_licences
from accounts.models import Licence
from credits.licence_progress import learner_licence_progress
from credits.models import Certificate, ExternalCredit, MandateTopic
from testkit.factories import add_claims
from testkit.pdf import pdf_text

D = datetime.date
OHIO_LINE = "32 of 50 hours; Implicit bias 0 of 1 hours; Opioid prescribing 2 of 2 done"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _topic(slug: str) -> MandateTopic:
    return MandateTopic.objects.get(slug=slug)


def _certificate(
    learner, show, provider, prefix, *, on, credits, credit_type="ama_pra_1", topics=(), status="issued"
):
    """One credited certificate from this site, completed ``on`` that day, for ``credits``."""
    (claim,) = add_claims(learner, show=show, provider=provider, count=1, prefix=prefix, topics=topics)
    revoked_at = timezone.now() if status == "revoked" else None
    Certificate.objects.filter(claim=claim).update(
        completion_date=on,
        credits=Decimal(credits),
        credit_type=credit_type,
        status=status,
        revoked_at=revoked_at,
    )
    return Certificate.objects.get(claim=claim)


def _external(learner, *, on, credits, credit_type="ama_pra_1", topics=(), title="Elsewhere"):
    credit = ExternalCredit.objects.create(
        learner=learner,
        title=title,
        provider_name="City Hospital",
        completed_on=on,
        credits=Decimal(credits),
        credit_type=credit_type,
    )
    credit.mandate_topics.set(topics)
    return credit


def _licence(learner, mandates=(), **extra) -> Licence:
    data = {
        "profession": "physician",
        "state": "Ohio",
        "number": "35.123456",
        "cycle_start": D(2025, 1, 1),
        "cycle_end": D(2026, 12, 31),
        "required_hours": Decimal(50),
    }
    data.update(extra)
    return account_licences.licence_create(learner=learner, data=data, mandates=list(mandates))


@pytest.fixture
def ohio(learner, show, provider):
    """A physician licence and credits in and out of its cycle (2025-01-01 to 2026-12-31)."""
    opioids = _topic("opioid-prescribing")
    licence = _licence(learner, mandates=[("Opioid prescribing", Decimal(2)), ("Implicit bias", Decimal(1))])
    # Counted: 30 + 1.5 (opioids, the last day) + 0.5 self-reported (opioids, the first day) = 32.
    _certificate(learner, show, provider, "in", on=D(2025, 3, 1), credits="30")
    _certificate(learner, show, provider, "last", on=D(2026, 12, 31), credits="1.5", topics=[opioids])
    _external(learner, on=D(2025, 1, 1), credits="0.5", topics=[opioids])
    # Not counted: outside the cycle, revoked, or a credit type a physician licence does not take.
    _certificate(learner, show, provider, "before", on=D(2024, 12, 31), credits="5", topics=[opioids])
    _certificate(learner, show, provider, "after", on=D(2027, 1, 1), credits="5", topics=[opioids])
    _certificate(
        learner, show, provider, "revoked", on=D(2025, 6, 1), credits="10", topics=[opioids], status="revoked"
    )
    _certificate(learner, show, provider, "part", on=D(2025, 4, 1), credits="3", credit_type="participation")
    _external(learner, on=D(2025, 5, 10), credits="3", credit_type="ancc", topics=[opioids])
    _external(learner, on=D(2025, 5, 10), credits="4", credit_type="ama_pra_2")
    return licence


@pytest.mark.django_db
def test_progress_counts_credits_inside_the_cycle_of_the_types_the_licence_takes(learner, ohio):
    (progress,) = learner_licence_progress(learner=learner)

    assert progress.hours == Decimal(32)
    assert [(t.topic, t.hours, t.done) for t in progress.topics] == [
        ("Implicit bias", Decimal(0), False),
        ("Opioid prescribing", Decimal(2), True),
    ]
    assert progress.line == OHIO_LINE
    assert not progress.done


@pytest.mark.django_db
def test_a_revoked_certificate_stops_counting(learner, ohio):
    certificate = Certificate.objects.get(activity_title="in activity 0")
    Certificate.objects.filter(pk=certificate.pk).update(status="revoked", revoked_at=timezone.now())

    (progress,) = learner_licence_progress(learner=learner)

    assert progress.hours == Decimal(2)
    assert progress.line.startswith("2 of 50 hours;")


@pytest.mark.django_db
def test_the_transcript_page_and_the_pdf_show_the_same_progress_lines(learner, ohio):
    client = _client(learner)

    page = client.get(reverse("credits:transcript"), {"start": "2027-01-01"}).content.decode()
    pdf = client.get(reverse("credits:transcript_pdf"), {"start": "2027-01-01"})

    # Whole cycles, whatever period the transcript is filtered to.
    assert "Licence renewal progress" in page and OHIO_LINE in page
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "Licence renewal progress" in text
    assert "Ohio · Physician (MD, DO) 35.123456, cycle January 1, 2025 – December 31, 2026" in text
    assert OHIO_LINE in text
    # The licences page shows it too, with what counts toward a physician licence.
    licences_page = client.get(reverse("credits:licences")).content.decode()
    assert OHIO_LINE in licences_page


@pytest.mark.django_db
def test_a_done_licence_says_so(learner, show, provider):
    _licence(learner, required_hours=Decimal(1), mandates=[("Opioid prescribing", Decimal("0.5"))])
    _certificate(
        learner, show, provider, "x", on=D(2025, 2, 2), credits="1.25", topics=[_topic("opioid-prescribing")]
    )

    (progress,) = learner_licence_progress(learner=learner)

    assert progress.line == "1.25 of 1 hours; Opioid prescribing 1.25 of 0.5 done"
    assert progress.done
    assert "requirements met" in _client(learner).get(reverse("credits:transcript")).content.decode()


@pytest.mark.django_db
def test_each_profession_counts_its_own_credit_types(learner, show, provider):
    _certificate(learner, show, provider, "ama", on=D(2025, 2, 1), credits="1")
    _certificate(learner, show, provider, "part", on=D(2025, 2, 1), credits="2", credit_type="participation")
    _external(learner, on=D(2025, 2, 1), credits="4", credit_type="ancc")
    _external(learner, on=D(2025, 2, 1), credits="8", credit_type="acpe")
    _external(learner, on=D(2025, 2, 1), credits="16", credit_type="aapa_1")
    for profession, state, participation in [
        ("physician", "A", False),
        ("pa", "B", False),
        ("nurse", "C", False),
        ("nurse", "D", True),
        ("pharmacist", "E", False),
        ("other", "F", False),
        ("other", "G", True),
    ]:
        _licence(learner, profession=profession, state=state, counts_participation=participation)

    hours = {p.licence.state: p.hours for p in learner_licence_progress(learner=learner)}

    assert hours == {
        "A": Decimal(1),  # AMA PRA Category 1
        "B": Decimal(19),  # AAPA Category 1 + AMA PRA Category 1 + participation
        "C": Decimal(4),  # ANCC contact hours
        "D": Decimal(6),  # ANCC + participation, as the learner said their board accepts
        "E": Decimal(8),  # ACPE
        "F": Decimal(29),  # AMA, AAPA, ANCC, ACPE
        "G": Decimal(31),
    }


@pytest.mark.django_db
def test_a_topic_counts_only_if_the_version_the_learner_took_carried_it(learner, show, provider):
    _licence(learner, mandates=[("Pain management", Decimal(1))])
    certificate = _certificate(learner, show, provider, "v", on=D(2025, 2, 1), credits="1")
    # The coordinator tags the activity afterwards: the learner's version did not carry the topic.
    certificate.claim.activity.mandate_topics.add(_topic("pain-management"))

    (progress,) = learner_licence_progress(learner=learner)

    assert progress.line == "1 of 50 hours; Pain management 0 of 1 hours"


@pytest.mark.django_db
def test_another_learners_credits_never_count(learner, make_user, show, provider):
    other = make_user("other@example.org", profile=True)
    _licence(learner)
    _certificate(other, show, provider, "o", on=D(2025, 2, 1), credits="3")
    _external(other, on=D(2025, 2, 1), credits="2")

    (progress,) = learner_licence_progress(learner=learner)

    assert progress.hours == Decimal(0)


def _queries(learner) -> int:
    with CaptureQueriesContext(connection) as queries:
        learner_licence_progress(learner=learner)
    return len(queries)


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("credits:transcript")).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_a_constant_number_of_queries_as_licences_and_credits_grow(learner, show, provider):
    opioids = _topic("opioid-prescribing")
    client = _client(learner)
    _licence(learner, mandates=[("Opioid prescribing", Decimal(2))])
    _certificate(learner, show, provider, "a", on=D(2025, 2, 1), credits="1", topics=[opioids])
    _external(learner, on=D(2025, 2, 1), credits="1", topics=[opioids])
    few, few_page = _queries(learner), _page_queries(client)

    for n in range(6):
        _licence(
            learner,
            state=f"State {n}",
            mandates=[("Opioid prescribing", Decimal(1)), ("Implicit bias", Decimal(1))],
        )
    add_claims(learner, show=show, provider=provider, count=12, prefix="many", topics=[opioids])
    for n in range(10):
        _external(learner, on=D(2025, 3, n + 1), credits="1", topics=[opioids], title=f"Elsewhere {n}")
    assert len(learner_licence_progress(learner=learner)) == 7

    assert _queries(learner) == few == 5
    assert _page_queries(client) == few_page
