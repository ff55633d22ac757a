"""The CPE Monitor and CE Broker pages read snapshots built by a task (credits/cpe_snapshot.py, issue
14 item 9): the same queries at 3 and 30 claims and no certificate read in the page (for CE Broker:
tests/credits/test_reports_at_scale.py, 3 and 60); an audited
change (a revocation) shown at the next view; a change without an audit row shown after "Check
again now"; with a worker the first view queues one check and says so."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html

from accounts.models import Degree, LearnerProfile
from credits import cpe_snapshot, services
from credits.certificates import certificate_revoke
from credits.models import Certificate
from credits.provider_time import provider_date
from testkit import factories
from testkit.factories import add_prior_claims
from testkit.tasks import worker_not_running

pytestmark = pytest.mark.django_db

# --- CPE Monitor ---------------------------------------------------------------------------------------


@pytest.fixture
def pharmacists(acpe_activity, django_capture_on_commit_callbacks):
    """``add(n, prefix)``: n pharmacists claim the ACPE activity (through the claim service)."""

    def add(count: int, prefix: str) -> None:
        for n in range(count):
            user = factories.make_user(f"{prefix}-{n}@example.org", profile=True)
            profile = user.profile
            profile.degree = Degree.PHARMD
            profile.nabp_eprofile_id = "1234567"
            profile.birth_month, profile.birth_day = 3, 9
            profile.given_name, profile.family_name = "Phar", f"{prefix.title()} {n}"
            profile.save()
            factories.pass_and_evaluate(user, acpe_activity)
            with django_capture_on_commit_callbacks(execute=True):
                services.claim_credit(learner=user, activity=acpe_activity, minutes=45, attested=True)

    return add


def _hold_back(prefix: str) -> None:
    """The profiles lose their birth day after the claim (a bulk edit: no audit row)."""
    LearnerProfile.objects.filter(user__email__startswith=f"{prefix}-").update(birth_day=None)


def _cpe_url(provider) -> str:
    return reverse("credits:cpe_monitor", args=[provider.slug])


def _held(body: str) -> int:
    held = html.fromstring(body).get_element_by_id("cpe-problems").find(".//ul")
    assert held is not None, "the held-back list is missing"
    return len(held.findall("li"))


def test_the_cpe_page_costs_the_same_queries_at_3_and_30_claims(
    coordinator_client, provider, pharmacists, django_assert_num_queries
):
    url = _cpe_url(provider)
    pharmacists(3, "few")
    _hold_back("few")
    coordinator_client.post(url)  # "Check again now": the bulk edit wrote no audit row
    with CaptureQueriesContext(connection) as queries:
        body = coordinator_client.get(url).content.decode()
    sql = [q["sql"] for q in queries.captured_queries]
    assert _held(body) == 3 and "The next file holds 0 new completions." in body
    pharmacists(27, "many")
    _hold_back("many")
    coordinator_client.post(url)
    with django_assert_num_queries(len(sql)):
        body = coordinator_client.get(url).content.decode()
    assert _held(body) == 30
    # Read from the snapshot: no certificate (nor claim) is read to show the page.
    assert sql and not [q for q in sql if "credits_certificate" in q or "credits_creditclaim" in q]


def test_a_revocation_shows_at_the_next_cpe_view(coordinator, coordinator_client, provider, pharmacists):
    url = _cpe_url(provider)
    pharmacists(3, "p")
    first = coordinator_client.get(url).content.decode()
    assert "The next file holds 3 new completions." in first and "Checked as of" in first
    certificate_revoke(certificate=Certificate.objects.first(), actor=coordinator, reason="Did not take part")
    assert "The next file holds 2 new completions." in coordinator_client.get(url).content.decode()


def test_a_change_without_an_audit_row_waits_for_check_again_now(coordinator_client, provider, pharmacists):
    url = _cpe_url(provider)
    pharmacists(3, "p")
    assert "The next file holds 3 new completions." in coordinator_client.get(url).content.decode()
    _hold_back("p")
    assert "The next file holds 3 new completions." in coordinator_client.get(url).content.decode()
    response = coordinator_client.post(url, follow=True)
    body = response.content.decode()
    assert response.redirect_chain == [(url, 302)]
    assert "Completions checked again." in body and "The next file holds 0 new completions." in body
    assert "birth month and day missing" in body


def test_with_a_worker_the_first_cpe_view_queues_one_check_and_says_so(
    coordinator_client, provider, pharmacists
):
    url = _cpe_url(provider)
    pharmacists(3, "p")
    with worker_not_running() as queued:
        first = coordinator_client.get(url)
        second = coordinator_client.get(url)
        checked = coordinator_client.post(url, follow=True)  # "Check again now" while one is queued
    for response in (first, second):
        assert response.status_code == 200 and response["Refresh"] == "5"
        body = response.content.decode()
        assert "are being checked" in body and "The next file holds" not in body
    assert "reload this page in a few seconds" in checked.content.decode()
    assert len(queued) == 1  # the lock: one check at a time per provider
    cpe_snapshot.refresh_cpe_snapshot.call(provider.pk)  # the worker
    body = coordinator_client.get(url).content.decode()
    assert "The next file holds 3 new completions." in body and "are being checked" not in body


def test_a_refused_batch_is_checked_in_full(coordinator_client, provider, pharmacists):
    """The refusal reads the data as it is now (the snapshot is rebuilt from it)."""
    url = _cpe_url(provider)
    pharmacists(2, "p")
    assert "The next file holds 2 new completions." in coordinator_client.get(url).content.decode()
    _hold_back("p")  # no audit row: the snapshot still says 2
    response = coordinator_client.post(reverse("credits:cpe_monitor_batch_create", args=[provider.slug]))
    assert response.status_code == 400
    assert "The next file holds 0 new completions." in response.content.decode()


# --- CE Broker -----------------------------------------------------------------------------------------


def _skipped(body: str) -> int:
    return body.split('id="cebroker-skipped"')[1].split("</ul>")[0].count("<li>")


def test_a_revocation_shows_at_the_next_ce_broker_view(coordinator, coordinator_client, activity):
    url = reverse("credits:cebroker", args=[activity.pk])
    add_prior_claims(activity, 3, prefix="p")
    assert _skipped(coordinator_client.get(url).content.decode()) == 3
    certificate_revoke(certificate=Certificate.objects.first(), actor=coordinator, reason="Did not take part")
    assert _skipped(coordinator_client.get(url).content.decode()) == 2


def test_ce_broker_check_again_now_keeps_the_dates(coordinator_client, activity):
    from django.utils import timezone

    url = reverse("credits:cebroker", args=[activity.pk])
    today = provider_date(timezone.now(), activity.provider).isoformat()
    span = {"start": today, "end": today}
    add_prior_claims(activity, 3, prefix="p")
    assert _skipped(coordinator_client.get(url, span).content.decode()) == 3
    add_prior_claims(activity, 2, prefix="q")  # bulk: no audit row
    assert _skipped(coordinator_client.get(url, span).content.decode()) == 3
    response = coordinator_client.post(url, {"check": "1", **span}, follow=True)
    assert response.redirect_chain == [(f"{url}?start={today}&end={today}", 302)]
    body = response.content.decode()
    assert "Completions checked again." in body and _skipped(body) == 5


def test_ce_broker_check_again_with_bad_dates_is_refused_and_nothing_is_queued(coordinator_client, activity):
    url = reverse("credits:cebroker", args=[activity.pk])
    with worker_not_running() as queued:
        response = coordinator_client.post(url, {"check": "1", "start": "2026-02-01", "end": "yesterday"})
    error = html.fromstring(response.content).get_element_by_id("cebroker-error").text_content()
    assert response.status_code == 400 and "Enter a valid date" in error
    # Nothing for the bad dates; the page shown with the error asks for its own (every completion).
    assert [list(r.args) for r in queued] == [[activity.pk, "", ""]]


def test_with_a_worker_the_first_ce_broker_view_queues_one_check(coordinator_client, activity):
    url = reverse("credits:cebroker", args=[activity.pk])
    add_prior_claims(activity, 3, prefix="p")
    with worker_not_running() as queued:
        first = coordinator_client.get(url)
        second = coordinator_client.get(url)
    for response in (first, second):
        body = response.content.decode()
        assert response.status_code == 200 and response["Refresh"] == "5"
        assert "are being checked" in body and "rows to export" not in body
        assert 'id="numbers-heading"' in body  # the numbers form is there meanwhile
    assert len(queued) == 1
    cpe_snapshot.refresh_cebroker_snapshot.call(activity.pk, "", "")  # the worker
    body = coordinator_client.get(url).content.decode()
    assert _skipped(body) == 3 and "are being checked" not in body
