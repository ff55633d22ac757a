"""Upload faults: an oversized body, a worker killed mid-upload, a full disk, a refused database write.

Each leaves nothing behind: no partial file in MEDIA_ROOT, no temporary upload, no row.
"""

import contextlib
import io
import os
import resource
import signal
import time
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from credits.models import ExternalCredit
from episodes.models import Episode, Show, ShowHost
from episodes.services import episode_create
from episodes.upload import UPLOAD_TEMP_PREFIX
from testkit.media import audio_bytes, make_artwork
from testkit.mfa import mfa_login
from testkit.servers import gunicorn, raw_request, read_status
from testkit.storage import tmpfs

MB = 1024 * 1024
BOUNDARY = "FaUlTbOuNdArY"


def _files(root) -> set[Path]:
    root = Path(root)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def _upload_post(audio: bytes, name: str = "episode.mp3") -> dict:
    return {
        "title": "Awake tracheal intubation", "notes": "", "episode_type": "full", "status": "draft",
        "audio": SimpleUploadedFile(name, audio, content_type="audio/mpeg"),
        "persons-TOTAL_FORMS": "0", "persons-INITIAL_FORMS": "0",
    }  # fmt: skip


def _text(response) -> str:
    return " ".join(response.content.decode().split())


# --- bodies larger than their route allows ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_gunicorn_answers_a_40_mb_login_post_413_without_waiting_for_the_body(database, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with gunicorn(database, tmp_path, extra_settings=f"FILE_UPLOAD_TEMP_DIR = {str(uploads)!r}\n") as server:
        # A CSRF cookie, as an attacker would fetch first: with it, the CSRF check reads the body.
        head = (
            "POST /accounts/login/ HTTP/1.1\nHost: 127.0.0.1\nCookie: csrftoken=" + "a" * 32 + "\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\nContent-Length: {40 * MB}"
        )
        part = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="junk"; filename="junk.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        started = time.monotonic()
        sock = raw_request(server.port, head, part + b"\0" * 64 * 1024)
        with sock:
            status = read_status(sock, timeout=5)
        assert status.startswith("HTTP/1.1 413"), f"no 413 within 5 s (got {status!r}): the server waited"
        assert time.monotonic() - started < 5
    assert not _files(uploads)


# --- a worker killed while an upload arrives ---------------------------------------------------------


def _host_with_show() -> tuple[User, Show]:
    user = User.objects.create_user(email="host@example.org", password="correct-horse-battery-9")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    show = Show.objects.create(
        title="Airway Rounds", slug="airway-rounds", description="Airway cases.", author="Society",
        owner_name="Society", owner_email="podcast@example.org",
    )  # fmt: skip
    ShowHost.objects.create(show=show, user=user)
    return user, show


