"""A few days of plausible download history for the demo show, fed through the real counting rules."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from .analytics.recording import record_request
from .delivery import Served
from .models import DownloadRequest, Episode, Show

# (user agent, weight, how the app fetches: "apple" probes bytes=0-1 then asks for the rest,
# "ranges" fetches in 1 MiB-ish chunks, "whole" one GET of the file).
APPS = [
    ("AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)", 30, "apple"),
    ("Podcasts/1650.20 CFNetwork/1490.0.4 Darwin/23.2.0", 10, "apple"),
    ("Spotify/8.9.10 Android/34 (Pixel 8)", 18, "ranges"),
    ("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)", 8, "whole"),
    ("PocketCasts/1.0 (Pocket Casts Feed Parser; +http://pocketcasts.com/)", 6, "whole"),
    ("AntennaPod/3.4.0", 6, "ranges"),
    ("PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)", 5, "ranges"),
    ("Castro 2024.3/1234 CFNetwork", 3, "whole"),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
        8,
        "ranges",
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", 4, "whole"),
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "",  # no user agent at all
]


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.3:  # documentation prefixes (RFC 3849 / RFC 5737): no real listener's address
        return (
            f"2001:db8:{rng.randrange(1, 0xFFFF):x}:{rng.randrange(0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}"
        )
    return f"{rng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{rng.randrange(1, 255)}"


def _requests(rng: random.Random, style: str, size: int) -> list[tuple[str, int, int | None, int | None]]:
    """(method, status, first byte, last byte) for one listener fetching one episode."""
    if style == "apple":
        return [("GET", 206, 0, 1), ("GET", 206, 0, size - 1)]
    if style == "ranges":
        chunk = max(size // 3, 1)
        return [("GET", 206, start, min(start + chunk, size) - 1) for start in range(0, size, chunk)]
    return [("GET", 200, 0, size - 1)]


def seed_demo_downloads(*, show: Show, days: int = 7, now: datetime | None = None) -> int:
    """Feed synthetic requests for the show's public episodes through ``record_request``.

    Several apps, some bots, HEAD requests and listeners who come back the same day (de-duplicated).
    Returns the number of requests recorded; 0 when the show already has a download history.
    """
    if DownloadRequest.objects.filter(episode__show=show).exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(f"podcastcme-demo-{show.slug}")
    episodes = list(Episode.objects.filter(show=show).published(now))
    weights = [weight for _, weight, _ in APPS]
    recorded = 0
    for episode in episodes:
        size = episode.audio.size
        for day in range(days, -1, -1):
            start = now - timedelta(days=day, hours=23)
            if episode.publish_at > start:
                continue
            # Most listening happens in the first days after release, then a long tail.
            age = (start - episode.publish_at).days
            for _ in range(rng.randint(2, 6) + max(0, 8 - 2 * age)):
                user_agent, _, style = rng.choices(APPS, weights)[0]
                ip = _ip(rng)
                at = start + timedelta(minutes=rng.randrange(0, 22 * 60))
                visits = 2 if rng.random() < 0.15 else 1  # a repeat listener: counted once
                for visit in range(visits):
                    when = at + timedelta(hours=3 * visit)
                    if rng.random() < 0.2:  # apps often check the file first
                        record_request(
                            episode=episode, served=_served("HEAD", 200, None, None, size), ip=ip,
                            user_agent=user_agent, now=when,
                        )  # fmt: skip
                        recorded += 1
                    for method, status, first, last in _requests(rng, style, size):
                        when += timedelta(seconds=2)
                        record_request(
                            episode=episode, served=_served(method, status, first, last, size), ip=ip,
                            user_agent=user_agent, now=when,
                        )  # fmt: skip
                        recorded += 1
            for user_agent in rng.sample(BOTS, rng.randint(0, 2)):
                record_request(
                    episode=episode, served=_served("GET", 200, 0, size - 1, size), ip=_ip(rng),
                    user_agent=user_agent, now=start + timedelta(hours=rng.randrange(1, 20)),
                )  # fmt: skip
                recorded += 1
    return recorded


def _served(method: str, status: int, first: int | None, last: int | None, size: int) -> Served:
    return Served(
        method=method, status=status, start=first, end=last, size=size, via_nginx=False,
        range_requested=status == 206,
    )  # fmt: skip
