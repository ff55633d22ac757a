"""Report and list pages whose cost does not grow with the claims (issue 14 item 9): the activity
report reads a snapshot of its figures built by a task, the coordinator's certificate list is read
a page at a time along the index on (issued_at, id), with no COUNT and no OFFSET."""

import datetime
import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credits import report_selectors
from credits.models import Certificate
from credits.provider_time import provider_date
from testkit.factories import (
    add_prior_claims,
    grant_show,
    make_activity,
    make_coordinator,
    make_episode,
    make_provider,
)

pytestmark = pytest.mark.django_db

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _fact(body: str, name: str) -> str:
    match = re.search(rf'data-fact="{re.escape(name)}">(.*?)</', body, re.S)
    assert match, f"no {name} on the page"
    return match.group(1).strip()


def _sql(client, url: str, **params) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return [q["sql"] for q in queries.captured_queries]


# --- The activity report ---------------------------------------------------------------------------


def test_the_report_page_costs_the_same_queries_at_3_and_30_claims(
    coordinator_client, activity, django_assert_num_queries
):
    url = reverse("credits:activity_report", args=[activity.pk])
    add_prior_claims(activity, 3, prefix="few")
    coordinator_client.get(url)  # builds the snapshot (the first view of the activity's report)
    few = len(_sql(coordinator_client, url))
    add_prior_claims(activity, 27, prefix="many")
    coordinator_client.post(url)  # "Refresh the figures now"
    with django_assert_num_queries(few):
        body = coordinator_client.get(url).content.decode()
    assert _fact(body, "claims") == "30"


def test_the_report_page_reads_no_attempt_evaluation_or_certificate_aggregate(coordinator_client, activity):
    """With a fresh snapshot the page aggregates nothing: no COUNT, SUM or AVG of the activity's
    rows runs in the request (they ran in the task that built the snapshot)."""
    add_prior_claims(activity, 5, prefix="n")
    url = reverse("credits:activity_report", args=[activity.pk])
    coordinator_client.get(url)
    statements = _sql(coordinator_client, url)
    tables = ("credits_attempt", "credits_evaluation", "credits_certificate", "credits_creditclaim")
    aggregates = [
        s for s in statements if re.search(r"\b(COUNT|SUM|AVG)\(", s, re.I) and any(t in s for t in tables)
    ]
    assert aggregates == []


def test_the_figures_are_a_snapshot_refreshed_when_old_or_when_asked(
    coordinator_client, activity, monkeypatch
):
    url = reverse("credits:activity_report", args=[activity.pk])
    add_prior_claims(activity, 2, prefix="a")
    body = coordinator_client.get(url).content.decode()
    assert _fact(body, "claims") == "2"
    assert "Figures as of" in body and "Refresh the figures now" in body

    # Claims made since: the snapshot (less than a minute old) is shown as it is ...
    add_prior_claims(activity, 3, prefix="b")
    assert _fact(coordinator_client.get(url).content.decode(), "claims") == "2"
    # ... until the coordinator asks for a refresh (POST, then back to the page),
    response = coordinator_client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    body = coordinator_client.get(url).content.decode()
    assert _fact(body, "claims") == "5" and "Figures refreshed." in body

    # or it is older than REPORT_MAX_AGE when the page is opened.
    add_prior_claims(activity, 1, prefix="c")
    monkeypatch.setattr(report_selectors, "REPORT_MAX_AGE", datetime.timedelta(0))
    assert _fact(coordinator_client.get(url).content.decode(), "claims") == "6"


def test_with_a_worker_the_first_view_queues_one_build_and_says_the_figures_are_being_prepared(
    coordinator_client, activity
):
    from django_tasks import default_task_backend

    add_prior_claims(activity, 2, prefix="a")
    url = reverse("credits:activity_report", args=[activity.pk])
    with override_settings(TASKS=DUMMY_TASKS):
        default_task_backend.clear()
        first = coordinator_client.get(url)
        second = coordinator_client.get(url)
        queued = list(default_task_backend.results)
    for response in (first, second):
        assert response.status_code == 200 and response["Refresh"] == "5"
        assert "The figures of this activity are being prepared" in response.content.decode()
    # One build queued for both views (and for every node: the lock is in the shared cache).
    assert len(queued) == 1 and queued[0].args == [activity.pk]

    report_selectors.refresh_activity_report.call(activity.pk)  # what the worker runs
    body = coordinator_client.get(url).content.decode()
    assert _fact(body, "claims") == "2"