def _open_by(pid: int, folder: Path) -> bool:
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the process is gone
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if Path(os.readlink(fd)).parent == folder:
                return True
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_upload_leaves_a_temporary_file_that_the_sweep_removes(database, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    host, show = _host_with_show()
    client = Client()
    mfa_login(client, host)
    media_before = _files(settings.MEDIA_ROOT)
    extra = f"FILE_UPLOAD_TEMP_DIR = {str(uploads)!r}\n"
    with gunicorn(database, tmp_path, extra_settings=extra) as server:
        head = (
            f"POST /host/shows/{show.slug}/episodes/new/ HTTP/1.1\nHost: 127.0.0.1\n"
            f"Cookie: sessionid={client.cookies['sessionid'].value}; csrftoken={'a' * 32}\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\nContent-Length: {8 * MB}"
        )
        part = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nHalf an episode\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; filename="half.mp3"\r\n'
            "Content-Type: audio/mpeg\r\n\r\n"
        ).encode()
        sock = raw_request(server.port, head, part + audio_bytes(300.0, "mp3")[: 2 * MB])
        with sock:
            deadline = time.monotonic() + 15
            while not (_files(uploads) and any(p.stat().st_size > MB // 2 for p in _files(uploads))):
                assert time.monotonic() < deadline, read_status(sock, 0.1) + server.log_text()
                time.sleep(0.05)
            (worker,) = server.workers()
            assert _open_by(worker, uploads)  # this worker is writing the upload
            os.kill(worker, signal.SIGKILL)
            while Path(f"/proc/{worker}").exists() and _open_by(worker, uploads):
                time.sleep(0.05)
    (left,) = _files(uploads)  # the fault: a killed process deletes nothing
    assert left.name.startswith(UPLOAD_TEMP_PREFIX)
    assert not Episode.objects.exists() and not AuditEvent.objects.filter(action="episode.created").exists()
    assert _files(settings.MEDIA_ROOT) == media_before  # nothing half-stored

    # An upload still arriving (recent) and a file that is not ours stay; the stale one goes.
    live = uploads / f"{UPLOAD_TEMP_PREFIX}still-arriving.upload.mp3"
    live.write_bytes(b"arriving")
    foreign = uploads / "someone-elses.tmp"
    foreign.write_bytes(b"not ours")
    hours_ago = time.time() - 7 * 3600
    os.utime(left, (hours_ago, hours_ago))
    os.utime(foreign, (hours_ago, hours_ago))
    out = io.StringIO()
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(uploads)):
        call_command("sweep_upload_temp", "--dry-run", stdout=out)
        assert _files(uploads) == {left, live, foreign} and f"would delete {left}" in out.getvalue()
        call_command("sweep_upload_temp", stdout=out)
    assert _files(uploads) == {live, foreign}
    assert f"deleted {left}" in out.getvalue()


# --- a full disk ---------------------------------------------------------------------------------------


@pytest.fixture
def host_client(db):
    host, show = _host_with_show()
    client = Client()
    mfa_login(client, host)
    client.show = show
    return client


def _assert_refused_for_space(response):
    assert response.status_code == 507
    text = _text(response)
    assert "not enough free disk space" in text and "nothing was saved" in text


def test_disk_full_while_the_upload_arrives_refuses_it_and_leaves_nothing(host_client, tmp_path):
    # One small tmpfs as MEDIA_ROOT and as the upload folder: the upload itself fills it.
    with tmpfs(tmp_path / "small", "2m") as small:
        with override_settings(MEDIA_ROOT=str(small), FILE_UPLOAD_TEMP_DIR=str(small)):
            response = host_client.post(
                reverse("episodes:host_episode_upload", args=[host_client.show.slug]),
                _upload_post(audio_bytes(420.0, "mp3")),  # 3.4 MB
            )
        _assert_refused_for_space(response)
        assert not _files(small)
    assert not Episode.objects.exists()


def test_disk_full_while_storing_the_audio_leaves_no_partial_file(host_client, tmp_path):
    # The upload arrives in a roomy folder; MEDIA_ROOT (another filesystem) fills while it is copied in.
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with tmpfs(tmp_path / "media", "2m") as media:
        (media / "already-here.bin").write_bytes(b"\0" * (MB // 2))
        # Every upload goes to a temporary file (as large ones do), then is copied across filesystems.
        on_disk = {"FILE_UPLOAD_TEMP_DIR": str(uploads), "FILE_UPLOAD_MAX_MEMORY_SIZE": 0}
        with override_settings(MEDIA_ROOT=str(media), **on_disk):
            response = host_client.post(
                reverse("episodes:host_episode_upload", args=[host_client.show.slug]),
                _upload_post(audio_bytes(240.0, "mp3")),  # 1.9 MB
            )
        _assert_refused_for_space(response)
        assert _files(media) == {media / "already-here.bin"}
    assert not _files(uploads)
    assert not Episode.objects.exists()


def test_disk_full_while_a_learners_certificate_arrives_refuses_it_clearly(learner, tmp_path):
    client = Client()
    client.force_login(learner)
    post = {
        "title": "Grand rounds: sepsis", "provider_name": "City Hospital", "completed_on": "2024-05-10",
        "credits": "1.5", "credit_type": "ama_pra_1",
        "certificate_file": SimpleUploadedFile("certificate.pdf", b"%PDF-1.4\n" + os.urandom(3 * MB)),
    }  # fmt: skip
    with tmpfs(tmp_path / "small", "1m") as small:
        # Every upload to a temporary file on the small disk (as large ones are).
        on_disk = {"FILE_UPLOAD_TEMP_DIR": str(small), "FILE_UPLOAD_MAX_MEMORY_SIZE": 0}
        with override_settings(**on_disk):
            response = client.post(reverse("credits:external_create"), post)
        _assert_refused_for_space(response)
        assert not _files(small)
    assert not ExternalCredit.objects.exists()


@contextlib.contextmanager
def file_size_limit(limit: int):
    """RLIMIT_FSIZE for this process: writing past ``limit`` bytes fails with EFBIG (a real write error)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the default kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_write_error_while_storing_the_audio_leaves_no_partial_file(host_client, tmp_path):
    # Needs no mount: the kernel refuses to let this process write a file past 1 MB (EFBIG).
    audio = audio_bytes(240.0, "mp3")  # 1.9 MB, held in memory by the upload handler
    before = _files(settings.MEDIA_ROOT)
    with file_size_limit(MB):
        response = host_client.post(
            reverse("episodes:host_episode_upload", args=[host_client.show.slug]), _upload_post(audio)
        )
    _assert_refused_for_space(response)
    assert _files(settings.MEDIA_ROOT) == before
    assert not Episode.objects.exists()


@pytest.mark.parametrize("page", ["create", "edit"])
def test_a_write_error_while_storing_show_artwork_leaves_no_partial_file(host_client, page):
    show = host_client.show
    artwork = make_artwork(1400, "PNG")  # a flat PNG: small, but larger than the 2 KB allowed below
    post = {
        "title": "Obstetric Anaesthesia", "slug": "ob-anaesthesia", "description": "Cases.",
        "author": "Society", "owner_name": "Society", "owner_email": "podcast@example.org",
        "language": "en", "category": "Health & Fitness", "subcategory": "Medicine",
        "show_type": "episodic", "artwork": SimpleUploadedFile("cover.png", artwork),
    }  # fmt: skip
    if page == "create":
        url = reverse("episodes:host_show_create")
    else:
        url = reverse("episodes:host_show_edit", args=[show.slug])
    before = _files(settings.MEDIA_ROOT)
    with file_size_limit(2048):
        response = host_client.post(url, post)
    _assert_refused_for_space(response)
    assert _files(settings.MEDIA_ROOT) == before
    assert Show.objects.count() == 1 and not Show.objects.get().artwork


# --- the database refuses a write after the files were stored ---------------------------------------


@contextlib.contextmanager
def audit_writes_refused():
    """A real database trigger that refuses every new audit row (as a full or read-only database would)."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse_audit BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'audit log unavailable'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_audit BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_audit()"
            )
    yield  # the test's transaction rolls the trigger back


def test_a_database_error_after_storing_deletes_the_stored_files(host_client):
    before = _files(settings.MEDIA_ROOT)
    with audit_writes_refused(), pytest.raises(DatabaseError, match="audit log unavailable"):
        episode_create(
            show=host_client.show,
            actor=None,
            title="Awake tracheal intubation",
            audio=SimpleUploadedFile("episode.mp3", audio_bytes(5.0, "mp3")),
            transcript=SimpleUploadedFile("transcript.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"),
        )
    assert _files(settings.MEDIA_ROOT) == before
    assert not Episode.objects.exists()


def test_a_tagging_failure_deletes_the_stored_files(host_client):
    show = host_client.show
    show.artwork.name = "shows/gone/artwork.jpg"  # its file is missing: tagging cannot read the cover
    show.save()
    before = _files(settings.MEDIA_ROOT)
    with pytest.raises(OSError):
        episode_create(
            show=show, actor=None, title="Awake tracheal intubation",
            audio=SimpleUploadedFile("episode.mp3", audio_bytes(5.0, "mp3")),
        )  # fmt: skip
    assert _files(settings.MEDIA_ROOT) == before
    assert not Episode.objects.exists()
