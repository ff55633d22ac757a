"""The learner's licences: add, edit, delete their own on /learning/licences/; bad input refused."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts import licences as account_licences
from accounts.models import MAX_LICENCES, Licence, LicenceMandate
from audit.models import AuditEvent

D = datetime.date


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**extra) -> dict[str, str]:
    data = {
        "profession": "physician",
        "state": "Ohio",
        "number": "35.123456",
        "cycle_start": "2025-01-01",
        "cycle_end": "2026-12-31",
        "required_hours": "50",
        "topic_1": "Opioid prescribing",
        "hours_1": "2",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def _licence(learner, **extra) -> Licence:
    data = {
        "profession": "nurse",
        "state": "Texas",
        "cycle_start": D(2025, 1, 1),
        "cycle_end": D(2026, 12, 31),
        "required_hours": Decimal("20"),
    }
    data.update(extra)
    return account_licences.licence_create(
        learner=learner, data=data, mandates=[("Implicit bias", Decimal(1))]
    )


def _nothing_written(learner, before_licences: int = 0) -> None:
    assert Licence.objects.filter(learner=learner).count() == before_licences
    assert not AuditEvent.objects.filter(action="licence.created").exists()


@pytest.mark.django_db
def test_learner_adds_a_licence_with_a_mandated_topic_and_sees_it_listed(learner):
    client = _client(learner)

    response = client.post(reverse("credits:licence_create"), _form())

    assert response.status_code == 302
    licence = Licence.objects.get(learner=learner)
    assert (licence.state, licence.profession, licence.required_hours) == ("Ohio", "physician", Decimal(50))
    assert [(m.topic, m.hours) for m in licence.mandates.all()] == [("Opioid prescribing", Decimal(2))]
    event = AuditEvent.objects.get(action="licence.created")
    assert event.actor == learner and event.data["mandates"] == {"Opioid prescribing": "2.00"}
    page = client.get(reverse("credits:licences")).content.decode()
    assert "Ohio" in page and "0 of 50 hours; Opioid prescribing 0 of 2 hours" in page
    # The page says what counts toward a licence, by profession.
    assert "Credit types that count toward a licence, by profession" in page
    assert "1 <em>AMA PRA Category 1 Credit</em>™ counts as 1 hour" in page


@pytest.mark.django_db
def test_the_form_offers_the_state_mandate_topics(learner):
    page = _client(learner).get(reverse("credits:licence_create")).content.decode()
    assert '<option value="Opioid prescribing">' in page and '<option value="Implicit bias">' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cycle_end": "2024-12-31"}, "The cycle must end after it starts."),
        ({"cycle_end": "2025-01-01"}, "The cycle must end after it starts."),
        ({"cycle_end": "2035-01-02"}, "A renewal cycle is at most 10 years long."),
        ({"required_hours": "-5"}, "Hours required must be between 0 and 500."),
        ({"required_hours": "600"}, "Hours required must be between 0 and 500."),
        ({"required_hours": "5000"}, "Ensure that there are no more than 3 digits before the decimal point."),
        ({"hours_1": "-1"}, "greater than or equal to 0.25"),
        ({"hours_1": "250"}, "less than or equal to 100"),
        ({"hours_1": ""}, "How many hours does your board require on “Opioid prescribing”?"),
        ({"topic_1": "", "hours_1": "2"}, "Choose the topic these hours are for."),
        ({"topic_1": "Astrology", "hours_1": "2"}, "“Astrology” is not one of the state-mandate topics"),
        ({"topic_2": "Opioid prescribing", "hours_2": "1"}, "“Opioid prescribing” is listed twice."),
        ({"profession": "pharmacist", "counts_participation": "on"}, "Only a nursing or other licence"),
        ({"profession": "surgeon"}, "Select a valid choice"),
        ({"state": ""}, "This field is required."),
        ({"cycle_start": "not a date"}, "Enter a valid date."),
        ({"cycle_start": "9995-01-01", "cycle_end": "9999-12-31"}, "a cycle runs between 1950 and 2100"),
        ({"cycle_start": "0001-01-01", "cycle_end": "0005-01-01"}, "a cycle runs between 1950 and 2100"),
        (
            {"cycle_start": "2024-02-29", "cycle_end": "2034-03-01"},
            "A renewal cycle is at most 10 years long.",
        ),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(learner, fields, message):
    response = _client(learner).post(reverse("credits:licence_create"), _form(**fields))

    assert response.status_code == 400
    page = response.content.decode()
    assert message.replace("“", "&ldquo;").replace("”", "&rdquo;") in page or message in page
    assert "Nothing was saved" in page
    _nothing_written(learner)
    assert not LicenceMandate.objects.exists()


@pytest.mark.django_db
def test_the_credits_side_service_refuses_a_topic_that_is_not_a_mandate_topic(learner):
    from django.core.exceptions import ValidationError

    from credits.licences import licence_save

    data = {
        "profession": "physician",
        "state": "Ohio",
        "cycle_start": D(2025, 1, 1),
        "cycle_end": D(2026, 1, 1),
    }
    with pytest.raises(ValidationError, match="not one of the state-mandate topics"):
        licence_save(
            learner=learner,
            data={**data, "required_hours": Decimal(10)},
            mandates=[("Astrology", Decimal(1))],
        )
    _nothing_written(learner)


@pytest.mark.django_db
def test_a_learner_cannot_keep_more_than_the_limit_of_licences(learner):
    for n in range(MAX_LICENCES):
        _licence(learner, state=f"State {n}")
    created = AuditEvent.objects.filter(action="licence.created").count()

    response = _client(learner).post(reverse("credits:licence_create"), _form())

    assert response.status_code == 400
    assert f"You can keep at most {MAX_LICENCES} licences" in response.content.decode()
    assert Licence.objects.filter(learner=learner).count() == MAX_LICENCES
    assert AuditEvent.objects.filter(action="licence.created").count() == created


@pytest.mark.django_db
def test_learner_edits_their_licence_and_the_change_is_audited(learner):
    licence = _licence(learner)
    client = _client(learner)
    form = client.get(reverse("credits:licence_edit", args=[licence.pk])).content.decode()
    assert 'value="Texas"' in form and '<option value="Implicit bias" selected>' in form

    response = client.post(
        reverse("credits:licence_edit", args=[licence.pk]),
        _form(
            profession="nurse", state="Texas", required_hours="24", topic_1="Human trafficking", hours_1="1"
        ),
    )

    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.required_hours == Decimal(24)
    assert [m.topic for m in licence.mandates.all()] == ["Human trafficking"]
    event = AuditEvent.objects.get(action="licence.updated")
    assert event.data["old"]["required_hours"] == "20.00" and event.data["new"]["required_hours"] == "24.00"
    assert event.data["old"]["mandates"] == {"Implicit bias": "1.00"}
    assert event.data["new"]["mandates"] == {"Human trafficking": "1.00"}


@pytest.mark.django_db
def test_a_refused_edit_changes_nothing(learner):
    licence = _licence(learner)

    response = _client(learner).post(
        reverse("credits:licence_edit", args=[licence.pk]),
        _form(cycle_end="2020-01-01", topic_1="Pain management"),
    )

    assert response.status_code == 400
    licence.refresh_from_db()
    assert licence.cycle_end == D(2026, 12, 31) and licence.state == "Texas"
    assert [m.topic for m in licence.mandates.all()] == ["Implicit bias"]
    assert not AuditEvent.objects.filter(action="licence.updated").exists()


@pytest.mark.django_db
def test_learner_deletes_their_licence_and_the_deletion_is_audited(learner):
    licence = _licence(learner)
    client = _client(learner)
    assert (
        "your credits and certificates stay as they are"
        in client.get(reverse("credits:licence_delete", args=[licence.pk])).content.decode()
    )

    response = client.post(reverse("credits:licence_delete", args=[licence.pk]))

    assert response.status_code == 302
    assert not Licence.objects.filter(pk=licence.pk).exists()
    assert not LicenceMandate.objects.exists()
    event = AuditEvent.objects.get(action="licence.deleted")
    assert event.object_id == str(licence.pk) and event.data["old"]["state"] == "Texas"


@pytest.mark.django_db
def test_another_learners_licence_is_not_found(learner, make_user):
    other = make_user("other@example.org", profile=True)
    licence = _licence(other, number="RN-999")
    client = _client(learner)

    assert client.get(reverse("credits:licence_edit", args=[licence.pk])).status_code == 404
    assert client.post(reverse("credits:licence_edit", args=[licence.pk]), _form()).status_code == 404
    assert client.get(reverse("credits:licence_delete", args=[licence.pk])).status_code == 404
    assert client.post(reverse("credits:licence_delete", args=[licence.pk])).status_code == 404
    assert "RN-999" not in client.get(reverse("credits:licences")).content.decode()
    assert "RN-999" not in client.get(reverse("credits:transcript")).content.decode()
    licence.refresh_from_db()
    assert licence.state == "Texas"
    assert not AuditEvent.objects.filter(action__in=["licence.updated", "licence.deleted"]).exists()


@pytest.mark.django_db
def test_the_pages_need_a_login(client):
    response = client.get(reverse("credits:licences"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_deleting_the_account_forgets_the_licences(learner):
    from django.db import transaction

    from podcastcme.account_deletion import account_delete

    _licence(learner, number="RN-12345")
    with transaction.atomic():
        account_delete(user=learner)

    assert not Licence.objects.filter(learner=learner).exists()
    assert not LicenceMandate.objects.exists()


@pytest.mark.django_db
def test_the_licence_pages_print_the_credit_mark_in_italics(learner):
    import re

    licence = _licence(learner, profession="physician")
    client = _client(learner)
    for url in (
        reverse("credits:licences"),
        reverse("credits:licence_create"),
        reverse("credits:licence_edit", args=[licence.pk]),
    ):
        page = re.sub(
            r"<title>.*?</title>|<option\b.*?</option>", "", client.get(url).content.decode(), flags=re.S
        )
        plain = [
            m.start()
            for m in re.finditer("AMA PRA Category 1 Credit", page)
            if not page[: m.start()].endswith("<em>")
        ]
        assert plain == [], url
