"""Disclosures as ACCME Standard 3 requires (issue 12, finding 4): collection through an emailed,
signed link; owners and employees excluded unless an exception is recorded; relevance and
mitigation decided by the provider and shown to learners; speakers matched; nothing deleted."""

import datetime
import re
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import disclosure_services, services, versions
from credits.disclosures import people_publish_problems, people_snapshot
from credits.models import (
    Activity,
    ContentPerson,
    DisclosureForm,
    DisclosureRequest,
    FinancialRelationship,
    ProviderPerson,
    RelevanceDecision,
    SpeakerMatch,
)
from credits.views.disclosures import BAD_LINKS_PER_MINUTE
from episodes.models import EpisodePerson
from testkit import factories
from testkit.mfa import mfa_login
from testkit.migrations import nodes_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(episode, provider, coordinator):
    """A draft activity with a post-test and nobody in control of content yet."""
    return factories.make_activity(
        provider=provider, episode=episode, coordinator=coordinator, people=[], publish=False
    )


def _people_url(activity):
    return reverse("credits:coordinator_people", args=[activity.pk])


def _add(client, activity, **fields):
    """One person through the people page's list (a single filled row)."""
    row = {"name": "", "credentials": "", "email": "", "role": "faculty", "send_request": "on", **fields}
    data = {"p-TOTAL_FORMS": "1", "p-INITIAL_FORMS": "0", **{f"p-0-{k}": v for k, v in row.items()}}
    return client.post(reverse("credits:coordinator_person_add", args=[activity.pk]), data)


def _link_from_outbox(email: str) -> str:
    # Sent through the outbox (accounts.mail); the test backend keeps what was sent in mail.outbox.
    message = next((m for m in reversed(mail.outbox) if m.to == [email]), None)
    assert message is not None, f"no email to {email}"
    match = re.search(r"http://testserver(/disclosure/[^/\s]+/)", str(message.body))
    assert match, message.body
    return match.group(1)


def _form_data(rows=(), *, none=False, owner="no", owner_company="", attest=True, signed="Ada Byrne"):
    data = {
        "rel-TOTAL_FORMS": str(max(len(rows), 1)),
        "rel-INITIAL_FORMS": "0",
        "rel-MIN_NUM_FORMS": "0",
        "rel-MAX_NUM_FORMS": "40",
        "owner_or_employee": owner,
        "owner_or_employee_company": owner_company,
        "signed_name": signed,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"rel-{i}-{key}"] = value
    if none:
        data["no_relationships"] = "on"
    if attest:
        data["attests_complete"] = "on"
        data["promises_to_report_changes"] = "on"
    return data


def _collect(client, path, rows=(), **kwargs):
    client.logout()
    return client.post(path, _form_data(rows, **kwargs))


def _relationship(person_name: str, company: str) -> FinancialRelationship:
    return FinancialRelationship.objects.get(form__person__name=person_name, company=company)


# --- 3.1: collection through the emailed link ------------------------------------------------------------


