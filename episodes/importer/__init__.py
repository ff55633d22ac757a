"""Importing an existing podcast from another host: its RSS feed, artwork and every audio episode.

common: the feed data, errors and limits; fetch: HTTP and files; parse: the RSS; run: the import.
"""

from .common import (
    DEFAULT_TIMEOUT,
    EpisodeImportError,
    FeedImportError,
    ImportProgress,
    ImportResult,
    ParsedFeed,
)
from .fetch import fetch_feed
from .parse import map_category, parse_feed
from .run import check_lock, import_feed

__all__ = [
    "DEFAULT_TIMEOUT",
    "EpisodeImportError",
    "FeedImportError",
    "ImportProgress",
    "ImportResult",
    "ParsedFeed",
    "check_lock",
    "fetch_feed",
    "import_feed",
    "map_category",
    "parse_feed",
]
