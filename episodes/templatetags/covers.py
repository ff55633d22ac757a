"""Cover images on pages: the small JPEG renditions with srcset, never the uploaded original."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..artwork import PAGE_WIDTHS, apple_artwork_problem, current_renditions

register = template.Library()


def _owner(obj: Any) -> Any:
    """The show or episode whose artwork is shown: an episode without its own shows its show's."""
    if not obj.artwork and hasattr(obj, "show"):
        return obj.show
    return obj


@register.simple_tag
def cover_img(obj: Any, size: int, alt: str = "", css_class: str = "", lazy: bool = False) -> str:
    """``<img>`` of ``obj``'s artwork shown ``size`` CSS px wide, or "" when it has none.

    With renditions the browser picks from PAGE_WIDTHS by ``srcset``/``sizes`` (the smallest that
    covers ``size`` at 1x is the fallback ``src``); artwork stored before renditions existed is
    shown from its original until ``manage.py artwork_renditions`` has made them.
    """
    owner = _owner(obj)
    if not owner.artwork:
        return ""
    widths = current_renditions(owner.artwork, owner.artwork_renditions)
    page = [width for width in PAGE_WIDTHS if width in widths]
    if page:
        src = owner.get_artwork_rendition_url(next((w for w in page if w >= size), page[-1]))
        srcset = ", ".join(f"{owner.get_artwork_rendition_url(width)} {width}w" for width in page)
    else:
        src, srcset = owner.get_artwork_url(), ""
    return format_html(
        '<img{} src="{}"{} alt="{}" width="{}" height="{}"{}>',
        format_html(' class="{}"', css_class) if css_class else "",
        src,
        format_html(' srcset="{}" sizes="{}px"', srcset, size) if srcset else "",
        alt,
        size,
        size,
        mark_safe(' loading="lazy"') if lazy else "",
    )


@register.simple_tag
def apple_artwork(show: Any) -> str:
    """Why the show is not ready for Apple Podcasts because of its artwork ("" when it is)."""
    return apple_artwork_problem(show.artwork, show.artwork_renditions)
