"""The 'Verified clinician' badge on episode pages (credits/clinicians.py has the matching rule)."""

from django import template

from episodes.models import Episode

from ..clinicians import VerifiedPerson, verified_people_for_episode

register = template.Library()


@register.simple_tag
def verified_clinicians(episode: Episode) -> dict[str, VerifiedPerson]:
    """Speaker name as stored -> the verified person that speaker is (a few queries, once per page)."""
    return verified_people_for_episode(episode)


@register.filter
def verified_as(people: dict[str, VerifiedPerson], name: str) -> VerifiedPerson | None:
    return people.get(name) if people else None
