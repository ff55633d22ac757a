"""``{% learning_sections "<place>" claim=... %}``: the sections other apps registered for a learner's
credit page (credits/learning_sections.py), rendered in place."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ..learning_sections import learning_sections as sections_for

register = template.Library()


@register.simple_tag(takes_context=True)
def learning_sections(context, place: str, claim=None):
    request = context.get("request")
    user = getattr(request, "user", None)
    parts = [
        render_to_string(name, {**extra, "place": place}, request=request)
        for name, extra in sections_for(place, user=user, claim=claim)
    ]
    return mark_safe("".join(parts))  # noqa: S308  (each part is a template's autoescaped output)