def test_full_collection_path_through_the_emailed_link_then_publish(client, coordinator, draft):
    mfa_login(client, coordinator)
    response = _add(client, draft, name="Ada Byrne", credentials="MD", email="ada@example.org")
    assert response.status_code == 302
    page = client.get(_people_url(draft)).content.decode()
    assert "Requested on" in page
    assert "has not completed the disclosure form yet" in page

    # The email in the outbox carries a link; the database never holds the raw token.
    path = _link_from_outbox("ada@example.org")
    token = path.split("/")[2]
    assert len(token) >= 43  # 32 random bytes, URL-safe: 256 bits
    request = DisclosureRequest.objects.get()
    assert token not in request.token_hash and request.token_hash != token
    assert not DisclosureRequest.objects.filter(token_hash__contains=token).exists()

    # No account: an anonymous visitor opens the form.
    client.logout()
    form_page = client.get(path)
    assert form_page.status_code == 200
    assert form_page["Cache-Control"] == "no-store" and form_page["Referrer-Policy"] == "same-origin"
    body = form_page.content.decode()
    assert "past 24 months" in body and "Ada Byrne" in body
    assert "<script" not in body.split("<footer")[0].split("</header>")[-1]  # no inline script in the form

    response = client.post(
        path,
        _form_data(
            [
                {
                    "company": "Acme Pharma",
                    "nature": "consultant",
                    "started_on": "2025-01-01",
                    "ongoing": "on",
                },
                {"company": "Beta Devices", "nature": "speaker"},
            ]
        ),
    )
    assert response.status_code == 200
    assert "your disclosure was received" in response.content.decode()
    form = DisclosureForm.objects.get()
    assert form.source == DisclosureForm.Source.SELF and form.collected_on == timezone.localdate()
    assert form.promises_to_report_changes and form.attests_complete
    assert [(r.company, r.nature, r.ongoing) for r in form.relationships.all()] == [
        ("Acme Pharma", "consultant", True),
        ("Beta Devices", "speaker", False),
    ]
    # Single use: the link now answers that it was used.
    again = client.get(path)
    assert again.status_code == 410 and "already completed" in again.content.decode()
    # The coordinator who sent it is told.
    assert any(m.to == ["coordinator@example.org"] and "Ada Byrne" in m.subject for m in mail.outbox)

    # The coordinator decides: one relevant (mitigated by peer review), one not relevant.
    mfa_login(client, coordinator)
    person = ContentPerson.objects.get(activity=draft)
    problems = people_publish_problems(draft)
    assert any("Acme Pharma" in p and "is relevant" in p for p in problems)
    acme, beta = _relationship("Ada Byrne", "Acme Pharma"), _relationship("Ada Byrne", "Beta Devices")
    url = reverse("credits:coordinator_relationship_decide", args=[draft.pk, person.pk, acme.pk])
    assert (
        client.post(url, {f"r{acme.pk}-relevant": "yes", f"r{acme.pk}-reason": "Airway drugs"}).status_code
        == 302
    )
    assert any("Acme Pharma" in p and "mitigated" in p for p in people_publish_problems(draft))
    response = client.post(url, {f"r{acme.pk}-relevant": "yes", f"r{acme.pk}-mitigation": "peer_review"})
    assert response.status_code == 302
    url = reverse("credits:coordinator_relationship_decide", args=[draft.pk, person.pk, beta.pk])
    assert client.post(url, {f"r{beta.pk}-relevant": "no"}).status_code == 302
    assert people_publish_problems(draft) == []
    decision = RelevanceDecision.objects.get(relationship=acme)
    assert decision.mitigated_by == coordinator and decision.mitigated_at is not None

    version = versions.activity_publish(activity=draft, actor=coordinator)
    (shown,) = version.content["people"]
    assert shown["disclosure_collected_on"] == timezone.localdate().isoformat()
    assert shown["relevant"] == [
        {
            "company": "Acme Pharma",
            "nature": "consultant",
            "nature_label": "Consultant",
            "mitigation": "peer_review",
            "mitigation_label": "Independent peer review of the content",
        }
    ]
    assert "Beta Devices" not in version.listener_notes_html
    assert "Acme Pharma" in version.listener_notes_html


def test_bad_form_input_answers_400_with_messages_and_writes_nothing(client, coordinator, draft):
    mfa_login(client, coordinator)
    _add(client, draft, name="Ada Byrne", email="ada@example.org")
    path = _link_from_outbox("ada@example.org")
    cases = [
        (_form_data(), "or tick that you had none"),  # neither relationships nor "none"
        (_form_data([{"company": "Acme"}], none=True), "Choose the nature"),
        (_form_data([{"company": "Acme", "nature": "consultant"}], none=True), "not both"),
        (_form_data([{"nature": "consultant"}]), "Name the company"),
        (_form_data(none=True, attest=False), "This field is required"),
        (_form_data(none=True, owner="yes"), "Name the company you own or work for"),
        (_form_data(none=True, owner="maybe"), "Select a valid choice"),
        (_form_data([{"company": "Acme", "nature": "bribes"}]), "Select a valid choice"),
        (
            _form_data(
                [
                    {
                        "company": "Acme",
                        "nature": "consultant",
                        "started_on": "2025-05-01",
                        "ended_on": "2025-01-01",
                    }
                ]
            ),
            "The end is before the start",
        ),
        (
            _form_data([{"company": "Acme", "nature": "consultant", "ended_on": "2020-01-01"}]),
            "more than 24 months",
        ),
        (
            _form_data([{"company": "Acme", "nature": "consultant", "started_on": "not a date"}]),
            "Enter a valid date",
        ),
        ({"rel-TOTAL_FORMS": "x"}, "ManagementForm"),
    ]
    client.logout()
    for data, message in cases:
        response = client.post(path, data)
        assert response.status_code == 400, (data, response.status_code)
        assert message in response.content.decode(), (data, message)
    assert not DisclosureForm.objects.exists() and not FinancialRelationship.objects.exists()
    assert DisclosureRequest.objects.get().used_at is None  # the link still works


