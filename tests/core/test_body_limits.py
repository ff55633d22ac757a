"""Request body limits: a body larger than its route allows is refused (413) from the headers, unread."""

import asyncio
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import get_resolver, reverse

from credits.models import ExternalCredit
from episodes.models import Episode
from testkit.media import audio_bytes
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"


class UnreadableBody:
    """A request body that must never be read: the limit answers from the headers alone."""

    def __init__(self):
        self.reads = 0

    def _refuse(self, *args, **kwargs):
        self.reads += 1
        raise AssertionError("the request body was read")

    read = readline = readlines = __iter__ = _refuse


def _post_declaring(client: Client, url: str, length: int, content_type: str = MULTIPART):
    body = UnreadableBody()
    environ: dict[str, Any] = {"CONTENT_LENGTH": str(length), "wsgi.input": body}
    response = client.generic("POST", url, data=b"--BoUnDaRy", content_type=content_type, **environ)
    return response, body


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_an_anonymous_40_mb_post_to_the_login_page_is_refused_unread():
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # with a CSRF cookie, the CSRF check reads the body for the token
    response, body = _post_declaring(client, "/accounts/login/", 40 * MB)
    assert response.status_code == 413
    assert body.reads == 0
    assert "larger than the limit of 1.0 MB" in _text(response)
    assert "nothing was saved" in _text(response)


@pytest.mark.parametrize("content_type", [MULTIPART, "application/x-www-form-urlencoded", "application/json"])
def test_every_kind_of_body_over_the_default_limit_is_refused_unread(content_type):
    response, body = _post_declaring(Client(), "/accounts/signup/", MB + 1, content_type)
    assert response.status_code == 413 and body.reads == 0


def test_an_external_credit_file_over_its_limit_is_refused_before_the_body_arrives(learner):
    client = Client()
    client.force_login(learner)
    response, body = _post_declaring(client, reverse("credits:external_create"), 12 * MB)
    assert response.status_code == 413 and body.reads == 0
    assert "larger than the limit of 11.0 MB" in _text(response)
    assert not ExternalCredit.objects.exists()


def test_only_the_episode_upload_accepts_the_upload_limit(host, show):
    client = Client()
    mfa_login(client, host)
    upload = reverse("episodes:host_episode_upload", args=[show.slug])
    edit_limit = 40 * MB
    with override_settings(PODCASTCME_MAX_UPLOAD_BYTES=500 * MB):
        # The upload page takes a 400 MB body (so its body is read: the unreadable one complains)...
        with pytest.raises(AssertionError, match="body was read"):
            _post_declaring(client, upload, 400 * MB)
        # ... the other file forms do not.
        for name, args in [("episodes:host_show_edit", [show.slug]), ("episodes:host_show_create", [])]:
            response, body = _post_declaring(client, reverse(name, args=args), edit_limit + 1)
            assert response.status_code == 413 and body.reads == 0
        response, body = _post_declaring(client, upload, 500 * MB + 1)
        assert response.status_code == 413 and body.reads == 0


def test_an_episode_upload_larger_than_the_default_limit_is_stored(host, show):
    client = Client()
    mfa_login(client, host)
    audio = SimpleUploadedFile("episode.mp3", audio_bytes(10.0, "mp3"))
    post = {
        "title": "Awake fibreoptic intubation", "audio": audio, "status": "draft", "episode_type": "full",
        "persons-TOTAL_FORMS": "0", "persons-INITIAL_FORMS": "0",
    }  # fmt: skip
    with override_settings(PODCASTCME_MAX_BODY_BYTES=10_000):
        response = client.post(reverse("episodes:host_episode_upload", args=[show.slug]), post)
        assert response.status_code == 302
        assert Episode.objects.get().title == "Awake fibreoptic intubation"
        # The same limit still holds everywhere else.
        assert client.post("/accounts/login/", {"login": "x" * 20_000}).status_code == 413


def test_requests_without_a_body_are_not_affected():
    assert Client().get("/accounts/login/").status_code == 200


def test_the_limit_table_names_only_existing_routes(settings):
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns)
    assert set(settings.PODCASTCME_BODY_LIMITS) <= names
    for limit in settings.PODCASTCME_BODY_LIMITS.values():
        assert isinstance(limit, int) or isinstance(getattr(settings, limit), int)


# --- ASGI: Django reads the whole body before any middleware, so the limit wraps the application ---


def _asgi_post(path: str, headers: list, chunks: list[bytes]) -> tuple[int, bytes, int]:
    """POST through the wrapped ASGI application; (status, body, messages the app received)."""
    from django.core.asgi import get_asgi_application

    from podcastcme.limits import BodyLimitASGIMiddleware

    app = BodyLimitASGIMiddleware(get_asgi_application())
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }  # fmt: skip
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]
    received, sent = [], []

    async def receive():
        if queue:
            received.append(queue[0])
            return queue.pop(0)
        await asyncio.sleep(3600)  # no disconnect: the client waits for the answer

    async def send(message):
        sent.append(message)

    async def run():
        await asyncio.wait_for(app(scope, receive, send), timeout=30)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, len(received)


def test_asgi_refuses_a_declared_40_mb_body_without_receiving_it():
    status, body, received = _asgi_post(
        "/accounts/login/", [(b"content-length", str(40 * MB).encode())], [b"x" * 1024] * 3
    )
    assert status == 413 and received == 0
    assert "larger than the limit of 1.0 MB" in " ".join(body.decode().split())


def test_asgi_stops_a_chunked_body_once_it_passes_the_limit():
    # No Content-Length: 8 MB in 256 KB messages; reading stops after the fifth.
    status, body, received = _asgi_post("/accounts/login/", [], [b"x" * 256 * 1024] * 32)
    assert status == 413 and received == 5
    assert b"nothing was saved" in body
