"""The embeddable player (docs/embedding.md): which episode an embed or oEmbed request may show,
its CME credit line, and the iframe snippet.

Episodes sits below credits (docs/architecture.md): the credit line reads the activity's current
version through the ORM by related name (as episodes/feeds.py does) and the claim link is reversed
by URL name ("credits:claim"), never imported.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db.models import Case, F, When
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import format_html

from .artwork import current_renditions
from .models import Episode

# The iframe's size when the consumer gives no limit (the player, the credit line, four chapters).
DEFAULT_WIDTH = 560
DEFAULT_HEIGHT = 300
MIN_WIDTH = 240
MIN_HEIGHT = 160


@dataclass(frozen=True)
class CreditLine:
    """What the embed prints for a CME episode still open for claims."""

    credits: Decimal
    until: date
    claim_url: str  # absolute


def embeddable_episode(pk: int) -> Episode | None:
    """A public episode of a show that has not moved away, with its show; None otherwise (404)."""
    return (
        Episode.objects.published()
        .filter(pk=pk, show__moved_away_at__isnull=True)
        .select_related("show")
        .annotate(
            credit_until=Case(
                When(activity__status="published", then=F("activity__current_version__expiry_date")),
                default=None,
            ),
            credit_amount=Case(
                When(activity__status="published", then=F("activity__current_version__designated_credits")),
                default=None,
            ),
            activity_pk=F("activity__pk"),
        )
        .first()
    )


def credit_line(episode: Episode) -> CreditLine | None:
    """The credit line of an episode from ``embeddable_episode``: only while claims are open."""
    until = getattr(episode, "credit_until", None)
    amount = getattr(episode, "credit_amount", None)
    activity_pk = getattr(episode, "activity_pk", None)
    if until is None or amount is None or activity_pk is None or until < timezone.localdate():
        return None
    claim_url = settings.SITE_URL + reverse("credits:claim", args=[activity_pk])
    return CreditLine(credits=amount, until=until, claim_url=claim_url)


def embed_url(episode: Episode) -> str:
    return settings.SITE_URL + reverse("episodes:embed", args=[episode.pk])


def iframe_html(episode: Episode, *, width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT) -> str:
    """The snippet a site pastes (and oEmbed's ``html``)."""
    return format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" style="border:0"></iframe>',
        embed_url(episode),
        width,
        height,
        f"{episode.title} · {episode.show.title}",
    )


def episode_from_page_url(url: str) -> Episode | None:
    """The embeddable episode whose public page (on this site) is ``url``, or None."""
    parts = urlsplit(url)
    site = urlsplit(settings.SITE_URL)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != site.netloc.lower():
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.view_name != "episodes:episode":
        return None
    pk = (
        Episode.objects.published()
        .filter(show__slug=match.kwargs["show_slug"], slug=match.kwargs["slug"])
        .values_list("pk", flat=True)
        .first()
    )
    return embeddable_episode(pk) if pk is not None else None


def thumbnail(episode: Episode) -> tuple[str, int] | None:
    """(absolute URL, width) of a square artwork rendition (the episode's, else its show's), or None
    until renditions exist: oEmbed needs the thumbnail's size, which only renditions know."""
    owner = episode if episode.artwork else episode.show
    widths = sorted(current_renditions(owner.artwork, owner.artwork_renditions))
    if not widths:
        return None
    width = next((w for w in widths if w >= 300), widths[-1])
    return settings.SITE_URL + owner.get_artwork_rendition_url(width), width


def page_embed(episode: Episode) -> dict[str, str]:
    """For the episode page: the oEmbed discovery URL and the snippet of its "Embed" box."""
    page_url = settings.SITE_URL + episode.get_absolute_url()
    oembed_url = (
        settings.SITE_URL + reverse("episodes:oembed") + "?" + urlencode({"url": page_url, "format": "json"})
    )
    return {"oembed_url": oembed_url, "snippet": iframe_html(episode)}
