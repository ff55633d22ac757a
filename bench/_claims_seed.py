"""Data for the claims bench (and its query-count test): an activity, learners, and many prior claims.

Run as ``python -m bench._claims_seed seed OUT.json LEARNERS`` or ``... verify ACTIVITY_ID`` with
DJANGO_SETTINGS_MODULE and DATABASE_URL naming the bench database. The rows come from
``testkit.factories``, which tests/credits/test_query_counts.py uses too, so both measure claims made
the same way.
"""

import json
import os
import sys
from typing import Any


def make_activity():
    """A provider, show, published episode and CME activity with a three-question post-test."""
    from testkit import factories

    provider = factories.make_provider(name="Bench Society", slug="bench-society")
    coordinator = factories.make_coordinator(provider, "bench-coordinator@example.org")
    show = factories.make_show(
        title="Bench Rounds",
        slug="bench-rounds",
        description="Short cases for the claims bench.",
        author="Bench Society",
        owner_name="Bench Society",
        owner_email="bench@example.org",
    )
    episode = factories.make_episode(show, guid="bench-difficult-airway")
    factories.grant_show(show, provider, note="bench set-up")
    return factories.make_activity(provider=provider, episode=episode, coordinator=coordinator)


def count_queries(activity, label: str) -> dict[str, int]:
    """SQL queries of a learner's post-test page (GET) and of a claim (POST), with the test client.

    Two fresh learners in the same state each time: one who has not started, one who passed and
    evaluated; so any difference between calls comes from the other learners' rows.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from testkit.factories import make_learners, pass_and_evaluate

    newcomer, claimer = make_learners(f"probe-{label}", 2)
    pass_and_evaluate(claimer, activity)
    counts = {}
    client = Client()
    client.force_login(newcomer)
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("credits:post_test", args=[activity.pk]))
    if response.status_code != 200:
        raise RuntimeError(f"the post-test page answered {response.status_code}")
    counts["post_test"] = len(page.captured_queries)
    client = Client()
    client.force_login(claimer)
    with CaptureQueriesContext(connection) as claim:
        response = client.post(
            reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"}
        )
    if response.status_code != 302 or not response["Location"].startswith("/verify/"):
        raise RuntimeError(f"the claim answered {response.status_code}, not the way to its certificate")
    counts["claim"] = len(claim.captured_queries)
    return counts


def _session_key(user) -> str:
    """A logged-in session for ``user``, stored the way django.contrib.auth.login() stores it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    if session.session_key is None:
        raise RuntimeError("the session store gave the new session no key")
    return session.session_key


def seed(out: str, learners: int) -> None:
    """Build the bench data, measure the query counts at 1 and 1,000 prior claims, write ``out``."""
    from django.urls import reverse

    from credits.models import CreditClaim, Option
    from testkit.factories import add_prior_claims, make_learners

    activity = make_activity()
    add_prior_claims(activity, 1, prefix="prior-a")
    at_one = CreditClaim.objects.filter(activity=activity).count()
    few = count_queries(activity, "few")
    add_prior_claims(activity, 1000 - CreditClaim.objects.filter(activity=activity).count(), prefix="prior-b")
    at_thousand = CreditClaim.objects.filter(activity=activity).count()
    many = count_queries(activity, "many")
    users = make_learners("bench", learners)
    # The right option's text per question: the page's values are per-attempt tokens, found by label.
    correct = {
        str(q): text
        for q, text in Option.objects.filter(question__activity=activity, is_correct=True).values_list(
            "question_id", "text"
        )
    }
    data: dict[str, Any] = {
        "activity": activity.pk,
        "urls": {
            "post_test": reverse("credits:post_test", args=[activity.pk]),
            "evaluation": reverse("credits:evaluation", args=[activity.pk]),
            "claim": reverse("credits:claim", args=[activity.pk]),
        },
        "correct": correct,
        "sessions": [_session_key(u) for u in users],
        "queries": {"prior_few": at_one, "prior_many": at_thousand, "few": few, "many": many},
    }
    with open(out, "w") as handle:
        json.dump(data, handle)


def verify(activity_id: int) -> None:
    """Print what the bench learners left in the database: claims, completions, claim audit rows."""
    from audit.models import AuditEvent
    from credits.audit_actions import CreditAction
    from credits.models import CompletionRecord, CreditClaim

    bench = {"learner__email__startswith": "bench-"}
    print(
        json.dumps(
            {
                "claims": CreditClaim.objects.filter(activity_id=activity_id, **bench).count(),
                "completions": CompletionRecord.objects.filter(activity_id=activity_id, **bench).count(),
                "audit": AuditEvent.objects.filter(
                    action=CreditAction.CLAIM_CREATED,
                    actor__email__startswith="bench-",
                ).count(),
            }
        )
    )


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcastcme.settings.test")
    import django

    django.setup()
    if argv[:1] == ["seed"]:
        seed(argv[1], int(argv[2]))
    elif argv[:1] == ["verify"]:
        verify(int(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
