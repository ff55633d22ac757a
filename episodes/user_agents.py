"""Which podcast app (or bot) a User-Agent header belongs to: the table download counting reads.

The approach follows the open podcast user-agent lists (the Open Podcast Analytics Working Group's
``opawg/user-agents`` and OP3's fork of it): an ordered list of patterns, bots first, each naming an
app; the first match wins. Only the few dozen clients that carry most podcast traffic are listed;
an unknown user agent is counted under "Other" (IAB: unknown clients count, known bots do not).
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Client:
    app: str  # the name hosts see on the dashboard ("" when there is no user agent at all)
    is_bot: bool  # recorded in the log, never counted


NO_USER_AGENT = Client(app="", is_bot=True)  # IAB: a request without a user agent is not counted
OTHER = Client(app="Other", is_bot=False)

# (pattern, app, is_bot), tried in order: bots before apps, because crawlers often add "Mozilla" or
# "iTunes" to look like a player, and apps before browsers, because in-app web views carry a browser's
# tokens too. Patterns are matched case-insensitively anywhere in the header.
_TABLE: list[tuple[str, str, bool]] = [
    # Bots, crawlers, feed checkers, monitoring and command-line tools: recorded, never counted.
    (r"bot\b|crawl|spider|slurp|archiver|facebookexternalhit|headlesschrome", "Bot", True),
    (
        r"^curl/|^wget/|python-requests|python-urllib|aiohttp|httpx|go-http-client|libwww-perl",
        "HTTP library",
        True,
    ),
    (
        r"podcastindex|podnews|chartable|podtrac.*check|feedvalidator|castfeedvalidator",
        "Directory check",
        True,
    ),
    # Podcast apps.
    (r"overcast", "Overcast", False),
    (r"pocket ?casts", "Pocket Casts", False),
    (r"^castro", "Castro", False),
    (r"antennapod", "AntennaPod", False),
    (r"podcast ?addict", "Podcast Addict", False),
    (r"castbox", "Castbox", False),
    (r"gpodder", "gPodder", False),
    (r"podverse", "Podverse", False),
    (r"fountain", "Fountain", False),
    (r"googlechirp|google-podcast|podcasts\.google", "Google Podcasts", False),
    (r"spotify", "Spotify", False),
    (r"player ?fm", "Player FM", False),
    (r"podcastguru|podcast guru", "Podcast Guru", False),
    (r"^podcasts/|itunes/|applecoremedia|apple ?podcasts|watchos/.*podcasts", "Apple Podcasts", False),
    # Web browsers (our own web player, or a listener opening the file): Edge and Chrome before Safari,
    # since Chrome's header also says "Safari" and Edge's also says "Chrome".
    (r"\bedg(e|a|ios)?/", "Edge", False),
    (r"firefox/|fxios/", "Firefox", False),
    (r"chrome/|crios/|chromium/", "Chrome", False),
    (r"safari/", "Safari", False),
]
_COMPILED = [(re.compile(pattern, re.IGNORECASE), Client(app, bot)) for pattern, app, bot in _TABLE]


def identify(user_agent: str) -> Client:
    """The app (and whether it is a bot) for one User-Agent header."""
    user_agent = (user_agent or "").strip()
    if not user_agent:
        return NO_USER_AGENT
    for pattern, client in _COMPILED:
        if pattern.search(user_agent):
            return client
    return OTHER