@pytest.mark.parametrize("state", ["forged", "expired", "revoked", "resent", "empty"])
def test_unusable_links_get_a_clear_page(client, coordinator, draft, state):
    mfa_login(client, coordinator)
    _add(client, draft, name="Ada Byrne", email="ada@example.org")
    path = _link_from_outbox("ada@example.org")
    request = DisclosureRequest.objects.get()
    expected = {
        "forged": (404, "does not open a disclosure form"),
        "empty": (404, "does not open a disclosure form"),
        "expired": (410, "has expired"),
        "revoked": (410, "replaced or withdrawn"),
        "resent": (410, "replaced or withdrawn"),
    }[state]
    if state == "forged":
        path = path[:-5] + "AAAA/"
    elif state == "empty":
        path = "/disclosure/%20/"
    elif state == "expired":
        DisclosureRequest.objects.filter(pk=request.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )
    elif state == "revoked":
        person = ContentPerson.objects.get(activity=draft)
        url = reverse("credits:coordinator_request_revoke", args=[draft.pk, person.pk, request.pk])
        # The first POST asks for a confirmation and changes nothing (issue 15); the second revokes.
        asked = client.post(url)
        assert asked.status_code == 200 and "Revoke the disclosure link sent to" in asked.content.decode()
        assert client.get(path).status_code == 200  # still opens the form
        assert client.post(url, {"step": "confirm"}).status_code == 302
    else:
        person = ContentPerson.objects.get(activity=draft)
        url = reverse("credits:coordinator_person_request", args=[draft.pk, person.pk])
        assert client.post(url, {"email": "ada@example.org"}).status_code == 302
        assert _link_from_outbox("ada@example.org") != path  # the new link differs
    client.logout()
    for response in (client.get(path), client.post(path, _form_data(none=True))):
        assert response.status_code == expected[0]
        assert expected[1] in response.content.decode()
    assert not DisclosureForm.objects.exists()
    if state == "expired":  # the coordinator sees it and is asked to send it again
        mfa_login(client, coordinator)
        page = client.get(_people_url(draft)).content.decode()
        assert "the link expired on" in page and "Collect the disclosure of Ada Byrne" in page


def test_a_form_older_than_12_months_blocks_a_new_version(client, coordinator, activity):
    """make_activity records a form collected today; 13 months later, an edit needs a fresh form."""
    assert activity.status == Activity.Status.PUBLISHED
    DisclosureForm.objects.update(collected_on=timezone.localdate() - datetime.timedelta(days=400))
    problems = people_publish_problems(activity)
    assert any("more than 12 months old" in p for p in problems)
    with pytest.raises(Exception, match="more than 12 months old"):
        services.activity_update(activity=activity, actor=coordinator, data={"title": "A new title"})
    activity.refresh_from_db()
    assert activity.current_version.title != "A new title"

    # The person refreshes the form through a new link: the edit goes through.
    person = ContentPerson.objects.get(activity=activity).person
    _request, token = disclosure_services.disclosure_request_send(
        person=person, actor=coordinator, activity=activity, email="dana@example.org"
    )
    client.post(
        reverse("credits:disclosure_form", args=[token]), _form_data(none=True, signed="Dana Faculty")
    )
    assert people_publish_problems(activity) == []
    services.activity_update(activity=activity, actor=coordinator, data={"title": "A new title"})
    activity.refresh_from_db()
    assert activity.current_version.title == "A new title"


def test_forms_entered_before_collection_existed_need_a_fresh_form(activity, coordinator):
    DisclosureForm.objects.update(source=DisclosureForm.Source.BEFORE_COLLECTION, collected_on=None)
    assert any("entered before collection existed" in p for p in people_publish_problems(activity))


# --- 3.2: owners and employees -----------------------------------------------------------------------


def test_owner_or_employee_is_refused_unless_an_exception_is_recorded(client, coordinator, draft):
    mfa_login(client, coordinator)
    person = disclosure_services.person_create(
        provider=draft.provider, actor=coordinator, name="Olga Owner", email="olga@example.org"
    )
    _request, token = disclosure_services.disclosure_request_send(person=person, actor=coordinator)
    client.post(
        reverse("credits:disclosure_form", args=[token]),
        _form_data(none=True, owner="yes", owner_company="Acme Pharma"),
    )
    mfa_login(client, coordinator)
    response = _add(client, draft, known=str(person.pk))
    assert response.status_code == 400
    body = response.content.decode()
    assert "ACCME excludes owners and employees of ineligible companies" in body and "Acme Pharma" in body
    assert not ContentPerson.objects.filter(activity=draft).exists()
    # An exception without its reason is refused too.
    response = _add(client, draft, known=str(person.pk), exception="unrelated")
    assert response.status_code == 400 and "Say why the exception applies" in response.content.decode()
    assert not ContentPerson.objects.filter(activity=draft).exists()
    # With one of the three exceptions and the reason: accepted, and kept.
    response = _add(
        client,
        draft,
        known=str(person.pk),
        exception="unrelated",
        exception_note="Talks on airway anatomy only.",
    )
    assert response.status_code == 302
    row = ContentPerson.objects.get(activity=draft)
    assert row.exception == "unrelated" and row.exception_note == "Talks on airway anatomy only."
    assert people_publish_problems(draft) == []


