"""/healthz: a load balancer learns "ok" or "unavailable"; operators (token or staff) get the details."""

import datetime
import json

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from credits.tasks import render_certificate
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

TOKEN = "Zq3-health-token-for-tests-8v6Ytq1LxP0wN4"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CHECKS = {"database", "cache", "storage", "tasks"}


@pytest.fixture(autouse=True)
def health_settings(settings, tmp_path):
    settings.PODCASTCME_HEALTHZ_TOKEN = TOKEN
    settings.MEDIA_ROOT = tmp_path / "media"


def _details(client, **headers):
    response = client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response["Content-Type"].startswith("application/json")
    return response, json.loads(response.content)


def _break_storage(settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker / "media"  # nothing can be written under a file, not even by root


def _stale_queue(settings, minutes: int = 20):
    settings.TASKS = DATABASE_TASKS
    result = render_certificate.enqueue(424242)
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def test_the_public_answer_is_ok_and_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers  # no session is made for a probe


def test_a_failing_part_is_503_without_saying_which(client, settings, tmp_path):
    _break_storage(settings, tmp_path)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable\n"


def test_the_token_shows_each_check_with_its_timing(client):
    response, body = _details(client)
    assert response.status_code == 200
    assert body["status"] == "ok" and body["problems"] == []
    assert set(body["checks"]) == CHECKS
    for name, check in body["checks"].items():
        assert check["ok"] is True, name
        assert check["ms"] >= 0
    assert body["checks"]["tasks"]["failed_last_day"] == 0


def test_the_storage_check_leaves_no_file_behind(client):
    client.get("/healthz")
    assert not default_storage.exists("health") or default_storage.listdir("health") == ([], [])


def test_the_token_shows_which_part_failed(client, settings, tmp_path):
    _break_storage(settings, tmp_path)
    response, body = _details(client)
    assert response.status_code == 503
    assert body["problems"] == ["storage: failed"]
    assert body["checks"]["storage"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_a_stale_task_queue_is_unavailable(client, settings):
    settings.PODCASTCME_HEALTHZ_TASK_MAX_AGE_SECONDS = 300
    _stale_queue(settings, minutes=20)
    assert client.get("/healthz").status_code == 503
    response, body = _details(client)
    assert response.status_code == 503
    assert body["problems"] == ["tasks: stale"]
    assert body["checks"]["tasks"]["oldest_ready_age_seconds"] >= 20 * 60 - 5


def test_a_young_queue_is_healthy(client, settings):
    settings.PODCASTCME_HEALTHZ_TASK_MAX_AGE_SECONDS = 3600
    _stale_queue(settings, minutes=20)
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token", f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer ", TOKEN],
)
def test_a_wrong_or_malformed_token_gets_the_public_answer(client, authorization):
    response = client.get("/healthz", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 200 and response.content == b"ok\n"


def test_without_a_configured_token_no_bearer_opens_the_details(client, settings):
    settings.PODCASTCME_HEALTHZ_TOKEN = ""
    for authorization in ["Bearer ", "Bearer", "Bearer None"]:
        response = client.get("/healthz", HTTP_AUTHORIZATION=authorization)
        assert response.content == b"ok\n"


def test_staff_see_the_details_and_others_do_not(client, make_user, learner):
    client.force_login(learner)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"

    staff = make_user("ops@example.org", is_staff=True)
    mfa_login(client, staff)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert set(json.loads(response.content)["checks"]) == CHECKS


def test_a_load_balancer_probing_over_http_by_address_gets_an_answer(client, settings):
    # Production: HTTPS redirect on and only the site's name allowed; the probe uses neither.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["cme.example.org"]
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert client.get("/healthz/", HTTP_HOST="10.0.3.7:8000").status_code == 200


def test_other_methods_are_refused(client):
    assert client.post("/healthz").status_code == 405
