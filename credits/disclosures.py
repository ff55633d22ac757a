"""Disclosures of the people in control of an activity's content (ACCME Standards 3.1-3.5): reads.

Two functions here are what activity versions (credits/versions.py) read; keep their shapes:
- ``people_snapshot(activity)``: the people as learners are shown them, frozen in each version;
- ``people_publish_problems(activity)``: what stops publishing, in words a coordinator acts on.

The writes (known people, emailed requests, the self-service form, relevance and mitigation,
speakers) are in credits/disclosure_services.py, which calls ``versions.activity_changed``.

The rules, as ACCME writes them and as applied here:
- 3.1: each person's latest form applies; it lists every relationship of the past 24 months (or
  none) and is valid for 12 months from the date it was collected. A form typed by a coordinator
  before collection existed has no collection date: a new version needs a fresh form.
- 3.2: an owner or employee of an ineligible company controls content only with a recorded exception.
- 3.3-3.4: every relationship on the form gets a decision (relevant or not) for each activity, and
  every relevant one a mitigation.
- 3.5: learners see the relevant relationships (company, nature) and the mitigation, or "no
  relevant financial relationships".
- Every speaker of the episode (podcast:person) is a person in control of content or is recorded as
  not in control of content.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from episodes.models import EpisodePerson

from .models import (
    Activity,
    ContentPerson,
    DisclosureForm,
    DisclosureRequest,
    FinancialRelationship,
    ProviderPerson,
    RelevanceDecision,
    SpeakerMatch,
)

# A request link works this long; a collected form is valid this many months (ACCME: 12).
REQUEST_VALID_DAYS = 30
FORM_VALID_MONTHS = 12


def form_valid_until(collected_on: datetime.date) -> datetime.date:
    """The last day a form collected on ``collected_on`` may be used (12 months later)."""
    year = collected_on.year + FORM_VALID_MONTHS // 12
    try:
        return collected_on.replace(year=year)
    except ValueError:  # 29 February
        return collected_on.replace(year=year, day=28)


def active_people(activity: Activity):
    """The activity's people in control of content now (removed ones are kept, not listed)."""
    return ContentPerson.objects.filter(activity=activity, removed_at__isnull=True).select_related("person")


def latest_form(person: ProviderPerson) -> DisclosureForm | None:
    """The form that applies to the person now: the last one they (or a coordinator) recorded."""
    return DisclosureForm.objects.filter(person=person).order_by("-submitted_at", "-id").first()