def test_a_form_declaring_ownership_later_blocks_publishing(coordinator, activity, client):
    person = ContentPerson.objects.get(activity=activity).person
    _request, token = disclosure_services.disclosure_request_send(
        person=person, actor=coordinator, email="dana@example.org"
    )
    client.post(
        reverse("credits:disclosure_form", args=[token]),
        _form_data(none=True, owner="yes", owner_company="Acme"),
    )
    assert any("owns or works for an ineligible company" in p for p in people_publish_problems(activity))


# --- 3.3-3.5: relevance, mitigation, what learners see ------------------------------------------------


def test_learners_see_only_relevant_relationships_and_no_relevant_lines(
    episode, provider, coordinator, client
):
    activity = factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        people=[
            {
                "name": "Ada Byrne",
                "credentials": "MD",
                "role": "faculty",
                "disclosures": [
                    {"company": "Acme Pharma", "nature": "consultant", "mitigated": True},
                    {"company": "Zed Implants", "nature": "stock", "relevant": False},
                ],
            },
            {"name": "Sam Planner", "credentials": "RN", "role": "planner", "disclosures": []},
        ],
    )
    people = people_snapshot(activity)
    assert [p["name"] for p in people] == ["Ada Byrne", "Sam Planner"]
    assert [r["company"] for r in people[0]["relevant"]] == ["Acme Pharma"]
    assert people[0]["relevant"][0]["mitigation_label"] == "Independent peer review of the content"
    assert people[1]["relevant"] == []
    notes = activity.current_version.listener_notes_html
    assert "Zed Implants" not in notes
    assert "Sam Planner, RN (Planner): no relevant financial relationships" in notes
    assert "All relevant financial relationships listed have been mitigated." in notes
    page = client.get(episode.get_absolute_url()).content.decode()
    assert "Zed Implants" not in page and "Acme Pharma" in page


def test_a_relevant_relationship_without_mitigation_blocks_publishing(coordinator, draft):
    person = disclosure_services.person_create(provider=draft.provider, actor=coordinator, name="Ada Byrne")
    disclosure_services.disclosure_form_enter(
        person=person,
        actor=coordinator,
        data={
            "relationships": [{"company": "Acme Pharma", "nature": "consultant"}],
            "attests_complete": True,
            "promises_to_report_changes": True,
        },
        collected_on=timezone.localdate(),
    )
    row = disclosure_services.activity_add_person(
        activity=draft, actor=coordinator, person=person, role="faculty"
    )
    relationship = _relationship("Ada Byrne", "Acme Pharma")
    disclosure_services.relationship_decide(
        content_person=row, relationship=relationship, actor=coordinator, relevant=True
    )
    with pytest.raises(Exception, match="was mitigated"):
        versions.activity_publish(activity=draft, actor=coordinator)
    with pytest.raises(Exception, match="Describe how"):
        disclosure_services.relationship_decide(
            content_person=row,
            relationship=relationship,
            actor=coordinator,
            relevant=True,
            mitigation="other",
        )
    disclosure_services.relationship_decide(
        content_person=row,
        relationship=relationship,
        actor=coordinator,
        relevant=True,
        mitigation="other",
        mitigation_note="Her talk was limited to anatomy.",
    )
    versions.activity_publish(activity=draft, actor=coordinator)


