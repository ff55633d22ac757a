"""Uploading a 1 GB episode through the real upload view: the server's peak memory above idle.

A gunicorn server (one sync worker, in the venv) runs against a temporary SQLite database and a
temporary MEDIA_ROOT. A host with TOTP is created in that database (so the MFA gate on /host/ is
passed the normal way, not switched off) and given a session row; the multipart body is streamed
from a generator with http.client in 1 MiB chunks, so the client never holds the file either.
The audio is a real CBR MP3 (ffmpeg, no Xing header) repeated to 1 GiB: mutagen reads it as an
MP3 of ~37 hours and the upload goes through measuring and tagging like any other.
"""

import http.client
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import Row
from bench._server import stop
from testkit.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
TARGET_BYTES = 1024**3
CHUNK = 1024 * 1024
GOAL_MB = 150.0

SETUP = """
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from episodes.models import Show, ShowHost
user = User.objects.create_user(email="bench-host@example.org", password="bench-password-0123")
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
TOTP.activate(user, generate_totp_secret())
RecoveryCodes.activate(user)
show = Show.objects.create(title="Bench Show", slug="bench-show", description="d", author="a",
                           owner_name="o", owner_email="o@example.org")
ShowHost.objects.create(show=show, user=user)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
# A finished two-factor login, as allauth records it: the MFA gate checks this session did TOTP.
import time
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY, AUTHENTICATION_METHODS_SESSION_KEY)
from allauth.mfa.models import Authenticator
device = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
session[AUTHENTICATION_METHODS_SESSION_KEY] = [
    {"method": "password", "at": time.time(), "email": user.email},
    {"method": "mfa", "at": time.time(), "id": device.pk, "type": "totp"},
]
session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
session.create()
print(session.session_key)
"""


def _tree_rss_kb(pid: int) -> int:
    """VmRSS of a process and all its descendants (gunicorn master + worker), in kB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _make_mp3_unit(folder: Path) -> bytes:
    """A minute of CBR MP3 frames with no ID3 tag and no Xing header: repeatable end to end."""
    out = folder / "unit.mp3"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=60",
         "-ac", "1", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "64k",
         "-write_xing", "0", "-id3v2_version", "0", "-f", "mp3", str(out)],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


def _multipart(fields: dict[str, str], unit: bytes, boundary: str):
    """(content length, chunk generator) for a multipart body whose file is ``unit`` repeated."""
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="long.mp3"\r\n'
        f"Content-Type: audio/mpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    repeats = TARGET_BYTES // len(unit)
    length = len(head) + repeats * len(unit) + len(tail)

    def chunks():
        yield head
        block = unit * max(1, CHUNK // len(unit))
        sent = 0
        while sent < repeats:
            count = min(repeats - sent, max(1, CHUNK // len(unit)))
            yield block if count * len(unit) == len(block) else unit * count
            sent += count
        yield tail

    return length, chunks()


def run() -> list[Row]:
    work = Path(tempfile.mkdtemp(prefix="podcastcme-bench-upload-"))
    server = None
    try:
        media, uploads = work / "media", work / "upload-tmp"
        media.mkdir()
        uploads.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            DJANGO_SETTINGS_MODULE="podcastcme.settings.test",
            DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
            MEDIA_ROOT=str(media),
            FILE_UPLOAD_TEMP_DIR=str(uploads),
            PODCASTCME_MAX_UPLOAD_BYTES=str(TARGET_BYTES + 10 * CHUNK),
            PYTHONPATH=str(ROOT),
        )
        python = sys.executable
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        session_key = subprocess.run(
            [python, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        unit = _make_mp3_unit(work)

        port = free_port()
        gunicorn = str(Path(python).with_name("gunicorn"))
        server = subprocess.Popen(
            [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "900",
             "--log-level", "warning", "podcastcme.wsgi:application"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        csrf = secrets.token_hex(16)  # a 32-character CSRF secret, sent as cookie and form field
        cookies = f"sessionid={session_key}; csrftoken={csrf}"
        path = "/host/shows/bench-show/episodes/new/"
        for _ in range(100):  # wait for the server, then warm it up with the real page
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", path, headers={"Cookie": cookies, "Host": "127.0.0.1"})
                warm = conn.getresponse()
                warm.read()
                conn.close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the bench server did not start")
        if warm.status != 200:
            raise RuntimeError(f"the upload page answered {warm.status}, not 200")
        time.sleep(0.5)
        idle_kb = max(_tree_rss_kb(server.pid) for _ in range(5))

        peak = [idle_kb]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_kb(server.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        boundary = "benchboundary" + secrets.token_hex(8)
        fields = {
            "csrfmiddlewaretoken": csrf,
            "title": "A very long episode",
            "episode_type": "full",
            "status": "published",
            "persons-TOTAL_FORMS": "0",
            "persons-INITIAL_FORMS": "0",
            "persons-MIN_NUM_FORMS": "0",
            "persons-MAX_NUM_FORMS": "20",
        }
        length, body = _multipart(fields, unit, boundary)
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        conn.putrequest("POST", path)
        for name, value in {
            "Cookie": cookies,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        }.items():
            conn.putheader(name, value)
        conn.endheaders()
        for chunk in body:
            conn.send(chunk)
        response = conn.getresponse()
        response.read()
        conn.close()
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        stored = list((media / "audio").rglob("*.mp3")) if (media / "audio").exists() else []
        if response.status != 302 or not stored:
            raise RuntimeError(f"the upload was not stored (HTTP {response.status})")
        size_mb = stored[0].stat().st_size / 1024**2
        print(
            f"  uploaded {length / 1024**2:,.0f} MiB in {elapsed:.1f} s; stored {size_mb:,.0f} MiB",
            flush=True,
        )
        above_mb = (peak[0] - idle_kb) / 1024
        return [
            Row(
                name="upload 1 GiB: server peak RSS above idle (MB)",
                value=above_mb,
                baseline=None,
                unit="MB",
                goal=f"<= {GOAL_MB:.0f} MB",
                ok=above_mb <= GOAL_MB,
            )
        ]
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(work, ignore_errors=True)