def open_request(person: ProviderPerson) -> DisclosureRequest | None:
    now = timezone.now()
    return (
        DisclosureRequest.objects.filter(
            person=person, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )


@dataclass
class FormStatus:
    """Where a person's disclosure stands: what the coordinator sees next to their name."""

    state: str  # missing | requested | request_expired | collected | expired | before_collection
    label: str
    form: DisclosureForm | None
    request: DisclosureRequest | None

    @property
    def usable(self) -> bool:
        return self.state == "collected"


def form_status(person: ProviderPerson, today: datetime.date | None = None) -> FormStatus:
    today = today or timezone.localdate()
    form = latest_form(person)
    request = open_request(person)
    requested = (
        _(" A new form was requested on %(date)s.") % {"date": date_format(request.created_at.date())}
        if request
        else ""
    )
    if form is None:
        if request is not None:
            return FormStatus(
                "requested",
                _("Requested on %(date)s (link valid until %(until)s)")
                % {
                    "date": date_format(request.created_at.date()),
                    "until": date_format(request.expires_at.date()),
                },
                None,
                request,
            )
        unanswered = (
            DisclosureRequest.objects.filter(person=person, used_at__isnull=True, revoked_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if unanswered is not None:  # sent, never answered, and its link has expired
            return FormStatus(
                "request_expired",
                _("Requested on %(date)s; the link expired on %(until)s without an answer: send it again.")
                % {
                    "date": date_format(unanswered.created_at.date()),
                    "until": date_format(unanswered.expires_at.date()),
                },
                None,
                unanswered,
            )
        return FormStatus("missing", _("Not requested yet"), None, None)
    if form.collected_on is None:
        return FormStatus(
            "before_collection",
            _("Entered by the coordinator before collection existed.") + requested,
            form,
            request,
        )
    until = form_valid_until(form.collected_on)
    if until < today:
        return FormStatus(
            "expired",
            _("Collected on %(date)s: expired on %(until)s.")
            % {"date": date_format(form.collected_on), "until": date_format(until)}
            + requested,
            form,
            request,
        )
    return FormStatus(
        "collected",
        _("Collected on %(date)s (valid until %(until)s)")
        % {"date": date_format(form.collected_on), "until": date_format(until)},
        form,
        request,
    )


def relationships_with_decisions(
    content_person: ContentPerson, form: DisclosureForm | None
) -> list[tuple[FinancialRelationship, RelevanceDecision | None]]:
    """Each relationship on the form that applies, with this activity's decision on it (or None)."""
    if form is None:
        return []
    decisions = {
        d.relationship_id: d for d in RelevanceDecision.objects.filter(content_person=content_person)
    }
    return [(r, decisions.get(r.pk)) for r in form.relationships.all()]


def people_snapshot(activity: Activity) -> list[dict[str, Any]]:
    """Each person in control of content with their *relevant* relationships (Standard 3.5).

    [{"name", "credentials", "role", "role_label", "disclosure_collected_on" (ISO date or None),
      "relevant": [{"company", "nature", "nature_label", "mitigation", "mitigation_label"}]}]
    An empty "relevant" list is shown as "no relevant financial relationships". Also:
    "disclosure_source" (DisclosureForm.Source) and "exception" / "exception_label" (Standard 3.2,
    empty for almost everyone). A relationship without a decision yet is not shown (publishing
    refuses it: see people_publish_problems).
    """
    people = []
    for person in active_people(activity):
        form = latest_form(person.person)
        relevant = [
            {
                "company": relationship.company,
                "nature": relationship.nature,
                "nature_label": str(relationship.get_nature_display()),
                "mitigation": decision.mitigation,
                "mitigation_label": str(decision.get_mitigation_display()) if decision.mitigation else "",
            }
            for relationship, decision in relationships_with_decisions(person, form)
            if decision is not None and decision.relevant
        ]
        people.append(
            {
                "name": person.person.name,
                "credentials": person.person.credentials,
                "role": person.role,
                "role_label": str(person.get_role_display()),
                "disclosure_collected_on": form.collected_on.isoformat()
                if form and form.collected_on
                else None,
                "disclosure_source": form.source if form else "",
                "exception": person.exception,
                "exception_label": str(person.get_exception_display()) if person.exception else "",
                "relevant": relevant,
            }
        )
    return people


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass
class Speaker:
    """One person heard in the episode (podcast:person) and who they are for the activity."""

    name: str
    role_label: str
    content_person: ContentPerson | None  # matched to a person in control of content
    not_in_control_reason: str
    by_name: bool  # matched because the names are the same (no recorded decision)

    @property
    def settled(self) -> bool:
        return self.content_person is not None or bool(self.not_in_control_reason)


def speakers(activity: Activity) -> list[Speaker]:
    """The episode's speakers, each matched (recorded, or by identical name) or not."""
    people = list(active_people(activity))
    by_key: dict[str, list[ContentPerson]] = {}
    for person in people:
        by_key.setdefault(_name_key(person.person.name), []).append(person)
    active_ids = {p.pk for p in people}
    matches = {_name_key(m.speaker_name): m for m in SpeakerMatch.objects.filter(activity=activity)}
    result: list[Speaker] = []
    seen: set[str] = set()
    for speaker in EpisodePerson.objects.filter(episode_id=activity.episode_id):
        key = _name_key(speaker.name)
        if key in seen:
            continue
        seen.add(key)
        match = matches.get(key)
        if match is not None and match.content_person_id in active_ids:
            person = next(p for p in people if p.pk == match.content_person_id)
            result.append(Speaker(speaker.name, str(speaker.get_role_display()), person, "", False))
        elif match is not None and match.not_in_control_reason:
            result.append(
                Speaker(
                    speaker.name, str(speaker.get_role_display()), None, match.not_in_control_reason, False
                )
            )
        elif len(by_key.get(key, [])) == 1:
            result.append(Speaker(speaker.name, str(speaker.get_role_display()), by_key[key][0], "", True))
        else:
            result.append(Speaker(speaker.name, str(speaker.get_role_display()), None, "", False))
    return result


def person_problems(content_person: ContentPerson, today: datetime.date | None = None) -> list[str]:
    """What this person's disclosure still needs before the activity can be published (or changed)."""
    name = content_person.person.name
    status = form_status(content_person.person, today)
    problems: list[str] = []
    if status.state in ("missing", "requested", "request_expired"):
        problems.append(
            _("Collect the disclosure of %(name)s: send them the disclosure form.") % {"name": name}
            if status.state != "requested"
            else _("%(name)s has not completed the disclosure form yet (requested on %(date)s).")
            % {"name": name, "date": date_format(status.request.created_at.date())}  # type: ignore[union-attr]
        )
        return problems
    if status.state == "before_collection":
        problems.append(
            _(
                "The disclosure of %(name)s was entered before collection existed: send them the disclosure "
                "form to collect it."
            )
            % {"name": name}
        )
    elif status.state == "expired":
        problems.append(
            _(
                "The disclosure of %(name)s is more than 12 months old (%(label)s): send the form again to "
                "refresh it."
            )
            % {"name": name, "label": status.label}
        )
    form = status.form
    assert form is not None
    if form.owner_or_employee and not content_person.exception:
        problems.append(
            _(
                "%(name)s owns or works for an ineligible company (%(company)s): ACCME excludes them from "
                "controlling content unless one of its three exceptions is recorded. Record the exception or "
                "remove them."
            )
            % {"name": name, "company": form.owner_or_employee_company}
        )
    for relationship, decision in relationships_with_decisions(content_person, form):
        what = {"name": name, "company": relationship.company, "nature": relationship.get_nature_display()}
        if decision is None:
            problems.append(
                _("Decide whether the relationship of %(name)s with %(company)s (%(nature)s) is relevant.")
                % what
            )
        elif decision.relevant and not decision.mitigation:
            problems.append(
                _(
                    "Record how the relevant relationship of %(name)s with %(company)s (%(nature)s) was "
                    "mitigated."
                )
                % what
            )
    return problems


def people_publish_problems(activity: Activity) -> list[str]:
    """Why the people and disclosures do not allow publishing yet (empty: they do)."""
    people = list(active_people(activity))
    problems: list[str] = []
    if not people:
        problems.append(_("Add at least one person in control of content, with their disclosure."))
    today = timezone.localdate()
    for person in people:
        problems += person_problems(person, today)
    for speaker in speakers(activity):
        if not speaker.settled:
            problems.append(
                _(
                    "%(name)s speaks in the episode: match them to a person in control of content (with a "
                    "disclosure) or record that they are not in control of content."
                )
                % {"name": speaker.name}
            )
    return problems
