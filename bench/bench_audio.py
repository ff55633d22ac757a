"""Audio: reading a 60-minute MP3's metadata at upload, and serving its bytes against nginx's floor.

(1) ``read_audio`` on an hour of MP3: milliseconds, not seconds (mutagen reads headers only).
(2) Issue 14 item 6: Apple's ``Range: bytes=0-1`` probe and a 1 MB range through the production
    path (nginx with the repository's config, deploy/nginx/, in front of gunicorn: public audio from
    the app's link tree) against the floor, the same nginx process serving the same file from a plain
    ``root`` location with nginx's default access log. The figure is nginx's capacity, requests per
    CPU-second of its worker, over paired runs in alternating order (the wall-clock ratio is in the
    name: on 2 shared cores it measures the load generator and the neighbours as much as nginx).
    The in-app path
    (gunicorn alone, no nginx: the embedded default) is shown for reference. The load generator is
    this process (keep-alive connections from a few threads): on 2 shared cores it costs as much as
    nginx, which narrows both figures alike.
"""

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from bench import Row
from bench._load import CLIENT_THREADS, requests_per_second
from bench._server import fresh_database, gunicorn
from episodes.audio import read_audio

READS = 50
# read_audio reads headers only: within 50x of opening the file and reading 10 KB (about 18x on the
# bench machine); reading the whole hour (14 MB) would be some 300x. A ratio, not milliseconds
# (issue 14 item 10): the floor is measured in the same run.
GOAL_RATIO = 50.0
BASELINE_BYTES = 10 * 1024
_DIR = Path(tempfile.gettempdir()) / "podcastcme-bench-audio"


def hour_mp3() -> Path:
    """A 60-minute 32 kbps mono MP3 (about 14 MB), made once and kept in a temp folder.

    One minute is encoded and looped 60 times by stream copy: 0.4 s instead of 9 s of encoding, and
    ffmpeg's MP3 muxer still writes a Xing header with the frame count of the whole hour.
    """
    out = _DIR / "hour-32k.mp3"
    if out.exists():
        return out
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is missing: apt-get install ffmpeg")
    _DIR.mkdir(exist_ok=True)
    minute = _DIR / "minute-32k.mp3"
    quiet = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:duration=60", "-ac", "1", "-ar", "44100"]
    subprocess.run([*quiet, *tone, "-c:a", "libmp3lame", "-b:a", "32k", str(minute)], check=True)
    partial = out.with_suffix(".part.mp3")
    subprocess.run([*quiet, "-stream_loop", "59", "-i", str(minute), "-c", "copy", str(partial)], check=True)
    partial.rename(out)  # only a complete file is ever reused
    return out


def _median_ms(action, times: int) -> float:
    action()  # warm the page cache and imports: we measure steady state, like a long-lived worker
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _read_head(path: Path) -> None:
    with path.open("rb") as handle:
        handle.read(BASELINE_BYTES)


# --- (2) serving audio: the production path against nginx static -------------------------------------

EDGE_GOAL = 0.8
PAIRS = 5
KEY = "bench-edge-key"
CASES = [  # (label, Range header, bytes expected, requests per run)
    ("probe bytes=0-1", "bytes=0-1", 2, 4000),
    ("1 MB range", "bytes=1048576-2097151", 1048576, 1000),
]


def _load(port: int, path: str, byte_range: str, expect: int, requests: int) -> float:
    """Requests per second for ``requests`` range GETs over keep-alive connections from a few threads."""

    def headers(number: int) -> dict[str, str]:
        return {
            "Host": "127.0.0.1",
            "Range": byte_range,
            "User-Agent": f"AppleCoreMedia/1.0 (bench {number})",
        }

    return requests_per_second(port, path, requests, headers=headers, status=206, length=expect)


@dataclass
class _Sides:
    wall_ratio: float  # median of the pairs' requests-per-second ratios (a / b)
    a_per_cpu: float  # requests per CPU-second of nginx's worker
    b_per_cpu: float