def test_a_stale_snapshot_is_shown_while_the_worker_refreshes_it(coordinator_client, activity, monkeypatch):
    from django_tasks import default_task_backend

    url = reverse("credits:activity_report", args=[activity.pk])
    add_prior_claims(activity, 2, prefix="a")
    coordinator_client.get(url)
    add_prior_claims(activity, 2, prefix="b")
    monkeypatch.setattr(report_selectors, "REPORT_MAX_AGE", datetime.timedelta(0))
    with override_settings(TASKS=DUMMY_TASKS):
        default_task_backend.clear()
        body = coordinator_client.get(url).content.decode()
        assert len(default_task_backend.results) == 1
        posted = coordinator_client.post(url, follow=True).content.decode()
    assert _fact(body, "claims") == "2"  # the old figures, with their time, rather than a wait
    assert "The figures are being refreshed: reload this page in a few seconds." in posted


def test_the_refresh_is_for_the_activitys_coordinators_only(client, activity, make_user):
    from testkit.mfa import mfa_login

    other = make_provider(name="Other Society", slug="other-society")
    mfa_login(client, make_coordinator(other, email="other.coordinator@example.org"))
    response = client.post(reverse("credits:activity_report", args=[activity.pk]))
    assert response.status_code == 404
    assert report_selectors.report_snapshot(activity.pk) is None  # nothing built


# --- The coordinator's certificate list ------------------------------------------------------------


def _numbers(response) -> list[str]:
    assert response.status_code == 200
    return [c.number for c in response.context["page"].certificates]


def test_the_certificate_list_costs_the_same_queries_at_3_and_30_claims(
    coordinator_client, activity, django_assert_num_queries
):
    url = reverse("credits:coordinator_certificates")
    add_prior_claims(activity, 3, prefix="few")
    # The first page: session, user, MFA device, the page's rows with their learners; no COUNT.
    statements = _sql(coordinator_client, url, size=25)
    assert not [s for s in statements if re.search(r"\bCOUNT\(", s, re.I)]
    few = len(statements)
    add_prior_claims(activity, 27, prefix="many")
    with django_assert_num_queries(few):
        first = coordinator_client.get(url, {"size": 25})
    assert len(first.context["page"].certificates) == 25
    # An older page: one more query (the cursor's date), however deep.
    with django_assert_num_queries(few + 1):
        older = coordinator_client.get(url, {"size": 25, "before": first.context["page"].older_cursor})
    assert len(older.context["page"].certificates) == 5


def test_older_and_newer_walk_every_certificate_once_even_with_equal_issue_times(
    coordinator_client, activity
):
    add_prior_claims(activity, 53, prefix="n")
    same = timezone.now() - datetime.timedelta(days=1)
    # Ten certificates issued at the same instant: the id breaks the tie, none is skipped or repeated.
    tied = list(
        Certificate.objects.filter(claim__activity=activity).order_by("id").values_list("id", flat=True)[5:15]
    )
    Certificate.objects.filter(id__in=tied).update(issued_at=same)
    expected = list(
        Certificate.objects.filter(claim__activity=activity)
        .order_by("-issued_at", "-id")
        .values_list("number", flat=True)
    )
    url = reverse("credits:coordinator_certificates")

    pages, response = [], coordinator_client.get(url)
    assert 'rel="prev"' not in response.content.decode() and 'rel="next"' in response.content.decode()
    while True:
        pages.append(_numbers(response))
        cursor = response.context["page"].older_cursor
        if cursor is None:
            break
        response = coordinator_client.get(url, {"before": cursor})
    assert [n for page in pages for n in page] == expected
    assert [len(p) for p in pages] == [25, 25, 3]

    # And back: "Newer" from the last page gives the page before it, exactly.
    back = coordinator_client.get(url, {"after": response.context["page"].newer_cursor})
    assert _numbers(back) == pages[-2]


