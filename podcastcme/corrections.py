"""Publishing a correction on an episode, and telling the CME activity's coordinators of it.

Two apps that do not see each other act (docs/architecture.md, "Reactions that span apps are run
from the top"), in one transaction:

1. ``discussion.corrections.correction_publish``: the correction, its audit row, the show's feed
   marked changed (the feed item shows it; hubs and fediverse followers hear of it after the commit);
2. ``credits.correction_notices.activity_correction_notify``: if the episode is a CME activity, its
   provider's coordinators are emailed after the commit (the content may need review), recorded on
   the activity.

A refusal of step 1 (``CorrectionError``) writes nothing and emails no one.
"""

from django.conf import settings
from django.db import transaction

from accounts.models import User
from credits.correction_notices import activity_correction_notify
from discussion.corrections import correction_publish
from discussion.models import Comment, Correction
from episodes.models import Episode


@transaction.atomic
def publish_correction(
    *, episode: Episode, text: str, by: User, prompted_by: Comment | None = None
) -> tuple[Correction, int]:
    """Publish the correction (``discussion``) and notify the activity's coordinators (``credits``).
    Returns the correction and how many coordinators will be emailed (0: not a CME episode)."""
    correction = correction_publish(episode=episode, text=text, by=by, prompted_by=prompted_by)
    notified = activity_correction_notify(
        episode_id=episode.pk,
        correction_text=correction.text,
        episode_url=settings.SITE_URL + correction.episode.get_absolute_url(),
    )
    return correction, notified
