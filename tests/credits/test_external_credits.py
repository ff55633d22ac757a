"""Self-reported credits: add, edit, delete, the certificate file check, owner-only downloads."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits.models import ExternalCredit, MandateTopic
from testkit.media import make_artwork


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf() -> bytes:
    return make_artwork(200, "PDF")  # Pillow writes a real one-page PDF


def _form(**extra) -> dict:
    data = {
        "title": "Grand rounds: sepsis",
        "provider_name": "City Hospital",
        "completed_on": "2024-05-10",
        "credits": "1.5",
        "credit_type": "ama_pra_1",
    }
    data.update(extra)
    return data


def _stored_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "external-credits"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def other(make_user):
    return make_user("other@example.org", profile=True)


def _create(client, **extra):
    return client.post(reverse("credits:external_create"), _form(**extra))


@pytest.mark.django_db
def test_learner_adds_a_credit_with_a_pdf_and_it_shows_as_self_reported(learner):
    topic = MandateTopic.objects.get(slug="implicit-bias")
    client = _client(learner)
    before = _stored_files()
    upload = SimpleUploadedFile("certificate.pdf", _pdf(), content_type="application/pdf")

    response = _create(client, certificate_file=upload, mandate_topics=[topic.pk])

    assert response.status_code == 302
    credit = ExternalCredit.objects.get(learner=learner)
    assert (credit.title, credit.credits, credit.completed_on) == (
        "Grand rounds: sepsis",
        Decimal("1.50"),
        datetime.date(2024, 5, 10),
    )
    assert list(credit.mandate_topics.all()) == [topic]
    assert credit.certificate_file.name.startswith(f"external-credits/{learner.pk}/")
    assert credit.certificate_file.name.endswith(".pdf")
    assert len(_stored_files()) == len(before) + 1
    assert (
        AuditEvent.objects.for_object(credit).filter(action="external_credit.created", actor=learner).exists()
    )
    page = client.get(reverse("credits:transcript")).content.decode()
    assert "Grand rounds: sepsis" in page and "self-reported" in page
    assert reverse("credits:external_file", args=[credit.pk]) in page


@pytest.mark.django_db
def test_the_owner_downloads_the_file_as_an_attachment_of_its_real_type(learner):
    png = make_artwork(64, "PNG")
    _create(_client(learner), certificate_file=SimpleUploadedFile("scan.pdf", png, "application/pdf"))
    credit = ExternalCredit.objects.get(learner=learner)
    assert credit.certificate_file.name.endswith(".png")  # named by its bytes, not by the upload

    response = _client(learner).get(reverse("credits:external_file", args=[credit.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png


@pytest.mark.django_db
def test_jpeg_is_accepted(learner):
    jpeg = make_artwork(64, "JPEG")
    response = _create(_client(learner), certificate_file=SimpleUploadedFile("photo.jpg", jpeg, "image/jpeg"))
    assert response.status_code == 302
    credit = ExternalCredit.objects.get(learner=learner)
    download = _client(learner).get(reverse("credits:external_file", args=[credit.pk]))
    assert download["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_another_learner_cannot_reach_the_file_edit_or_delete(learner, other):
    _create(_client(learner), certificate_file=SimpleUploadedFile("c.pdf", _pdf(), "application/pdf"))
    credit = ExternalCredit.objects.get(learner=learner)
    intruder = _client(other)

    assert intruder.get(reverse("credits:external_file", args=[credit.pk])).status_code == 404
    assert intruder.get(reverse("credits:external_edit", args=[credit.pk])).status_code == 404
    assert (
        intruder.post(reverse("credits:external_edit", args=[credit.pk]), _form(title="Hacked")).status_code
        == 404
    )
    assert intruder.post(reverse("credits:external_delete", args=[credit.pk])).status_code == 404
    credit.refresh_from_db()
    assert credit.title == "Grand rounds: sepsis"
    assert "Grand rounds" not in intruder.get(reverse("credits:transcript")).content.decode()
    # Not logged in: sent to log in, never the file.
    anonymous = Client().get(reverse("credits:external_file", args=[credit.pk]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.django_db
def test_a_credit_without_a_file_has_no_download(learner):
    _create(_client(learner))
    credit = ExternalCredit.objects.get(learner=learner)
    assert _client(learner).get(reverse("credits:external_file", args=[credit.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"credits": "0"}, "credits", "Credits must be more than 0."),
        ({"credits": "-1"}, "credits", "Credits must be more than 0."),
        ({"credits": "500.01"}, "credits", "Credits can be at most 500."),
        ({"credits": "1.255"}, "credits", "Ensure that there are no more than 2 decimal places."),
        ({"credits": "lots"}, "credits", "Enter a number."),
        ({"completed_on": "2024-02-30"}, "completed_on", "Enter the completion date as YYYY-MM-DD."),
        ({"credit_type": "gold_stars"}, "credit_type", "Select a valid choice."),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(learner, extra, field, message):
    response = _create(_client(learner), **extra)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not ExternalCredit.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="external_credit.").exists()


@pytest.mark.django_db
def test_a_future_date_is_refused(learner):
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)

    response = _create(_client(learner), completed_on=tomorrow.isoformat())

    assert response.status_code == 400
    assert "The completion date cannot be in the future." in response.content.decode()
    assert not ExternalCredit.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "certificate.pdf",
            b"This is plain text pretending to be a PDF.\n" * 10,
            "is not a PDF, JPEG or PNG",
        ),
        ("certificate.pdf", b"GIF89a" + b"\x00" * 100, "is not a PDF, JPEG or PNG"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "larger than 10 MB"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(learner, name, content, message):
    before = _stored_files()

    response = _create(
        _client(learner), certificate_file=SimpleUploadedFile(name, content, "application/pdf")
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ExternalCredit.objects.exists()
    assert _stored_files() == before


@pytest.mark.django_db
def test_learner_edits_their_credit_and_replaces_then_removes_the_file(
    learner, django_capture_on_commit_callbacks
):
    client = _client(learner)
    _create(client, certificate_file=SimpleUploadedFile("c.pdf", _pdf(), "application/pdf"))
    credit = ExternalCredit.objects.get(learner=learner)
    first = Path(credit.certificate_file.path)
    url = reverse("credits:external_edit", args=[credit.pk])
    assert client.get(url).status_code == 200

    png = make_artwork(32, "PNG")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, _form(credits="2.25", certificate_file=SimpleUploadedFile("new.png", png, "image/png"))
        )

    assert response.status_code == 302
    credit.refresh_from_db()
    assert credit.credits == Decimal("2.25")
    assert credit.certificate_file.name.endswith(".png")
    assert not first.exists()  # the replaced file is gone
    event = AuditEvent.objects.for_object(credit).get(action="external_credit.updated")
    assert event.data["before"]["credits"] == "1.50" and event.data["after"]["credits"] == "2.25"

    second = Path(credit.certificate_file.path)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _form(credits="2.25", remove_file="on"))
    credit.refresh_from_db()
    assert not credit.certificate_file
    assert not second.exists()


@pytest.mark.django_db
def test_a_bad_edit_changes_nothing(learner):
    client = _client(learner)
    _create(client)
    credit = ExternalCredit.objects.get(learner=learner)

    response = client.post(
        reverse("credits:external_edit", args=[credit.pk]), _form(credits="0", title="Changed")
    )

    assert response.status_code == 400
    credit.refresh_from_db()
    assert (credit.title, credit.credits) == ("Grand rounds: sepsis", Decimal("1.50"))
    assert not AuditEvent.objects.filter(action="external_credit.updated").exists()


@pytest.mark.django_db
def test_learner_deletes_their_credit_with_its_file_and_an_audit_row(
    learner, django_capture_on_commit_callbacks
):
    client = _client(learner)
    _create(client, certificate_file=SimpleUploadedFile("c.pdf", _pdf(), "application/pdf"))
    credit = ExternalCredit.objects.get(learner=learner)
    path = Path(credit.certificate_file.path)
    url = reverse("credits:external_delete", args=[credit.pk])
    assert "Grand rounds: sepsis" in client.get(url).content.decode()  # asks first

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    assert not ExternalCredit.objects.exists()
    assert not path.exists()
    event = AuditEvent.objects.get(action="external_credit.deleted", object_id=str(credit.pk))
    assert event.actor == learner and event.data["title"] == "Grand rounds: sepsis"


@pytest.mark.django_db
def test_posts_need_the_csrf_token(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)

    response = client.post(reverse("credits:external_create"), _form())

    assert response.status_code == 403
    assert not ExternalCredit.objects.exists()
