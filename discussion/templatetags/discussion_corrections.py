"""The corrections box on an episode page, above its notes:
``{% load discussion_corrections %}{% episode_corrections episode %}``."""

from typing import Any

from django import template

from episodes.models import Episode

from ..corrections import episode_corrections as corrections_of

register = template.Library()


@register.inclusion_tag("discussion/_corrections.html")
def episode_corrections(episode: Episode) -> dict[str, Any]:
    """The episode's corrections, newest first, each with its date (nothing shown when there are none)."""
    return {"corrections": corrections_of(episode) if episode.pk else []}
