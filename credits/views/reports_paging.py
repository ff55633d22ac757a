"""Long lists on the coordinator's reporting pages (PARS learner export, CPE Monitor, CE Broker) a
page at a time: each list has its own page number in the address (``<list>_page``), the other
lists and the date range are kept by the pager's links, and a page number out of range or not a
number shows the last or the first page with a notice saying so (never an error page)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.translation import gettext as _

from ..list_snapshot import LIST_PAGE_SIZE  # one stored page is one shown page


@dataclass
class ListPage:
    page: Page
    name: str  # the query parameter of this list's page number
    query: str  # the rest of the query string, for the pager's links
    anchor: str  # the list's element id (the links jump to it)
    notice: str = ""  # why another page than the one asked for is shown


def _other(request, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


def list_page(
    request, items: Sequence[Any], *, name: str, anchor: str, size: int = LIST_PAGE_SIZE
) -> ListPage:
    """The page of ``items`` asked for by ``request.GET[name]`` (the first when absent)."""
    paginator = Paginator(items, size)
    asked = request.GET.get(name)
    notice = ""
    try:
        page = paginator.page(asked or 1)
    except PageNotAnInteger:
        page = paginator.page(1)
        notice = _("“%(asked)s” is not a page number: the first page is shown.") % {"asked": asked}
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
        notice = _("There is no page %(asked)s of this list: page %(last)d, the last, is shown.") % {
            "asked": asked,
            "last": paginator.num_pages,
        }
    return ListPage(page=page, name=name, query=_other(request, name), anchor=anchor, notice=notice)