def test_bad_decision_input_answers_400_and_writes_nothing(client, coordinator, activity):
    mfa_login(client, coordinator)
    person = ContentPerson.objects.get(activity=activity).person
    disclosure_services.disclosure_form_enter(
        person=person,
        actor=coordinator,
        data={
            "relationships": [{"company": "Acme Pharma", "nature": "consultant"}],
            "attests_complete": True,
            "promises_to_report_changes": True,
        },
        collected_on=timezone.localdate(),
    )
    row = ContentPerson.objects.get(activity=activity)
    relationship = _relationship("Dana Faculty", "Acme Pharma")
    url = reverse("credits:coordinator_relationship_decide", args=[activity.pk, row.pk, relationship.pk])
    p = f"r{relationship.pk}"
    for data, message in [
        ({}, "This field is required"),
        ({f"{p}-relevant": "perhaps"}, "Select a valid choice"),
        ({f"{p}-relevant": "yes", f"{p}-mitigation": "bribery"}, "Select a valid choice"),
        ({f"{p}-relevant": "yes", f"{p}-mitigation": "other"}, "Describe how"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400 and message in response.content.decode()
    assert not RelevanceDecision.objects.filter(relationship=relationship).exists()


# --- Speakers -----------------------------------------------------------------------------------------


def test_an_unmatched_speaker_blocks_publishing_until_matched_or_recorded(
    client, coordinator, episode, draft
):
    EpisodePerson.objects.create(episode=episode, name="Grace Guest", role=EpisodePerson.Role.GUEST)
    EpisodePerson.objects.create(episode=episode, name="Pat Patient", role=EpisodePerson.Role.GUEST)
    disclosure_services.activity_set_people(
        activity=draft,
        actor=coordinator,
        people=[
            {"name": "Dr Grace Guest-Smith", "credentials": "MBBS", "role": "faculty", "disclosures": []}
        ],
    )
    problems = people_publish_problems(draft)
    assert any(p.startswith("Grace Guest speaks in the episode") for p in problems)
    assert any(p.startswith("Pat Patient speaks in the episode") for p in problems)
    with pytest.raises(Exception, match="speaks in the episode"):
        versions.activity_publish(activity=draft, actor=coordinator)

    mfa_login(client, coordinator)
    url = reverse("credits:coordinator_speaker", args=[draft.pk])
    row = ContentPerson.objects.get(activity=draft)
    # Neither a person nor a reason: refused, nothing written.
    response = client.post(url, {"speaker": "Pat Patient", "person": "", "reason": "  "})
    assert (
        response.status_code == 400
        and "say why they are not in control of content" in response.content.decode()
    )
    response = client.post(url, {"speaker": "Nobody Else", "person": str(row.pk)})
    assert response.status_code == 400 and "is not a speaker of this episode" in response.content.decode()
    assert not SpeakerMatch.objects.exists()
    assert client.post(url, {"speaker": "Grace Guest", "person": str(row.pk)}).status_code == 302
    response = client.post(
        url, {"speaker": "Pat Patient", "reason": "A patient telling her story; no content control."}
    )
    assert response.status_code == 302
    assert people_publish_problems(draft) == []
    versions.activity_publish(activity=draft, actor=coordinator)


def test_a_speaker_with_the_same_name_as_a_person_is_matched(coordinator, episode, draft):
    EpisodePerson.objects.create(episode=episode, name="Dana  Faculty", role=EpisodePerson.Role.HOST)
    disclosure_services.activity_set_people(
        activity=draft, actor=coordinator, people=factories.DEFAULT_PEOPLE
    )
    assert people_publish_problems(draft) == []


# --- Nothing is deleted ----------------------------------------------------------------------------------


def test_a_removed_person_keeps_their_row_and_the_audit_row_has_old_and_new(
    client, coordinator, episode, provider
):
    activity = factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        people=[
            {
                "name": "Ada Byrne",
                "credentials": "MD",
                "role": "faculty",
                "disclosures": [{"company": "Acme Pharma", "nature": "consultant", "mitigated": True}],
            },
            {"name": "Sam Planner", "credentials": "RN", "role": "planner", "disclosures": []},
        ],
    )
    mfa_login(client, coordinator)
    ada = ContentPerson.objects.get(activity=activity, person__name="Ada Byrne")
    response = client.post(reverse("credits:coordinator_person_remove", args=[activity.pk, ada.pk]))
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.removed_at is not None and ada.removed_by == coordinator
    assert RelevanceDecision.objects.filter(content_person=ada).exists()
    assert FinancialRelationship.objects.filter(company="Acme Pharma").exists()
    event = AuditEvent.objects.filter(action="activity.person_removed").get()
    assert [p["name"] for p in event.data["old"]["people"]] == ["Ada Byrne", "Sam Planner"]
    assert [p["name"] for p in event.data["new"]["people"]] == ["Sam Planner"]
    old_ada = event.data["old"]["people"][0]
    assert old_ada["form"]["relationships"][0]["company"] == "Acme Pharma"
    assert (
        old_ada["decisions"][0]["relevant"] is True and old_ada["decisions"][0]["mitigation"] == "peer_review"
    )
    # Learners see the change (a new version when someone had started; here the same version, replaced).
    activity.refresh_from_db()
    assert [p["name"] for p in activity.current_version.content["people"]] == ["Sam Planner"]
    page = client.get(_people_url(activity)).content.decode()
    assert "Removed (kept in the record)" in page and "Ada Byrne" in page
    # Removing everyone is refused for a published activity (it needs someone in control of content).
    sam = ContentPerson.objects.get(activity=activity, person__name="Sam Planner")
    response = client.post(reverse("credits:coordinator_person_remove", args=[activity.pk, sam.pk]))
    assert response.status_code == 400 and "Add at least one person" in response.content.decode()
    sam.refresh_from_db()
    assert sam.removed_at is None


def test_a_decision_after_learners_started_makes_a_new_version(coordinator, activity, learner):
    factories.pass_post_test(learner, activity)
    first = activity.current_version
    person = ContentPerson.objects.get(activity=activity)
    disclosure_services.disclosure_form_enter(
        person=person.person,
        actor=coordinator,
        data={
            "relationships": [{"company": "Acme Pharma", "nature": "consultant"}],
            "attests_complete": True,
            "promises_to_report_changes": True,
        },
        collected_on=timezone.localdate(),
    )
    disclosure_services.relationship_decide(
        content_person=person,
        relationship=_relationship("Dana Faculty", "Acme Pharma"),
        actor=coordinator,
        relevant=True,
        mitigation="peer_review",
    )
    activity.refresh_from_db()
    assert activity.current_version.number == first.number + 1
    assert activity.current_version.content["people"][0]["relevant"][0]["company"] == "Acme Pharma"
    first.refresh_from_db()
    assert first.content["people"][0]["relevant"] == []  # what the earlier learner saw is kept


# --- Access --------------------------------------------------------------------------------------------


def test_another_providers_coordinator_gets_404(client, activity, make_user):
    rival = factories.make_provider(name="Rival", slug="rival")
    other = factories.make_coordinator(rival, email="rival@example.org")
    mfa_login(client, other)
    row = ContentPerson.objects.get(activity=activity)
    relationship_pk = 1
    for method, url in [
        ("get", _people_url(activity)),
        ("get", reverse("credits:coordinator_person", args=[activity.pk, row.pk])),
        ("post", reverse("credits:coordinator_person_add", args=[activity.pk])),
        ("post", reverse("credits:coordinator_person_request", args=[activity.pk, row.pk])),
        ("post", reverse("credits:coordinator_person_remove", args=[activity.pk, row.pk])),
        (
            "post",
            reverse("credits:coordinator_relationship_decide", args=[activity.pk, row.pk, relationship_pk]),
        ),
        ("post", reverse("credits:coordinator_speaker", args=[activity.pk])),
    ]:
        response = getattr(client, method)(url, {"email": "x@example.org", "name": "X", "role": "faculty"})
        assert response.status_code == 404, url
    row.refresh_from_db()
    assert row.removed_at is None
    assert not DisclosureRequest.objects.exists() and ProviderPerson.objects.count() == 1
    assert mail.outbox == []


def test_the_people_page_and_detail_open(client, coordinator, activity):
    mfa_login(client, coordinator)
    page = client.get(_people_url(activity))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Dana Faculty" in body and "Collected on" in body
    row = ContentPerson.objects.get(activity=activity)
    detail = client.get(reverse("credits:coordinator_person", args=[activity.pk, row.pk]))
    assert detail.status_code == 200 and "Forms given" in detail.content.decode()


# --- The upgrade (migrations 0010-0012) ---------------------------------------------------------------

BEFORE_COLLECTION = ("credits", "0009_activity_versions_final")


@pytest.mark.django_db(transaction=True)
def test_typed_people_and_disclosures_become_forms_entered_before_collection():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([BEFORE_COLLECTION])
        state = MigrationExecutor(connection)
        apps = state.loader.project_state(nodes_with(state, BEFORE_COLLECTION)).apps
        ids = _typed_data(apps)
        MigrationExecutor(connection).migrate(leaves)
    finally:
        MigrationExecutor(connection).migrate(leaves)  # the schema the other tests expect

    first, second = Activity.objects.get(pk=ids["first"]), Activity.objects.get(pk=ids["second"])
    # One known person per provider, name and credentials, whatever the number of activities.
    assert sorted(ProviderPerson.objects.values_list("name", flat=True)) == ["Dr Old", "Sam Planner"]
    old = ProviderPerson.objects.get(name="Dr Old")
    form = DisclosureForm.objects.get(person=old)
    assert form.source == DisclosureForm.Source.BEFORE_COLLECTION and form.collected_on is None
    assert sorted((r.company, r.nature) for r in form.relationships.all()) == [
        ("Acme", "consultant"),
        ("Beta", "speaker"),
    ]
    assert DisclosureForm.objects.get(person__name="Sam Planner").no_relationships
    decisions = RelevanceDecision.objects.filter(content_person__activity=first).select_related(
        "relationship"
    )
    assert sorted((d.relationship.company, d.relevant, d.mitigation) for d in decisions) == [
        ("Acme", True, "before_collection"),
        ("Beta", True, ""),
    ]
    assert [
        (d.relationship.company, d.mitigation)
        for d in RelevanceDecision.objects.filter(content_person__activity=second).select_related(
            "relationship"
        )
    ] == [("Acme", "before_collection")]
    # A new version needs a fresh form (and Beta's mitigation).
    problems = people_publish_problems(first)
    assert any("entered before collection existed" in p for p in problems)
    assert any("Beta" in p and "mitigated" in p for p in problems)
    snapshot = people_snapshot(second)
    assert snapshot[0]["name"] == "Dr Old" and snapshot[0]["relevant"][0]["mitigation"] == "before_collection"
    event = AuditEvent.objects.get(action="disclosure.carried_over", object_id=str(first.pk))
    assert {p["name"] for p in event.data["old"]} == {"Dr Old", "Sam Planner"}
    assert event.data["old"][0]["disclosures"][0]["company"] in {"Acme", "Beta"}


def _typed_data(apps) -> dict[str, int]:
    """People and disclosures as coordinators typed them before collection existed."""
    Show = apps.get_model("episodes", "Show")
    Episode = apps.get_model("episodes", "Episode")
    Provider = apps.get_model("credits", "Provider")
    Activity = apps.get_model("credits", "Activity")
    ContentPerson = apps.get_model("credits", "ContentPerson")
    Disclosure = apps.get_model("credits", "Disclosure")
    now = timezone.now()
    today = timezone.localdate()
    show = Show.objects.create(
        title="Old show",
        slug="old-show",
        description="d",
        author="a",
        owner_name="o",
        owner_email="o@example.org",
    )
    provider = Provider.objects.create(name="Old Society", slug="old")
    activities = []
    for n in range(2):
        episode = Episode.objects.create(
            show=show,
            title=f"Old {n}",
            slug=f"old-{n}",
            guid=f"old-guid-{n}",
            audio="audio/old.mp3",
            audio_mime="audio/mpeg",
            audio_size=1000,
            audio_bitrate=128000,
            audio_duration=41 * 60,
            status="published",
            publish_at=now - datetime.timedelta(days=10),
        )
        activities.append(
            Activity.objects.create(
                provider=provider,
                episode=episode,
                title=f"Old talk {n}",
                objectives="Know the airway",
                target_audience="Physicians",
                designated_credits="0.75",
                release_date=today - datetime.timedelta(days=5),
                expiry_date=today + datetime.timedelta(days=300),
            )
        )
    first, second = activities
    old = ContentPerson.objects.create(activity=first, name="Dr Old", credentials="MD", role="faculty")
    Disclosure.objects.create(person=old, company="Acme", nature="consultant", mitigated=True)
    Disclosure.objects.create(person=old, company="Beta", nature="speaker", mitigated=False)
    ContentPerson.objects.create(
        activity=first, name="Sam Planner", credentials="", role="planner", position=1
    )
    again = ContentPerson.objects.create(activity=second, name="Dr Old", credentials="MD", role="faculty")
    Disclosure.objects.create(person=again, company="acme ", nature="consultant", mitigated=True)
    return {"first": first.pk, "second": second.pk}


# --- The demo ------------------------------------------------------------------------------------------


def test_the_demo_activity_is_published_with_collected_disclosures(client):
    call_command("seed_demo")
    activity = Activity.objects.get(episode__slug="pocus-for-the-airway")
    assert activity.status == Activity.Status.PUBLISHED and people_publish_problems(activity) == []
    forms = DisclosureForm.objects.filter(person__activity_roles__activity=activity)
    assert forms.count() == 5 and {f.source for f in forms} == {DisclosureForm.Source.SELF}
    # Collected before publication, which lies in the past (credits.demo.backdate_demo_activity_setup).
    assert all(f.collected_on < timezone.localdate() and f.request.used_at for f in forms)
    assert all(f.submitted_at < activity.published_at for f in forms)
    people = {p["name"]: p for p in activity.current_version.content["people"]}
    assert [r["company"] for r in people["Fatima Faculty"]["relevant"]] == ["SonoCorp Imaging"]
    assert people["Fatima Faculty"]["relevant"][0]["mitigation"] == "peer_review"
    assert all(not p["relevant"] for name, p in people.items() if name != "Fatima Faculty")
    speakers = set(EpisodePerson.objects.filter(episode=activity.episode).values_list("name", flat=True))
    assert speakers == set(
        SpeakerMatch.objects.filter(activity=activity).values_list("speaker_name", flat=True)
    )
    call_command("seed_demo")  # idempotent: nothing collected twice
    assert DisclosureForm.objects.count() == 5
    page = client.get(activity.episode.get_absolute_url()).content.decode()
    assert "SonoCorp Imaging" in page


def test_on_a_published_activity_decisions_are_kept_step_by_step_and_the_version_follows_when_complete(
    coordinator, activity, learner
):
    factories.pass_post_test(learner, activity)
    first = activity.current_version
    row = ContentPerson.objects.get(activity=activity)
    disclosure_services.disclosure_form_enter(
        person=row.person,
        actor=coordinator,
        data={
            "relationships": [
                {"company": "Acme Pharma", "nature": "consultant"},
                {"company": "Beta Devices", "nature": "speaker"},
            ],
            "attests_complete": True,
            "promises_to_report_changes": True,
        },
        collected_on=timezone.localdate(),
    )
    decide = dict(content_person=row, actor=coordinator, relevant=True, mitigation="peer_review")
    disclosure_services.relationship_decide(
        relationship=_relationship("Dana Faculty", "Acme Pharma"), **decide
    )
    activity.refresh_from_db()
    assert activity.current_version == first  # Beta Devices is still undecided: learners keep version 1
    assert RelevanceDecision.objects.filter(content_person=row).count() == 1  # the step is kept
    disclosure_services.relationship_decide(
        relationship=_relationship("Dana Faculty", "Beta Devices"), **decide
    )
    activity.refresh_from_db()
    assert activity.current_version.number == first.number + 1
    assert [r["company"] for r in activity.current_version.content["people"][0]["relevant"]] == [
        "Acme Pharma",
        "Beta Devices",
    ]


def test_a_new_link_starts_from_the_last_form(client, coordinator, episode, provider):
    activity = factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        people=[
            {
                "name": "Ada Byrne",
                "email": "ada@example.org",
                "disclosures": [{"company": "Acme Pharma", "nature": "consultant", "mitigated": True}],
            }
        ],
    )
    person = ContentPerson.objects.get(activity=activity).person
    _request, token = disclosure_services.disclosure_request_send(person=person, actor=coordinator)
    body = client.get(reverse("credits:disclosure_form", args=[token])).content.decode()
    assert "Your last disclosure (collected on" in body
    assert 'name="rel-0-company" value="Acme Pharma"' in body
    assert '<option value="consultant" selected>' in body