def test_the_page_size_is_chosen_and_kept_in_the_page_links(coordinator_client, activity):
    add_prior_claims(activity, 60, prefix="n")
    url = reverse("credits:coordinator_certificates")
    response = coordinator_client.get(url, {"size": 50})
    assert len(_numbers(response)) == 50
    body = response.content.decode()
    assert f"size=50&amp;before={response.context['page'].older_cursor}" in body
    assert '<option value="50" selected>' in body
    assert len(_numbers(coordinator_client.get(url, {"size": 100}))) == 60


def test_a_bad_page_size_or_page_link_is_refused_with_a_clear_message(coordinator_client, activity, show):
    add_prior_claims(activity, 3, prefix="n")
    url = reverse("credits:coordinator_certificates")

    too_big = coordinator_client.get(url, {"size": 100000})
    assert too_big.status_code == 400
    assert "Select a valid choice" in too_big.content.decode()

    for cursor in ("nonsense", "-1", "99999999", ""):
        response = coordinator_client.get(url, {"before": cursor}) if cursor else None
        if response is None:
            continue
        assert response.status_code == 404, cursor
        body = response.content.decode()
        assert "This page of results does not exist" in body and "Show the newest certificates" in body

    # Another provider's certificate as the cursor: a 404, nothing of theirs shown.
    other = make_provider(name="Other Society", slug="other-society")
    grant_show(show, other)
    their_activity = make_activity(
        provider=other,
        episode=make_episode(show, slug="their-episode", title="Their episode"),
        coordinator=make_coordinator(other, email="their.coordinator@example.org"),
    )
    add_prior_claims(their_activity, 1, prefix="t")
    theirs = Certificate.objects.get(claim__activity=their_activity)
    response = coordinator_client.get(url, {"after": theirs.pk})
    assert response.status_code == 404 and theirs.number not in response.content.decode()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_reads_the_newest_certificates_from_the_issued_at_index(coordinator, activity):
    """EXPLAIN of the list's first page: the index on (issued_at, id), read backwards, gives the
    newest certificates, with no sort of them all."""
    from credits import certificate_search

    add_prior_claims(activity, 400, prefix="n")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    results = certificate_search.certificate_search(user=coordinator, query="")
    page = results.select_related("claim__learner", "claim__activity").order_by("-issued_at", "-id")[:26]
    plan = page.explain()
    assert "certificate_issued_at_id" in plan, plan
    assert "Index Scan Backward" in plan, plan


# --- The PARS learner export page, CPE Monitor, CE Broker: long lists a page at a time -------------


def _share_with_boards(prefix: str) -> None:
    """The bulk learners consent to board sharing but have no NPI or licence: each completion is a
    PARS row with a problem to fix (the list the page paginates)."""
    from accounts.models import LearnerProfile

    LearnerProfile.objects.filter(user__email__startswith=f"{prefix}-").update(
        board_sharing_consent=True, board_sharing_consent_at=timezone.now(), birth_month=1, birth_day=2
    )


def _problems(body: str) -> list[str]:
    block = body.split('id="pars-problems"')[1].split("</ul>")[0]
    return re.findall(r"<li>", block)


def test_the_pars_rows_to_fix_come_50_at_a_time_with_page_links(coordinator_client, activity, provider):
    add_prior_claims(activity, 60, prefix="n")
    _share_with_boards("n")
    url = reverse("credits:pars_learners", args=[provider.slug])
    today = provider_date(timezone.now(), provider).isoformat()
    first = coordinator_client.get(url, {"start": today, "end": today}).content.decode()
    assert "60 rows with problems." in first  # the count is of them all
    assert len(_problems(first)) == 50
    assert "Page 1 of 2 (60 in all)" in first
    # The pager keeps the date range (and any other list's page).
    assert f"start={today}&amp;end={today}&amp;problems_page=2#pars-problems" in first

    second = coordinator_client.get(url, {"start": today, "end": today, "problems_page": 2}).content.decode()
    assert len(_problems(second)) == 10 and "Page 2 of 2" in second


