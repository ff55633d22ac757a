"""The page title's filter: "<page> · podcastcme", or the site's name alone when a page gives none."""

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SITE_NAME = "podcastcme"


@register.filter(is_safe=True)
def with_site_name(page_title: str) -> SafeString:
    """Used as ``{% filter with_site_name %}{% block head_title %}{% endblock %}{% endfilter %}`` in
    base.html, so that allauth's templates (which fill the same block) get the separator too. The
    block's output is already escaped; only whitespace is tidied."""
    text = " ".join(str(page_title).split())
    return mark_safe(f"{text} · {SITE_NAME}" if text else SITE_NAME)
