"""The demo's discussion (``manage.py seed_demo``): peer review under the demo CME episode.

Written through the services, so each comment, pin, hide and the correction has its audit row:

- the demo learner's comment citing a DOI and a PMID, which prompted the host's correction;
- a reply from the Fediverse (``@dr.airway@mastodon.example``, remote origin) citing a DOI;
- the nurse's comment, pinned by the host;
- the pharmacist's advertisement, hidden by the host with a reason (kept, audited);
- the host's correction of what the episode said about confirming the tube, prompted by the first
  comment (shown on the episode page and dated in its feed item).

The DOI (Crossref's test prefix 10.5555) and the PMID are examples, not the sources of the claims.
Idempotent: an episode that already has comments is left as it is.
"""

from django.conf import settings

from accounts.models import User
from episodes.models import Episode

from .corrections import correction_publish
from .models import Comment, Correction
from .services import comment_approve, comment_hide, comment_pin, comment_post, comment_receive_remote

DEMO_REMOTE_ACTOR = "https://mastodon.example/users/dr.airway"
DEMO_REMOTE_HANDLE = "@dr.airway@mastodon.example"

LEARNER_COMMENT = (
    "Worth adding to the part on confirming the tube: on a transverse view, a second air shadow "
    "beside the trachea (the double tract sign) means the tube is in the oesophagus. One air shadow "
    "alone is not the whole check."
)
LEARNER_REFERENCES = "doi:10.5555/demo.airway-ultrasound.2024, PMID 12345678"
REMOTE_REPLY = (
    '<p><span class="h-card"><a href="{show_url}" class="u-url mention">@<span>airway-rounds</span></a>'
    "</span> Agreed, and waveform capnography still confirms every intubation. Good summary in "
    "doi:10.5555/demo.capnography.2023</p>"
)
NURSE_COMMENT = (
    "We now mark the cricothyroid membrane with a skin pen at the pre-induction check for every "
    "predicted difficult airway. It takes under a minute with the linear probe."
)
NURSE_REFERENCES = "PMID 12345678"
ADVERT = "Cheap refurbished ultrasound probes, fast shipping! Message me for prices."
HIDE_REASON = "Advertising, not about the episode."
CORRECTION = (
    "At “Confirming the tube” we said that one trachea on the screen means the tube is in the right "
    "place. Seeing one air shadow is not enough: a second air shadow beside the trachea (the double "
    "tract sign) means oesophageal intubation, and waveform capnography remains the standard "
    "confirmation of a tracheal tube."
)


def _shown(comment: Comment, host: User) -> Comment:
    """The show's moderation rule may hold a comment; the demo host approves it."""
    if comment.status == Comment.Status.HELD:
        return comment_approve(comment=comment, by=host)
    return comment


def seed_demo_discussion(*, episode: Episode | None, host: User, members: list[User]) -> Correction | None:
    """Comments, a remote reply, a pin, a hide and a correction on ``episode`` (None: nothing to do).
    ``members``: the demo learner, nurse and pharmacist (verified addresses), in that order."""
    if episode is None or not episode.is_public or Comment.objects.filter(episode=episode).exists():
        return None
    learner, nurse, pharmacist = members
    first = _shown(
        comment_post(user=learner, episode=episode, body=LEARNER_COMMENT, references=LEARNER_REFERENCES),
        host,
    )
    comment_receive_remote(
        episode=episode,
        in_reply_to=first,
        object_id="https://mastodon.example/users/dr.airway/statuses/113000000000000001",
        url="https://mastodon.example/@dr.airway/113000000000000001",
        actor_url=DEMO_REMOTE_ACTOR,
        handle=DEMO_REMOTE_HANDLE,
        name="Dr Airway",
        content_html=REMOTE_REPLY.format(show_url=settings.SITE_URL + episode.show.get_absolute_url()),
        published=None,
        author_follows=True,
    )
    pinned = _shown(
        comment_post(user=nurse, episode=episode, body=NURSE_COMMENT, references=NURSE_REFERENCES), host
    )
    comment_pin(comment=pinned, by=host)
    advert = comment_post(user=pharmacist, episode=episode, body=ADVERT)
    comment_hide(comment=advert, by=host, reason=HIDE_REASON)
    return correction_publish(episode=episode, text=CORRECTION, by=host, prompted_by=first)