@pytest.mark.parametrize(
    ("asked", "shown", "notice"),
    [
        ("99", 10, "There is no page 99 of this list: page 2, the last, is shown."),
        ("0", 10, "There is no page 0 of this list: page 2, the last, is shown."),
        ("two", 50, "“two” is not a page number: the first page is shown."),
    ],
)
def test_a_bad_page_number_shows_the_nearest_page_and_says_so(
    coordinator_client, activity, provider, asked, shown, notice
):
    add_prior_claims(activity, 60, prefix="n")
    _share_with_boards("n")
    url = reverse("credits:pars_learners", args=[provider.slug])
    response = coordinator_client.get(url, {"problems_page": asked})
    assert response.status_code == 200
    body = response.content.decode()
    assert len(_problems(body)) == shown
    assert notice.replace("“", "&ldquo;").replace("”", "&rdquo;") in body or notice in body


def test_the_pars_learner_page_costs_the_same_queries_at_3_and_30_claims(
    coordinator_client, activity, provider, django_assert_num_queries
):
    """The page reads its range's snapshot (credits/pars_snapshot.py); the bulk changes here write
    no audit row, so the coordinator's "Check again now" rebuilds it before each measured view."""
    url = reverse("credits:pars_learners", args=[provider.slug])
    today = provider_date(timezone.now(), provider).isoformat()
    span = {"start": today, "end": today}
    add_prior_claims(activity, 3, prefix="few")
    _share_with_boards("few")
    coordinator_client.post(url, span)
    with CaptureQueriesContext(connection) as queries:
        assert "3 rows with problems." in coordinator_client.get(url, span).content.decode()
    sql = [q["sql"] for q in queries.captured_queries]  # now: the log is a bounded deque
    add_prior_claims(activity, 27, prefix="many")
    _share_with_boards("many")
    coordinator_client.post(url, span)
    with django_assert_num_queries(len(sql)):
        assert "30 rows with problems." in coordinator_client.get(url, span).content.decode()
    # Read from the snapshot: no certificate is read to show the page.
    assert sql and not [q for q in sql if "credits_certificate" in q]


def _skipped(body: str) -> int:
    return body.split('id="cebroker-skipped"')[1].split("</ul>")[0].count("<li>")


def test_the_ce_broker_learners_not_exported_come_50_at_a_time(
    coordinator_client, activity, django_assert_num_queries
):
    url = reverse("credits:cebroker", args=[activity.pk])
    add_prior_claims(activity, 3, prefix="few")  # physicians without a licence: not exported
    coordinator_client.post(url, {"check": "1"})  # the roster's snapshot (credits/cpe_snapshot.py)
    with CaptureQueriesContext(connection) as queries:
        assert _skipped(coordinator_client.get(url).content.decode()) == 3
    sql = [q["sql"] for q in queries.captured_queries]  # now: the log is a bounded deque
    add_prior_claims(activity, 57, prefix="many")  # no audit row: "Check again now"
    coordinator_client.post(url, {"check": "1"})
    with django_assert_num_queries(len(sql)):  # the same at 3 and 60 completions
        first = coordinator_client.get(url).content.decode()
    # Read from the roster's snapshot: no certificate or claim is read to show the page.
    assert sql and not [q for q in sql if "credits_certificate" in q or "credits_creditclaim" in q]
    assert _skipped(first) == 50 and "Page 1 of 2 (60 in all)" in first
    assert "skipped_page=2#cebroker-skipped" in first
    second = coordinator_client.get(url, {"skipped_page": "2"}).content.decode()
    assert _skipped(second) == 10
    late = coordinator_client.get(url, {"skipped_page": "7"}).content.decode()
    assert _skipped(late) == 10 and "There is no page 7 of this list: page 2, the last, is shown." in late
