"""The AMA asks for its credit mark in italics wherever it is printed (issue 12, finding 9): every
page a learner, a coordinator or a podcast app shows prints "AMA PRA Category 1 Credit" inside <em>."""

import re

import feedparser
import pytest
from django.urls import reverse

from credits.certificates import code_display
from testkit.factories import make_user, pass_and_evaluate
from testkit.mfa import mfa_login

MARK = re.compile(r"AMA PRA Category 1 Credit(?:\(s\)|s)?")
# Where HTML cannot italicise (a window title, a select option, an attribute), plain text is right.
_NO_MARKUP = re.compile(r"<title>.*?</title>|<option\b.*?</option>|<script\b.*?</script>|\"[^\"<>]*\"", re.S)


def _plain_marks(html: str) -> list[str]:
    """Each printed credit mark not in italics, with a little context."""
    text = _NO_MARKUP.sub("", html)
    return [
        text[max(match.start() - 60, 0) : match.end() + 10]
        for match in MARK.finditer(text)
        if not text[: match.start()].endswith("<em>")
    ]


@pytest.fixture
def pages(client, learner, activity, issued, coordinator, provider, show):
    """Every page that prints the mark, as each role sees it."""
    other = make_user("claiming@example.org", profile=True)
    pass_and_evaluate(other, activity)
    bodies: dict[str, str] = {}
    bodies["episode (anonymous)"] = client.get(activity.episode.get_absolute_url()).content.decode()
    client.force_login(other)
    bodies["claim page"] = client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    client.force_login(learner)
    for name, url in {
        "episode (learner)": activity.episode.get_absolute_url(),
        "my learning": reverse("credits:my_learning"),
        "transcript": reverse("credits:transcript"),
        "verification": reverse("credits:verify", args=[code_display(issued.code)]),
    }.items():
        response = client.get(url)
        assert response.status_code == 200, name
        bodies[name] = response.content.decode()
    client.logout()
    mfa_login(client, coordinator)
    for name, url in {
        "coordinator activity": reverse("credits:coordinator_activity", args=[activity.pk]),
        "activity report": reverse("credits:activity_report", args=[activity.pk]),
        "coordinator certificate": reverse("credits:coordinator_certificate", args=[issued.pk]),
    }.items():
        response = client.get(url)
        assert response.status_code == 200, name
        bodies[name] = response.content.decode()
    feed = feedparser.parse(client.get(show.get_feed_url()).content)
    bodies["feed item notes"] = next(e for e in feed.entries if e.id == activity.episode.guid).summary
    return bodies


def test_the_credit_mark_is_italic_on_every_page_that_prints_it(pages):
    printed = {name: body for name, body in pages.items() if MARK.search(body)}
    # The pages a learner reads before and after claiming all carry the mark.
    for name in ("episode (anonymous)", "claim page", "my learning", "transcript", "verification",
                 "feed item notes"):  # fmt: skip
        assert name in printed, f"{name} does not print the credit mark"
    plain = {name: _plain_marks(body) for name, body in printed.items()}
    failures = {name: found for name, found in plain.items() if found}
    assert not failures, "\n".join(f"{name}: {found}" for name, found in failures.items())


def test_the_check_itself_finds_a_plain_mark():
    assert _plain_marks("<p>0.75 AMA PRA Category 1 Credit(s)™</p>")
    assert not _plain_marks(
        "<p>0.75 <em>AMA PRA Category 1 Credit(s)</em>™</p><title>AMA PRA Category 1 Credit</title>"
    )