def _paired(
    nginx, a: tuple[int, str], b: tuple[int, str], byte_range: str, expect: int, requests: int
) -> _Sides:
    """Both targets served by the same nginx, in pairs run in alternating order.

    nginx's capacity for each, requests per CPU-second of its worker, is the figure: unlike requests
    per second on 2 shared cores, it does not move with the load generator or the other work on the
    machine. The wall-clock ratio is shown beside it.
    """
    ratios: list[float] = []
    cpu = {a: 0.0, b: 0.0}
    for n in range(PAIRS):
        order = [a, b] if n % 2 == 0 else [b, a]
        rps = {}
        for target in order:
            before = nginx.worker_cpu_seconds()
            rps[target] = _load(*target, byte_range, expect, requests)
            cpu[target] += nginx.worker_cpu_seconds() - before
        ratios.append(rps[a] / rps[b])
    done = PAIRS * (requests // CLIENT_THREADS) * CLIENT_THREADS
    return _Sides(statistics.median(ratios), done / max(cpu[a], 1e-9), done / max(cpu[b], 1e-9))


def _audio_lines(log: Path) -> list[dict]:
    time.sleep(1.2)  # the audio log is written in blocks at most a second apart
    lines = [json.loads(line) for line in log.read_text().splitlines() if line]
    return [line for line in lines if line.get("audio", "").startswith("/audio/")]


def _edge_rows() -> list[Row]:
    from django.conf import settings

    from episodes.models import Episode
    from episodes.services import episode_create, show_create
    from testkit.nginx import nginx_binary, repo_nginx
    from testkit.servers import free_port

    if nginx_binary() is None:
        raise RuntimeError("nginx is missing: apt-get install nginx-light")
    workdir = Path(tempfile.mkdtemp(prefix="podcastcme-bench-edge-"))
    media, edge = workdir / "media", workdir / "edge"
    media.mkdir()
    edge.mkdir()
    rows: list[Row] = []
    try:
        with (
            override_settings(MEDIA_ROOT=media, PODCASTCME_EDGE_AUDIO_ROOT=str(edge)),
            fresh_database() as (database_url, _tmp),
        ):
            show = show_create(host=None, data={
                "title": "Bench audio", "slug": "bench-audio", "description": "Bench.", "author": "Bench",
                "owner_name": "Bench", "owner_email": "bench@example.org",
            })  # fmt: skip
            episode = episode_create(
                show=show, actor=None, title="An hour",
                audio=SimpleUploadedFile("hour.mp3", hour_mp3().read_bytes()),
                status=Episode.Status.PUBLISHED, publish_at=timezone.now() - timedelta(days=1),
            )  # fmt: skip
            url, stored = episode.get_audio_url(), f"/{episode.audio.name}"
            extra = (
                f"MEDIA_ROOT = {str(media)!r}\nPODCASTCME_EDGE_AUDIO_ROOT = {str(edge)!r}\n"
                "PODCASTCME_COUNT_BUFFER_SECONDS = 1.0\n"
            )
            floor_port = free_port()
            floor = (
                # nginx serving the file as it comes, with its default access log (production logs too)
                f"server {{ listen 127.0.0.1:{floor_port}; access_log {workdir}/floor.access.log; "
                f"location / {{ root {media}; max_ranges 1; }} }}"
            )
            with (
                gunicorn(database_url, workdir, extra_settings=extra, prefix="bench_audio") as app_port,
                repo_nginx(workdir / "nginx", app_port=app_port, media_root=Path(settings.MEDIA_ROOT),
                           edge_root=edge, signing_key=KEY, extra_servers=floor) as nginx,
            ):  # fmt: skip
                production, static = (nginx.port, url), (floor_port, stored)
                for label, byte_range, expect, requests in CASES:
                    for target in (production, static, (app_port, url)):  # warm up
                        _load(*target, byte_range, expect, requests // 5)
                    sides = _paired(nginx, production, static, byte_range, expect, requests)
                    name = f"audio {label}: repo nginx/static per CPU-s (wall {sides.wall_ratio:.2f})"
                    ok = sides.a_per_cpu >= EDGE_GOAL * sides.b_per_cpu
                    rows.append(
                        Row(name, sides.a_per_cpu, sides.b_per_cpu, "/s", f"ratio >= {EDGE_GOAL}", ok)
                    )
                    floor_rps = _load(*static, byte_range, expect, requests // 3)
                    app_rps = _load(app_port, url, byte_range, expect, requests // 3)
                    rows.append(Row(
                        f"audio {label}: in-app gunicorn vs nginx static, req/s (reference)", app_rps,
                        floor_rps, "/s", "informational", True,
                    ))  # fmt: skip
                if any(line["upstream"] for line in _audio_lines(nginx.access_log)):
                    raise RuntimeError("the app was asked for public audio: the link tree did not work")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def run() -> list[Row]:
    return _read_audio_rows() + _edge_rows()


def _read_audio_rows() -> list[Row]:
    path = hour_mp3()
    info = read_audio(path)
    if abs(info.duration - 3600) > 5:
        raise RuntimeError(f"the benchmark file lasts {info.duration:.0f} s, not an hour")
    value = _median_ms(lambda: read_audio(path), READS)
    baseline = _median_ms(lambda: _read_head(path), READS)
    return [
        Row(
            name=f"read_audio 60-min MP3, median of {READS} (vs open+read 10 KB)",
            value=value,
            baseline=baseline,
            unit="ms",
            goal=f"ratio <= {GOAL_RATIO:g}",
            ok=value <= GOAL_RATIO * baseline,
        )
    ]
