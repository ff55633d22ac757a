"""Page-number pagination for every list: ``?page=`` (from 1) and ``?limit=`` (1 to
PODCASTCME_API_MAX_PAGE_SIZE; more is refused with 400, never silently cut, so a client knows it got
fewer than it asked for). One query per page: ``limit + 1`` rows are read to know whether a next page
exists, and no COUNT is run. The next and previous pages are absolute URLs in the body and in a
``Link`` header (RFC 8288). ``paginate`` shapes each row of the page with the endpoint's ``out`` and
returns the finished page, so no endpoint repeats the envelope."""

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode
from ninja import Query, Schema
from pydantic import Field

from .errors import ApiError

DEFAULT_LIMIT = 25
MAX_PAGE = 100_000  # an OFFSET beyond this is a mistake, not a real client


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    limit: int = Field(
        DEFAULT_LIMIT,
        ge=1,
        description="Items per page, at most PODCASTCME_API_MAX_PAGE_SIZE (100 by default).",
    )


PageQuery = Query[PageParams]

Row = TypeVar("Row")
Row_co = TypeVar("Row_co", covariant=True)


class Sliceable(Protocol[Row_co]):
    """An ordered queryset, or a list (rows put together in Python, such as the transcript's)."""

    def __getitem__(self, key: slice, /) -> Iterable[Row_co]: ...


def _url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(query.lists()), doseq=True)


def paginate(
    request: HttpRequest,
    response: HttpResponse,
    rows: Sliceable[Row],
    params: PageParams,
    *,
    out: Callable[[Row], dict[str, Any]],
) -> dict[str, Any]:
    """The page ``params`` asks for of ``rows`` (an ordered queryset, or a list), each row shaped by
    ``out``, with its links: the endpoint's whole answer."""
    most = int(settings.PODCASTCME_API_MAX_PAGE_SIZE)
    if params.limit > most:
        raise ApiError(
            f"limit must be between 1 and {most} (asked for {params.limit}): read more pages instead.",
            code="limit_too_large",
        )
    start = (params.page - 1) * params.limit
    found = list(rows[start : start + params.limit + 1])
    has_next = len(found) > params.limit
    next_url = _url(request, params.page + 1) if has_next else None
    previous_url = _url(request, params.page - 1) if params.page > 1 else None
    links = [f'<{u}>; rel="{rel}"' for rel, u in (("next", next_url), ("prev", previous_url)) if u]
    if links:
        response["Link"] = ", ".join(links)
    return {
        "page": params.page,
        "limit": params.limit,
        "next": next_url,
        "previous": previous_url,
        "results": [out(row) for row in found[: params.limit]],
    }
