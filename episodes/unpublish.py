"""Before a host takes a public episode out of listeners' reach (back to draft, or rescheduled into
the future): what other apps say the episode carries, so the host confirms knowingly.

Episodes sits below credits (docs/architecture.md) and may not ask it about the episode's CME
activity. credits registers a check here from its ``AppConfig.ready()`` (credits/episode_checks.py);
the host's edit page shows what the checks say and acts only on a second POST with ``confirm=1``.
Nothing here changes another app's records: learners in progress keep their state.
"""

import datetime
from collections.abc import Callable

from django.utils import timezone

from .models import Episode

# A check answers, for an episode about to leave listeners' reach, the sentences the host must read
# first (none: nothing to confirm).
UnpublishCheck = Callable[[Episode], list[str]]
_checks: list[UnpublishCheck] = []


def register_unpublish_check(check: UnpublishCheck) -> None:
    """Called once by a higher app's AppConfig.ready(); registering twice keeps one."""
    if check not in _checks:
        _checks.append(check)


def unpublish_warnings(episode: Episode) -> list[str]:
    """What the registered checks say about taking ``episode`` out of listeners' reach."""
    return [warning for check in _checks for warning in check(episode)]


def leaves_listeners(
    episode: Episode,
    *,
    status: str,
    publish_at: datetime.datetime | None,
    now: datetime.datetime | None = None,
) -> bool:
    """True when a public episode would stop being public with this status and publish time."""
    if not episode.is_public:
        return False
    now = now or timezone.now()
    stays_public = status == Episode.Status.PUBLISHED and (publish_at is None or publish_at <= now)
    return not stays_public
