"""itunes:keywords for the show and topic feeds: an episode's topics (and the channel's most used).

Apple's podcast specification allowed up to 12 comma-separated keywords (Apple Podcasts no longer
reads them since 2019; other apps and directories still do). Topic names are one word of letters,
digits, - or _ (models.topic_name_validator), so they never contain the comma that separates them.
"""

from collections import Counter
from collections.abc import Iterable

import feedgen.feed  # noqa: F401  (feedgen.ext.* modules need feedgen.feed imported first)
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

from .podcast_ext import ITUNES_NS

MAX_KEYWORDS = 12
_I = f"{{{ITUNES_NS}}}"


def keywords_text(words: Iterable[str]) -> str:
    """The first MAX_KEYWORDS distinct words (case-insensitively), comma-separated; "" for none."""
    kept: list[str] = []
    seen: set[str] = set()
    for word in words:
        word = word.strip()
        if word and "," not in word and word.lower() not in seen:
            seen.add(word.lower())
            kept.append(word)
            if len(kept) == MAX_KEYWORDS:
                break
    return ",".join(kept)


def most_used(topic_lists: Iterable[list[str]], *, first: Iterable[str] = ()) -> list[str]:
    """``first``, then the topics of the items, the most used first (ties by name, any case)."""
    counts = Counter(name for topics in topic_lists for name in topics)
    ranked = sorted(counts, key=lambda name: (-counts[name], name.lower()))
    return [*first, *ranked]


class _Keywords:
    _keywords = ""

    def extend_ns(self):
        return {"itunes": ITUNES_NS}

    def itunes_keywords(self, words: Iterable[str]) -> None:
        self._keywords = keywords_text(words)

    def _write(self, parent) -> None:
        if self._keywords:
            xml_elem(_I + "keywords", parent).text = self._keywords


class KeywordsExtension(_Keywords, BaseExtension):
    def extend_rss(self, rss_feed):
        self._write(rss_feed[0])
        return rss_feed


class KeywordsEntryExtension(_Keywords, BaseEntryExtension):
    def extend_rss(self, entry):
        self._write(entry)
        return entry


def register_keywords(fg: feedgen.feed.FeedGenerator) -> None:
    """Reach it as ``fg.keywords.itunes_keywords([...])`` / ``fe.keywords.itunes_keywords([...])``."""
    fg.register_extension("keywords", KeywordsExtension, KeywordsEntryExtension, atom=False)
