"""Editable lists on the coordinator's pages (issue 15, item 7): several people and several post-test
questions in one save, all or nothing, with blank rows ignored and an "Add row" that works without
JavaScript (the form comes back with one more blank row and nothing typed is lost)."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutgoingEmail
from audit.models import AuditEvent
from credits import disclosure_services, grants
from credits.audit_actions import CreditAction
from credits.models import ContentPerson, DisclosureRequest, Option, ProviderPerson, Question
from testkit import factories

pytestmark = pytest.mark.django_db

PEOPLE_MAX = 20
QUESTIONS_MAX = 50

BLANK_PERSON = {
    "known": "",
    "name": "",
    "credentials": "",
    "email": "",
    "role": "faculty",  # what the browser sends for an untouched row
    "exception": "",
    "exception_note": "",
    "send_request": "on",
}

ADA = {"name": "Ada Byrne", "credentials": "MD", "email": "ada@example.org"}
BEN = {"name": "Ben Okafor", "credentials": "DO", "email": "ben@example.org", "role": "planner"}
CAL = {"name": "Cal Reyes", "credentials": "PharmD", "email": "cal@example.org", "role": "reviewer"}
DEE = {"name": "Dee Lund", "credentials": "RN", "email": "dee@example.org"}


@pytest.fixture
def draft(episode, provider, coordinator):
    """A new draft activity: nobody in control of content and no post-test yet."""
    return factories.make_activity(
        provider=provider, episode=episode, coordinator=coordinator, people=[], quiz=None, publish=False
    )


def _people_url(activity):
    return reverse("credits:coordinator_person_add", args=[activity.pk])


def _quiz_url(activity):
    return reverse("credits:coordinator_quiz", args=[activity.pk])


def people_data(rows, *, blank=0, total=None, **extra) -> dict:
    """The people list as the browser posts it: each row, then ``blank`` untouched rows."""
    rows = [*rows, *([{}] * blank)]
    data = {
        "p-TOTAL_FORMS": str(len(rows) if total is None else total),
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "0",
        "p-MAX_NUM_FORMS": str(PEOPLE_MAX),
        **extra,
    }
    for i, row in enumerate(rows):
        for key, value in {**BLANK_PERSON, **row}.items():
            if value is not None:
                data[f"p-{i}-{key}"] = value
    return data


def question(n: int, **changes) -> dict:
    return {
        "text": f"Typed question {n}?",
        "option_1": f"Right {n}",
        "option_2": f"Wrong {n}",
        "option_3": "",
        "option_4": "",
        "option_5": "",
        "correct": "1",
        "rationale": f"Because {n}.",
        "references": "10.1000/xyz",
        **changes,
    }


BLANK_QUESTION = {
    "text": "",
    "option_1": "",
    "option_2": "",
    "option_3": "",
    "option_4": "",
    "option_5": "",
    "correct": "",  # the untouched select: "—"
    "rationale": "",
    "references": "",
}


def quiz_data(rows, *, blank=0, total=None, **extra) -> dict:
    rows = [*rows, *([BLANK_QUESTION] * blank)]
    data = {
        "q-TOTAL_FORMS": str(len(rows) if total is None else total),
        "q-INITIAL_FORMS": "0",
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": str(QUESTIONS_MAX),
        **extra,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"q-{i}-{key}"] = value
    return data


def _nothing_written_for_people(activity):
    assert not ContentPerson.objects.filter(activity=activity).exists()
    assert not ProviderPerson.objects.filter(provider=activity.provider).exists()
    assert not DisclosureRequest.objects.exists()
    assert not mail.outbox and not OutgoingEmail.objects.exists()  # sent emails leave the outbox table
    assert not AuditEvent.objects.filter(action=CreditAction.ACTIVITY_PERSON_ADDED).exists()


# --- People --------------------------------------------------------------------------------------------


def test_four_people_in_one_save_each_sent_the_disclosure_form(coordinator_client, draft):
    response = coordinator_client.post(_people_url(draft), people_data([ADA, BEN, CAL, DEE], blank=2))
    assert response.status_code == 302
    added = ContentPerson.objects.filter(activity=draft).order_by("position").select_related("person")
    assert [(c.person.name, c.role) for c in added] == [
        ("Ada Byrne", "faculty"),
        ("Ben Okafor", "planner"),
        ("Cal Reyes", "reviewer"),
        ("Dee Lund", "faculty"),
    ]
    # The disclosure flow as for one person: a request and an email each, an audit row per change.
    assert sorted(DisclosureRequest.objects.values_list("person__email", flat=True)) == [
        "ada@example.org",
        "ben@example.org",
        "cal@example.org",
        "dee@example.org",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ada@example.org",
        "ben@example.org",
        "cal@example.org",
        "dee@example.org",
    ]
    audited = AuditEvent.objects.filter(action=CreditAction.ACTIVITY_PERSON_ADDED)
    assert sorted(e.data["person"] for e in audited) == ["Ada Byrne", "Ben Okafor", "Cal Reyes", "Dee Lund"]
    assert AuditEvent.objects.filter(action=CreditAction.DISCLOSURE_REQUESTED).count() == 4
    page = coordinator_client.get(reverse("credits:coordinator_people", args=[draft.pk])).content.decode()
    for name in ("Ada Byrne", "Ben Okafor", "Cal Reyes", "Dee Lund"):
        assert name in page
    assert "The disclosure form was emailed to dee@example.org." in page


def test_a_known_person_and_a_new_one_in_one_save(coordinator_client, coordinator, draft):
    known = disclosure_services.person_create(
        provider=draft.provider, actor=coordinator, name="Kim Known", email="kim@example.org"
    )
    response = coordinator_client.post(_people_url(draft), people_data([{"known": str(known.pk)}, ADA]))
    assert response.status_code == 302
    assert sorted(c.person.name for c in ContentPerson.objects.filter(activity=draft)) == [
        "Ada Byrne",
        "Kim Known",
    ]


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ({"role": "planner"}, "Choose someone your provider knows, or give a new person&#x27;s name."),
        ({"name": "Eve Error", "email": "not an email"}, "Enter a valid email address."),
        ({"name": "Eve Error", "role": "bribes"}, "Select a valid choice."),
        ({"name": "Eve Error", "exception": "unrelated"}, "Say why the exception applies"),
        # Found only by the service, after the rows before it were written (and rolled back):
        ({"name": "Ada Again", "email": "ADA@example.org"}, "Someone with this email is already known"),
    ],
)
def test_a_bad_row_gets_its_own_error_and_nothing_is_written(coordinator_client, draft, bad_row, message):
    response = coordinator_client.post(_people_url(draft), people_data([ADA, bad_row, CAL], blank=1))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    # The error is on the second row, named for the coordinator, and the rows typed are all kept.
    assert re.search(r"<li>Person 2[^<]*" + re.escape(message), body), body
    assert 'value="Ada Byrne"' in body and 'value="Cal Reyes"' in body
    _nothing_written_for_people(draft)


def test_blank_rows_alone_save_nothing_and_say_so(coordinator_client, draft):
    response = coordinator_client.post(_people_url(draft), people_data([], blank=3))
    assert response.status_code == 400
    assert "Fill in at least one person." in response.content.decode()
    _nothing_written_for_people(draft)


def test_more_rows_than_the_limit_are_refused(coordinator_client, draft):
    rows = [{"name": f"Person {i}", "email": f"p{i}@example.org"} for i in range(PEOPLE_MAX + 1)]
    response = coordinator_client.post(_people_url(draft), people_data(rows))
    assert response.status_code == 400
    assert f"At most {PEOPLE_MAX} people can be added in one save." in response.content.decode()
    _nothing_written_for_people(draft)
    # A forged row count is refused too, without building a million forms.
    response = coordinator_client.post(_people_url(draft), people_data([ADA], total=10**6))
    assert response.status_code == 400
    _nothing_written_for_people(draft)


def test_a_broken_management_form_is_a_400(coordinator_client, draft):
    response = coordinator_client.post(_people_url(draft), {"p-0-name": "Ada Byrne"})
    assert response.status_code == 400
    _nothing_written_for_people(draft)


def test_add_row_without_javascript_returns_the_list_with_one_more_blank_row(coordinator_client, draft):
    half_typed = {"name": "", "credentials": "MD", "email": "ada@example.org"}  # not valid yet
    data = people_data([ADA, half_typed], blank=1, add_row="1")
    response = coordinator_client.post(_people_url(draft), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'name="p-TOTAL_FORMS" value="4"', body)
    assert 'name="p-3-name"' in body
    assert 'value="Ada Byrne"' in body and body.count('value="ada@example.org"') == 2
    assert 'role="alert"' not in body  # nothing was submitted yet: no errors shown
    _nothing_written_for_people(draft)


def test_add_row_stops_at_the_limit(coordinator_client, draft):
    response = coordinator_client.post(_people_url(draft), people_data([], blank=PEOPLE_MAX, add_row="1"))
    assert response.status_code == 200
    assert f'name="p-TOTAL_FORMS" value="{PEOPLE_MAX}"' in response.content.decode()


def test_the_page_offers_blank_rows_a_template_row_and_the_script(coordinator_client, draft):
    body = coordinator_client.get(reverse("credits:coordinator_people", args=[draft.pk])).content.decode()
    assert 'name="p-TOTAL_FORMS" value="3"' in body
    assert 'name="p-2-name"' in body and "<template" in body and "p-__prefix__-name" in body
    assert re.search(r'<script[^>]+src="[^"]*js/formset-rows[^"]*\.js"', body)
    assert re.search(r'<button[^>]*name="add_row"', body)
    # Blank rows do not make the browser require their fields.
    assert not re.search(r'<input[^>]*name="p-0-name"[^>]*required', body)


def test_on_a_published_activity_each_person_is_sent_the_form_first(coordinator_client, activity):
    response = coordinator_client.post(_people_url(activity), people_data([ADA, BEN]), follow=True)
    body = response.content.decode()
    assert body.count("was emailed the disclosure form. This activity is published") == 2
    assert (
        DisclosureRequest.objects.filter(person__email__in=["ada@example.org", "ben@example.org"]).count()
        == 2
    )
    active = activity.people.filter(removed_at__isnull=True).select_related("person")
    assert [p.person.name for p in active] == ["Dana Faculty"]  # added once their disclosure is in


def test_on_a_published_activity_a_person_without_the_form_sent_is_refused_with_the_rest(
    coordinator_client, activity
):
    before = ProviderPerson.objects.count()
    data = people_data([ADA, {**BEN, "send_request": None}])
    response = coordinator_client.post(_people_url(activity), data)
    assert response.status_code == 400
    assert "send them the form first" in response.content.decode()
    assert ProviderPerson.objects.count() == before and not DisclosureRequest.objects.exists()


def test_a_locked_activity_refuses_the_list(coordinator_client, draft, host, show_grant):
    grants.grant_revoke(grant=show_grant, actor=host, side=grants.HOST)
    response = coordinator_client.post(_people_url(draft), people_data([ADA, BEN]))
    assert response.status_code == 403
    _nothing_written_for_people(draft)


# --- Post-test questions -----------------------------------------------------------------------------


def test_three_questions_in_one_save(coordinator_client, draft):
    before = AuditEvent.objects.filter(action=CreditAction.QUIZ_REPLACED).count()
    data = quiz_data([question(1), question(2, correct="2"), question(3, option_3="Maybe 3")], blank=2)
    response = coordinator_client.post(_quiz_url(draft), data)
    assert response.status_code == 302
    stored = list(Question.objects.filter(activity=draft).order_by("position"))
    assert [q.text for q in stored] == ["Typed question 1?", "Typed question 2?", "Typed question 3?"]
    assert Option.objects.get(question=stored[1], is_correct=True).text == "Wrong 2"
    assert stored[2].options.count() == 3
    assert AuditEvent.objects.filter(action=CreditAction.QUIZ_REPLACED).count() == before + 1


def test_a_bad_question_gets_its_own_error_and_the_stored_quiz_stays(coordinator_client, draft):
    stored = list(Question.objects.filter(activity=draft).values_list("text", flat=True))
    data = quiz_data([question(1), question(2, option_2=""), question(3)], blank=1)
    response = coordinator_client.post(_quiz_url(draft), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r"Question 2.{0,1500}This field is required", body, re.S)
    assert "Typed question 1?" in body and "Typed question 3?" in body  # nothing typed is lost
    assert list(Question.objects.filter(activity=draft).values_list("text", flat=True)) == stored


def test_a_question_without_its_correct_option_is_refused(coordinator_client, draft):
    data = quiz_data([question(1, correct="")])
    response = coordinator_client.post(_quiz_url(draft), data)
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_blank_question_rows_are_ignored(coordinator_client, draft):
    response = coordinator_client.post(_quiz_url(draft), quiz_data([question(1)], blank=3))
    assert response.status_code == 302, re.findall(r'role="alert".{0,300}', response.content.decode(), re.S)
    assert Question.objects.filter(activity=draft).count() == 1


def test_more_questions_than_the_limit_are_refused(coordinator_client, draft):
    stored = Question.objects.filter(activity=draft).count()
    data = quiz_data([question(n) for n in range(QUESTIONS_MAX + 1)])
    response = coordinator_client.post(_quiz_url(draft), data)
    assert response.status_code == 400
    assert f"A post-test has at most {QUESTIONS_MAX} questions." in response.content.decode()
    assert Question.objects.filter(activity=draft).count() == stored


def test_add_question_row_without_javascript_keeps_what_was_typed(coordinator_client, draft):
    stored = list(Question.objects.filter(activity=draft).values_list("text", flat=True))
    data = quiz_data([question(1), question(2, option_2="")], add_row="1")
    response = coordinator_client.post(_quiz_url(draft), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="q-TOTAL_FORMS" value="3"' in body and 'name="q-2-text"' in body
    assert "Typed question 1?" in body and "Typed question 2?" in body
    assert 'role="alert"' not in body
    assert list(Question.objects.filter(activity=draft).values_list("text", flat=True)) == stored


def test_the_quiz_page_offers_blank_rows_with_no_preselected_answer(coordinator_client, draft):
    body = coordinator_client.get(_quiz_url(draft)).content.decode()
    stored = Question.objects.filter(activity=draft).count()
    assert f'name="q-TOTAL_FORMS" value="{stored + 2}"' in body
    blank = re.search(rf'<select name="q-{stored}-correct"[^>]*>(.*?)</select>', body, re.S)
    assert blank and re.search(r'<option value="" selected>', blank.group(1))
    assert "q-__prefix__-text" in body and re.search(r'<script[^>]+src="[^"]*js/formset-rows', body)


def test_a_locked_activity_refuses_the_questions(coordinator_client, draft, host, show_grant):
    stored = Question.objects.filter(activity=draft).count()
    grants.grant_revoke(grant=show_grant, actor=host, side=grants.HOST)
    response = coordinator_client.post(_quiz_url(draft), quiz_data([question(1), question(2)]))
    assert response.status_code == 403
    assert Question.objects.filter(activity=draft).count() == stored


def test_the_same_person_twice_in_one_save_is_refused(coordinator_client, coordinator, draft):
    known = disclosure_services.person_create(
        provider=draft.provider, actor=coordinator, name="Kim Known", email="kim@example.org"
    )
    rows = [{"known": str(known.pk)}, ADA, {"known": str(known.pk), "role": "planner"}]
    response = coordinator_client.post(_people_url(draft), people_data(rows))
    assert response.status_code == 400
    assert re.search(r"<li>Person 3[^<]*Kim Known is already in control", response.content.decode())
    assert not ContentPerson.objects.filter(activity=draft).exists()
    assert not ProviderPerson.objects.filter(name="Ada Byrne").exists() and not mail.outbox


def test_a_new_address_for_a_known_person_taken_by_another_row_is_refused_before_any_email(
    coordinator_client, coordinator, draft
):
    known = disclosure_services.person_create(
        provider=draft.provider, actor=coordinator, name="Kim Known", email="kim@example.org"
    )
    rows = [BEN, {"known": str(known.pk), "email": "ada@example.org"}, ADA]
    response = coordinator_client.post(_people_url(draft), people_data(rows))
    assert response.status_code == 400
    assert re.search(r"<li>Person 3, Email: Another row has this email.", response.content.decode())
    assert not mail.outbox and not DisclosureRequest.objects.exists()
    assert not ContentPerson.objects.filter(activity=draft).exists()
    known.refresh_from_db()
    assert known.email == "kim@example.org"


def test_people_with_collected_disclosures_added_after_learners_started_make_one_version(
    coordinator_client, coordinator, activity, learner
):
    factories.pass_post_test(learner, activity)  # a learner started under the current version
    first = activity.current_version
    known = []
    for name, email in (("Kim Known", "kim@example.org"), ("Lee Known", "lee@example.org")):
        person = disclosure_services.person_create(
            provider=activity.provider, actor=coordinator, name=name, email=email
        )
        disclosure_services.disclosure_form_enter(
            person=person,
            actor=coordinator,
            data={"no_relationships": True, "attests_complete": True, "promises_to_report_changes": True},
            collected_on=timezone.localdate(),
        )
        known.append(person)
    rows = [{"known": str(p.pk), "send_request": None} for p in known]
    response = coordinator_client.post(_people_url(activity), people_data(rows))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.current_version.number == first.number + 1  # one save, one new version
    names = [p["name"] for p in activity.current_version.content["people"]]
    assert "Kim Known" in names and "Lee Known" in names
    assert AuditEvent.objects.filter(action=CreditAction.ACTIVITY_PERSON_ADDED).count() == 2