def test_a_name_fix_reaches_learners_and_bad_input_writes_nothing(client, coordinator, activity):
    mfa_login(client, coordinator)
    row = ContentPerson.objects.get(activity=activity)
    url = reverse("credits:coordinator_person", args=[activity.pk, row.pk])
    response = client.post(url, {"who-name": "", "who-email": "not an email"})
    assert response.status_code == 400
    assert (
        "This field is required" in response.content.decode()
        and "Enter a valid email" in response.content.decode()
    )
    assert ProviderPerson.objects.get().name == "Dana Faculty"
    response = client.post(url, {"who-name": "Dana Faculté", "who-credentials": "MD, PhD", "who-email": ""})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.current_version.content["people"][0]["name"] == "Dana Faculté"
    event = AuditEvent.objects.get(action="disclosure.person_updated")
    assert event.data == {"name": ["Dana Faculty", "Dana Faculté"], "credentials": ["MD", "MD, PhD"]}
    # The role form on the same page still works.
    response = client.post(url, {"role-role": "reviewer", "role-exception": "", "role-exception_note": ""})
    assert response.status_code == 302 and ContentPerson.objects.get(pk=row.pk).role == "reviewer"


def test_an_address_that_keeps_trying_unknown_links_is_stopped_for_a_minute(client, coordinator, draft):
    person = disclosure_services.person_create(
        provider=draft.provider, actor=coordinator, name="Ada Byrne", email="ada@example.org"
    )
    _request, token = disclosure_services.disclosure_request_send(person=person, actor=coordinator)
    second = timezone.now().second
    if second >= 55:  # counted per minute: start in a fresh one
        time.sleep(61 - second)
    for n in range(BAD_LINKS_PER_MINUTE):
        assert client.get(f"/disclosure/guess{n}/").status_code == 404
    response = client.get(f"/disclosure/{token}/")
    assert response.status_code == 429 and "Wait a minute" in response.content.decode()
    assert response["Retry-After"] == "60"
    assert client.get(f"/disclosure/{token}/", REMOTE_ADDR="192.0.2.9").status_code == 200  # others are not
