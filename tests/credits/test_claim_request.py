"""The claim request's own reads (issue 14 item 7): what the page needs comes in as few statements as
the rules allow, and the page still shows the learner everything it did.

The navigation's roles (host, coordinator) are read with the claim page's learner row instead of in
a query of their own; the learner's claim, evaluation and web-player progress are joined rather
than asked in subqueries. Counted as tests/credits/test_query_counts.py counts (a real transaction,
the production task queue, BEGIN and COMMIT left out).
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credits.models import Certificate, CreditClaim, ListeningProgress
from episodes.models import ShowHost
from testkit.factories import make_user, pass_and_evaluate
from testkit.mfa import mfa_login

# The session, the account, the activity, the claim page's read; the learner's lock, claim_check's
# read, the claim, completion, certificate and audit inserts; after the commit the render task's row
# and one task row that tells followups and webhooks of the claim and its certificate (credits.events).
CLAIM_STATEMENTS = 12
CLAIM_FORM = {"minutes": "45", "attest": "on"}


@pytest.fixture(autouse=True)
def _production_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")
    ]


@pytest.mark.django_db(transaction=True)
def test_the_claim_asks_nothing_for_the_navigation_and_stays_within_its_statements(activity):
    learner = make_user("learner@example.org", profile=True)
    pass_and_evaluate(learner, activity)
    client = Client()
    client.force_login(learner)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("credits:claim", args=[activity.pk]), CLAIM_FORM)
    # Claimed: on to the certificate's verification page (issue 15).
    assert response.status_code == 302 and response["Location"].startswith("/verify/")
    statements = _statements(queries)
    # The navigation's own query (podcastcme.navigation.load_roles) is not sent: the claim page's
    # read brought the roles.
    assert not [sql for sql in statements if "episodes_showhost" in sql and "credits_creditclaim" not in sql]
    assert len(statements) <= CLAIM_STATEMENTS, "\n".join(statements)
    assert Certificate.objects.filter(claim__learner=learner, claim__activity=activity).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_learner_who_hosts_and_coordinates_keeps_both_links_on_the_claim_page_and_after_claiming(
    activity, provider, episode
):
    learner = make_user("both@example.org", profile=True)
    ShowHost.objects.create(show=episode.show, user=learner)
    provider.memberships.create(user=learner)
    pass_and_evaluate(learner, activity)
    client = Client()
    mfa_login(client, learner)
    url = reverse("credits:claim", args=[activity.pk])
    host_link = reverse("episodes:host_dashboard").encode()
    coordinator_link = reverse("credits:coordinator_dashboard").encode()

    page = client.get(url)
    assert page.status_code == 200
    assert host_link in page.content and coordinator_link in page.content

    done = client.post(url, CLAIM_FORM, follow=True)
    assert done.status_code == 200
    assert b"Credit claimed" in done.content
    assert host_link in done.content and coordinator_link in done.content


@pytest.mark.django_db(transaction=True)
def test_a_plain_learner_sees_neither_role_link_on_the_claim_page(activity):
    learner = make_user("learner@example.org", profile=True)
    pass_and_evaluate(learner, activity)
    client = Client()
    client.force_login(learner)
    page = client.get(reverse("credits:claim", args=[activity.pk]))
    assert page.status_code == 200
    assert reverse("episodes:host_dashboard").encode() not in page.content
    assert reverse("credits:coordinator_dashboard").encode() not in page.content


@pytest.mark.django_db(transaction=True)
def test_the_claim_keeps_the_web_players_progress_and_shows_the_claim_once_made(activity):
    """The joined reads find the same rows the subqueries did: the player's progress goes into the
    claim's listening evidence, and a second visit shows the claim made."""
    learner = make_user("learner@example.org", profile=True)
    other = make_user("other@example.org", profile=True)
    ListeningProgress.objects.create(user=other, episode=activity.episode, seconds_played=5, ranges=[[0, 5]])
    ListeningProgress.objects.create(
        user=learner, episode=activity.episode, seconds_played=600, ranges=[[0, 600]]
    )
    pass_and_evaluate(learner, activity)
    client = Client()
    client.force_login(learner)
    url = reverse("credits:claim", args=[activity.pk])
    assert client.post(url, CLAIM_FORM).status_code == 302
    claim = CreditClaim.objects.get(learner=learner, activity=activity)
    assert claim.listening_evidence["web_player"]["seconds_played"] == 600

    again = client.get(url)
    assert again.status_code == 200
    assert b"Credit claimed" in again.content
    assert CreditClaim.objects.filter(learner=learner).count() == 1
