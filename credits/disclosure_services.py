"""Writes for disclosures (ACCME Standard 3): known people, emailed requests, the self-service form,
the people of an activity, relevance and mitigation decisions, and the episode's speakers.

Every write that changes what learners are shown calls ``versions.activity_changed`` in its
transaction (a published activity's edit is checked and versioned) and writes an audit row with
the old and new values. Nothing is deleted: a person removed from an activity keeps their row
(``removed_at``), forms and decisions stay as they were recorded.

Request links: 32 random bytes (256 bits) from ``secrets``; only their SHA-256 is stored; one link
per person at a time (sending another revokes the open one); valid 30 days; used once.
"""

import datetime
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.mail import email_queue
from accounts.models import User
from audit.services import audit_record

from . import grants, versions
from .audit_actions import CreditAction
from .disclosures import REQUEST_VALID_DAYS, active_people, form_status, latest_form, speakers
from .models import (
    Activity,
    ContentPerson,
    DisclosureForm,
    DisclosureRequest,
    FinancialRelationship,
    Nature,
    ProviderPerson,
    RelevanceDecision,
    SpeakerMatch,
)

TOKEN_BYTES = 32
WHAT = "people and disclosures"


class DisclosureLinkError(Exception):
    """A disclosure link that cannot be used: ``code`` is unknown, used, revoked or expired."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- What the audit rows keep -----------------------------------------------------------------------


def _form_for_audit(form: DisclosureForm | None) -> dict[str, Any] | None:
    if form is None:
        return None
    return {
        "id": form.pk,
        "source": form.source,
        "collected_on": form.collected_on.isoformat() if form.collected_on else None,
        "no_relationships": form.no_relationships,
        "owner_or_employee": form.owner_or_employee,
        "owner_or_employee_company": form.owner_or_employee_company,
        "relationships": [
            {
                "id": r.pk,
                "company": r.company,
                "nature": r.nature,
                "started_on": r.started_on.isoformat() if r.started_on else None,
                "ended_on": r.ended_on.isoformat() if r.ended_on else None,
                "ongoing": r.ongoing,
            }
            for r in form.relationships.all()
        ],
    }


def _decision_for_audit(decision: RelevanceDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "relationship": decision.relationship_id,
        "company": decision.relationship.company,
        "nature": decision.relationship.nature,
        "relevant": decision.relevant,
        "reason": decision.reason,
        "mitigation": decision.mitigation,
        "mitigation_note": decision.mitigation_note,
    }


def _person_for_audit(person: ContentPerson) -> dict[str, Any]:
    form = latest_form(person.person)
    return {
        "id": person.pk,
        "name": person.person.name,
        "credentials": person.person.credentials,
        "email": person.person.email,
        "role": person.role,
        "exception": person.exception,
        "exception_note": person.exception_note,
        "removed_at": person.removed_at.isoformat() if person.removed_at else None,
        "form": _form_for_audit(form),
        "decisions": [
            _decision_for_audit(d)
            for d in RelevanceDecision.objects.filter(content_person=person).select_related("relationship")
        ],
    }


def people_for_audit(activity: Activity) -> dict[str, Any]:
    """The activity's people, their forms and decisions, and its speakers: the audit row's old/new."""
    return {
        "people": [_person_for_audit(p) for p in active_people(activity)],
        "speakers": [
            {
                "name": s.name,
                "person": s.content_person.person.name if s.content_person else None,
                "not_in_control_reason": s.not_in_control_reason,
            }
            for s in speakers(activity)
        ],
    }


def _changed(
    activity: Activity,
    actor: User | None,
    action: str,
    before: dict[str, Any],
    *,
    step: bool = False,
    **extra: Any,
) -> None:
    """Audit the change (old and new values) and freeze what learners now see.

    ``step``: one step of work that is complete only with others (deciding one relationship of two,
    adding a person whose relationships are decided next, recording an exception). On a published
    activity the step is kept while the publishing checks still fail, and learners keep the current
    version until the last step passes them (the people page lists what is left). Other changes
    (removing a person) are refused when they would break the checks."""
    audit_record(
        actor=actor,
        action=action,
        obj=activity,
        data={**extra, "old": before, "new": people_for_audit(activity)},
    )
    if not step:
        versions.activity_changed(activity=activity, actor=actor, what=WHAT)
        return
    try:
        with transaction.atomic():
            versions.activity_changed(activity=activity, actor=actor, what=WHAT)
    except ValidationError:
        pass  # not complete yet: the current version stays what learners see


def _lock(activity: Activity) -> Activity:
    grants.require_changeable(activity)
    return Activity.objects.select_for_update().select_related("provider", "episode").get(pk=activity.pk)


# --- Known people -------------------------------------------------------------------------------------


@transaction.atomic
def person_create(
    *, provider, actor: User | None, name: str, credentials: str = "", email: str = ""
) -> ProviderPerson:
    """A person the provider knows (faculty, planner, reviewer): no account, just how to reach them."""
    person = ProviderPerson(
        provider=provider,
        name=(name or "").strip(),
        credentials=(credentials or "").strip(),
        email=(email or "").strip(),
    )
    person.full_clean(exclude=["provider"])
    if person.email and ProviderPerson.objects.filter(provider=provider, email__iexact=person.email).exists():
        raise ValidationError(
            {"email": _("Someone with this email is already known: choose them from the list.")}
        )
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise ValidationError(
            {"email": _("Someone with this email is already known: choose them from the list.")}
        ) from None
    audit_record(
        actor=actor,
        action=CreditAction.KNOWN_PERSON_CREATED,
        obj=person,
        data={
            "provider": provider.pk,
            "name": person.name,
            "credentials": person.credentials,
            "email": person.email,
        },
    )
    return person


@transaction.atomic
def person_update(
    *, person: ProviderPerson, actor: User | None, name: str, credentials: str = "", email: str = ""
) -> ProviderPerson:
    """Correct a known person's name, credentials or email. Learners are shown the name and
    credentials: each activity the person is on takes the correction in its next version (at once
    when its checks pass; see ``_changed``'s steps). A show that revoked the provider keeps its own."""
    person = ProviderPerson.objects.select_for_update().get(pk=person.pk)
    old = {"name": person.name, "credentials": person.credentials, "email": person.email}
    person.name, person.credentials = (name or "").strip(), (credentials or "").strip()
    person.email = (email or "").strip()
    person.full_clean(exclude=["provider"])
    taken = ProviderPerson.objects.filter(provider=person.provider, email__iexact=person.email)
    if person.email and taken.exclude(pk=person.pk).exists():
        raise ValidationError({"email": _("Another known person has this email.")})
    new = {"name": person.name, "credentials": person.credentials, "email": person.email}
    if old == new:
        return person
    person.save(update_fields=["name", "credentials", "email"])
    audit_record(
        actor=actor,
        action=CreditAction.KNOWN_PERSON_UPDATED,
        obj=person,
        data={key: [old[key], new[key]] for key in old if old[key] != new[key]},
    )
    for role in ContentPerson.objects.filter(person=person, removed_at__isnull=True).select_related(
        "activity__episode"
    ):
        if not grants.activity_is_changeable(role.activity):
            continue
        try:
            with transaction.atomic():
                versions.activity_changed(activity=role.activity, actor=actor, what=WHAT)
        except ValidationError:
            pass  # that activity has other work left: its people page lists it
    return person


# --- The people of an activity ------------------------------------------------------------------------


def _check_exception(exception: str, note: str) -> tuple[str, str]:
    exception, note = (exception or "").strip(), (note or "").strip()
    if exception and exception not in ContentPerson.OwnerException.values:
        raise ValidationError({"exception": _("Choose one of ACCME's three exceptions.")})
    if exception and not note:
        raise ValidationError(
            {"exception_note": _("Say why the exception applies: it is kept in the record.")}
        )
    return exception, (note if exception else "")


def _refuse_owner(person: ProviderPerson, exception: str) -> None:
    """ACCME Standard 3.2: owners and employees of ineligible companies are excluded (three exceptions)."""
    form = latest_form(person)
    if form is not None and form.owner_or_employee and not exception:
        raise ValidationError(
            _(
                "%(name)s declared owning or working for an ineligible company (%(company)s). ACCME excludes "
                "owners and employees of ineligible companies from controlling content, unless one of its "
                "three "
                "exceptions applies: record the exception and why, or choose someone else."
            )
            % {"name": person.name, "company": form.owner_or_employee_company}
        )


@transaction.atomic
def activity_add_person(
    *,
    activity: Activity,
    actor: User | None,
    person: ProviderPerson,
    role: str,
    exception: str = "",
    exception_note: str = "",
) -> ContentPerson:
    """Put a known person in control of the activity's content, in a role."""
    activity = _lock(activity)
    if person.provider_id != activity.provider_id:
        raise ValidationError(_("Choose someone your provider knows."))
    if role not in ContentPerson.Role.values:
        raise ValidationError({"role": _("Choose faculty, planner or reviewer.")})
    exception, exception_note = _check_exception(exception, exception_note)
    if active_people(activity).filter(person=person).exists():
        raise ValidationError(
            _("%(name)s is already in control of this activity's content.") % {"name": person.name}
        )
    _refuse_owner(person, exception)
    before = people_for_audit(activity)
    position = (ContentPerson.objects.filter(activity=activity).aggregate(n=Max("position"))["n"] or 0) + 1
    added = ContentPerson.objects.create(
        activity=activity,
        person=person,
        role=role,
        position=position,
        exception=exception,
        exception_note=exception_note,
    )
    _changed(activity, actor, CreditAction.ACTIVITY_PERSON_ADDED, before, step=True, person=person.name)
    return added


@dataclass
class Invitation:
    """What ``activity_invite_person`` did: the person added (None while they must first complete
    the form, on a published activity) and the request emailed (None when their form is valid)."""

    person: ProviderPerson
    added: ContentPerson | None
    request: DisclosureRequest | None


@transaction.atomic
def activity_invite_person(
    *,
    activity: Activity,
    actor: User | None,
    person: ProviderPerson | None = None,
    new_person: Mapping[str, str] | None = None,
    role: str,
    exception: str = "",
    exception_note: str = "",
    send_request: bool = True,
    email: str = "",
) -> Invitation:
    """The people page's "Add": a known (or new) person is put in control of content and, unless
    their form is valid, emailed the disclosure form, all or nothing.

    A published activity shows learners only people with a collected disclosure, so there the
    person is only sent the form; the coordinator adds them once it is collected and decided."""
    person, added, needs_request = _invite(
        activity=activity,
        actor=actor,
        person=person,
        new_person=new_person,
        role=role,
        exception=exception,
        exception_note=exception_note,
        send_request=send_request,
    )
    request = None
    if needs_request:
        request, _token = disclosure_request_send(person=person, actor=actor, activity=activity, email=email)
    return Invitation(person=person, added=added, request=request)


def _invite(
    *,
    activity: Activity,
    actor: User | None,
    person: ProviderPerson | None,
    new_person: Mapping[str, str] | None,
    role: str,
    exception: str,
    exception_note: str,
    send_request: bool,
) -> tuple[ProviderPerson, ContentPerson | None, bool]:
    """``activity_invite_person`` up to the request: the person, the row added (or None) and
    whether the disclosure form is to be sent."""
    if person is None:
        new_person = new_person or {}
        person = person_create(
            provider=activity.provider,
            actor=actor,
            name=new_person.get("name", ""),
            credentials=new_person.get("credentials", ""),
            email=new_person.get("email", ""),
        )
    usable = form_status(person).usable
    added = None
    if activity.status != Activity.Status.PUBLISHED or usable:
        added = activity_add_person(
            activity=activity,
            actor=actor,
            person=person,
            role=role,
            exception=exception,
            exception_note=exception_note,
        )
    elif not send_request:
        raise ValidationError(
            _(
                "%(name)s has no collected disclosure, and learners of a published activity are shown only "
                "people whose disclosure was collected: send them the form first."
            )
            % {"name": person.name}
        )
    return person, added, send_request and not usable


def _request_address(person: ProviderPerson, email: str) -> str:
    """Where ``disclosure_request_send`` would send the form, or the ValidationError it would raise."""
    email = (email or "").strip()
    if email and email.lower() != person.email.lower():
        validate_email(email)
        if (
            ProviderPerson.objects.filter(provider=person.provider, email__iexact=email)
            .exclude(pk=person.pk)
            .exists()
        ):
            raise ValidationError({"email": _("Another known person has this email.")})
        return email
    if not person.email:
        raise ValidationError(
            {"email": _("Give %(name)s's email address to send the form.") % {"name": person.name}}
        )
    return person.email


class PersonRowError(Exception):
    """A row of the people list was refused: ``index`` counts the rows given, from 0."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(index, error)
        self.index = index
        self.error = error


@transaction.atomic
def activity_invite_people(
    *, activity: Activity, actor: User | None, rows: Sequence[Mapping[str, Any]]
) -> list[Invitation]:
    """The people page's list: each row (the arguments of ``activity_invite_person``) is added and
    emailed the disclosure form as one person is, with its own audit rows, all rows or none: a
    refused row raises PersonRowError and the rows before it are rolled back.

    An email cannot be taken back (with the embedded task queue it leaves at once, inside the
    transaction), so every row is added and its address checked first, and the forms are sent
    only when all rows passed."""
    checked = []
    addresses: set[str] = set()
    for index, row in enumerate(rows):
        args = dict(row)
        email = args.pop("email", "")
        try:
            person, added, needs_request = _invite(activity=activity, actor=actor, **args)
            for address in {person.email, _request_address(person, email) if needs_request else ""}:
                if address and address.lower() in addresses:
                    raise ValidationError({"email": _("Another row has this email.")})
                addresses.add(address.lower())
        except ValidationError as error:
            raise PersonRowError(index, error) from error
        checked.append((index, person, added, needs_request, email))
    invitations = []
    for index, person, added, needs_request, email in checked:
        request = None
        if needs_request:
            try:
                request, _token = disclosure_request_send(
                    person=person, actor=actor, activity=activity, email=email
                )
            except ValidationError as error:  # checked above; kept for safety
                raise PersonRowError(index, error) from error
        invitations.append(Invitation(person=person, added=added, request=request))
    return invitations


def _content_person(activity: Activity, content_person: ContentPerson) -> ContentPerson:
    row = ContentPerson.objects.select_for_update().select_related("person").get(pk=content_person.pk)
    if row.activity_id != activity.pk:
        raise ValidationError(_("That person is not on this activity."))
    if row.removed_at is not None:
        raise ValidationError(_("%(name)s was removed from this activity.") % {"name": row.person.name})
    return row


@transaction.atomic
def activity_remove_person(*, content_person: ContentPerson, actor: User | None) -> ContentPerson:
    """Take a person off the activity: the row stays (removed_at), with their form and decisions."""
    activity = _lock(content_person.activity)
    row = _content_person(activity, content_person)
    before = people_for_audit(activity)
    row.removed_at = timezone.now()
    row.removed_by = actor if actor is not None and actor.is_authenticated else None
    row.save(update_fields=["removed_at", "removed_by"])
    _changed(activity, actor, CreditAction.ACTIVITY_PERSON_REMOVED, before, person=row.person.name)
    return row


@transaction.atomic
def activity_person_update(
    *,
    content_person: ContentPerson,
    actor: User | None,
    role: str,
    exception: str = "",
    exception_note: str = "",
) -> ContentPerson:
    """Change a person's role, or record (or clear) their Standard 3.2 exception."""
    activity = _lock(content_person.activity)
    row = _content_person(activity, content_person)
    if role not in ContentPerson.Role.values:
        raise ValidationError({"role": _("Choose faculty, planner or reviewer.")})
    exception, exception_note = _check_exception(exception, exception_note)
    _refuse_owner(row.person, exception)
    before = people_for_audit(activity)
    row.role, row.exception, row.exception_note = role, exception, exception_note
    row.save(update_fields=["role", "exception", "exception_note"])
    _changed(
        activity, actor, CreditAction.ACTIVITY_PERSON_EXCEPTION, before, step=True, person=row.person.name
    )
    return row


# --- Requests and the self-service form ---------------------------------------------------------------


def request_url(token: str) -> str:
    return settings.SITE_URL + reverse("credits:disclosure_form", args=[token])


@transaction.atomic
def disclosure_request_send(
    *, person: ProviderPerson, actor: User | None, activity: Activity | None = None, email: str = ""
) -> tuple[DisclosureRequest, str]:
    """Email the person a link to the disclosure form; returns the request and the raw token (the
    token is never stored: only the email carries it). An open earlier link is revoked."""
    person = ProviderPerson.objects.select_for_update().get(pk=person.pk)
    email = (email or "").strip()
    if email and email.lower() != person.email.lower():
        old_email = person.email
        person.email = email
        person.full_clean(exclude=["provider"])
        if (
            ProviderPerson.objects.filter(provider=person.provider, email__iexact=email)
            .exclude(pk=person.pk)
            .exists()
        ):
            raise ValidationError({"email": _("Another known person has this email.")})
        person.save(update_fields=["email"])
        audit_record(
            actor=actor,
            action=CreditAction.KNOWN_PERSON_UPDATED,
            obj=person,
            data={"email": [old_email, email]},
        )
    if not person.email:
        raise ValidationError(
            {"email": _("Give %(name)s's email address to send the form.") % {"name": person.name}}
        )
    now = timezone.now()
    revoked = list(
        DisclosureRequest.objects.filter(
            person=person, used_at__isnull=True, revoked_at__isnull=True
        ).values_list("pk", flat=True)
    )
    DisclosureRequest.objects.filter(pk__in=revoked).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    request = DisclosureRequest.objects.create(
        person=person,
        activity=activity,
        token_hash=token_hash(token),
        sent_to=person.email,
        created_at=now,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        expires_at=now + datetime.timedelta(days=REQUEST_VALID_DAYS),
    )
    context = {
        "person": person,
        "provider": person.provider,
        "activity": activity,
        "url": request_url(token),
        "expires_at": request.expires_at,
        "sender": actor,
    }
    message = EmailMultiAlternatives(
        subject=_("Your disclosure of financial relationships for %(provider)s")
        % {"provider": person.provider.name},
        body=render_to_string("credits/disclosures/email_request.txt", context),
        to=[person.email],
    )
    email_queue(message=message, kind="credits/disclosures/email_request")  # sent by a task, retried
    audit_record(
        actor=actor,
        action=CreditAction.DISCLOSURE_REQUESTED,
        obj=activity or person,
        data={
            "person": person.name,
            "sent_to": person.email,
            "request": request.pk,
            "expires_at": request.expires_at.isoformat(),
            "revoked_requests": revoked,
        },
    )
    return request, token


@transaction.atomic
def disclosure_request_revoke(*, request: DisclosureRequest, actor: User | None) -> DisclosureRequest:
    request = DisclosureRequest.objects.select_for_update().get(pk=request.pk)
    if request.used_at is not None or request.revoked_at is not None:
        raise ValidationError(_("This link was already answered or revoked."))
    request.revoked_at = timezone.now()
    request.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=CreditAction.DISCLOSURE_REQUEST_REVOKED,
        obj=request.activity or request.person,
        data={
            "person": request.person.name,
            "request": request.pk,
            "revoked_at": [None, request.revoked_at.isoformat()],
        },
    )
    return request


def request_for_token(token: str, *, lock: bool = False) -> DisclosureRequest:
    """The open request a link's token names; DisclosureLinkError says why a link cannot be used."""
    if not token or len(token) > 100:
        raise DisclosureLinkError("unknown")
    rows = DisclosureRequest.objects.select_related("person__provider", "activity")
    if lock:
        rows = rows.select_for_update(of=("self",))  # the activity is an outer join PostgreSQL cannot lock
    request = rows.filter(token_hash=token_hash(token)).first()
    if request is None:
        raise DisclosureLinkError("unknown")
    if request.used_at is not None:
        raise DisclosureLinkError("used")
    if request.revoked_at is not None:
        raise DisclosureLinkError("revoked")
    if request.expires_at <= timezone.now():
        raise DisclosureLinkError("expired")
    return request


def _validate_declaration(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The service's own check of a declaration (the public form checks the same, field by field)."""
    relationships = [dict(r) for r in data.get("relationships") or []]
    for r in relationships:
        if not (r.get("company") or "").strip() or r.get("nature") not in Nature.values:
            raise ValidationError(
                _("Each relationship needs the company and the nature of the relationship.")
            )
    if bool(data.get("no_relationships")) == bool(relationships):
        raise ValidationError(
            _(
                "List every financial relationship of the past 24 months, or tick that you had none "
                "(not both)."
            )
        )
    if data.get("owner_or_employee") and not (data.get("owner_or_employee_company") or "").strip():
        raise ValidationError(_("Name the ineligible company you own or work for."))
    if not data.get("attests_complete") or not data.get("promises_to_report_changes"):
        raise ValidationError(_("Confirm that the list is complete and that you will report changes."))
    return relationships


def _record_form(
    *,
    person: ProviderPerson,
    source: str,
    data: Mapping[str, Any],
    collected_on,
    request: DisclosureRequest | None = None,
    entered_by: User | None = None,
) -> DisclosureForm:
    relationships = _validate_declaration(data)
    form = DisclosureForm.objects.create(
        person=person,
        request=request,
        source=source,
        collected_on=collected_on,
        entered_by=entered_by if entered_by is not None and entered_by.is_authenticated else None,
        no_relationships=bool(data.get("no_relationships")),
        owner_or_employee=bool(data.get("owner_or_employee")),
        owner_or_employee_company=(data.get("owner_or_employee_company") or "").strip()[:200]
        if data.get("owner_or_employee")
        else "",
        attests_complete=True,
        promises_to_report_changes=True,
        signed_name=(data.get("signed_name") or person.name).strip()[:128],
    )
    for position, r in enumerate(relationships):
        row = FinancialRelationship(
            form=form,
            company=r["company"].strip()[:200],
            nature=r["nature"],
            started_on=r.get("started_on"),
            ended_on=r.get("ended_on"),
            ongoing=bool(r.get("ongoing")),
            position=position,
        )
        row.full_clean(exclude=["form"])
        row.save()
    return form


def _refresh_published(person: ProviderPerson, actor: User | None) -> None:
    """A new form of a person on published activities: each takes it when nothing is left to decide
    (e.g. "none" again); otherwise the version learners see stays until the coordinator decides."""
    for content_person in ContentPerson.objects.filter(
        person=person, removed_at__isnull=True, activity__status=Activity.Status.PUBLISHED
    ).select_related("activity"):
        try:
            with transaction.atomic():
                versions.activity_changed(activity=content_person.activity, actor=actor, what=WHAT)
        except ValidationError:
            pass  # the people page lists what the coordinator must decide


@transaction.atomic
def disclosure_form_submit(*, token: str, data: Mapping[str, Any]) -> DisclosureForm:
    """The person completes the form through the emailed link (Standard 3.1); the link is used up."""
    request = request_for_token(token, lock=True)
    person = request.person
    form = _record_form(
        person=person,
        source=DisclosureForm.Source.SELF,
        data=data,
        collected_on=timezone.localdate(),
        request=request,
    )
    request.used_at = timezone.now()
    request.save(update_fields=["used_at"])
    audit_record(
        actor=None,
        action=CreditAction.DISCLOSURE_COLLECTED,
        obj=request.activity or person,
        data={"person": person.name, "request": request.pk, "old": None, "new": _form_for_audit(form)},
    )
    if request.created_by is not None and request.created_by.email:
        message = EmailMultiAlternatives(
            subject=_("%(name)s completed the disclosure form") % {"name": person.name},
            body=render_to_string(
                "credits/disclosures/email_collected.txt",
                {"person": person, "form": form, "activity": request.activity, "site_url": settings.SITE_URL},
            ),
            to=[request.created_by.email],
        )
        email_queue(message=message, kind="credits/disclosures/email_collected")
    _refresh_published(person, None)
    return form


@transaction.atomic
def disclosure_form_enter(
    *, person: ProviderPerson, actor: User | None, data: Mapping[str, Any], collected_on
) -> DisclosureForm:
    """A coordinator records a form the person completed and signed elsewhere (e.g. on paper), with
    the date it was collected. Used by ``activity_set_people`` (tests, the bench)."""
    if collected_on is None or collected_on > timezone.localdate():
        raise ValidationError(_("Give the date the form was collected (not in the future)."))
    form = _record_form(
        person=person,
        source=DisclosureForm.Source.COORDINATOR,
        data=data,
        collected_on=collected_on,
        entered_by=actor,
    )
    audit_record(
        actor=actor,
        action=CreditAction.DISCLOSURE_ENTERED,
        obj=person,
        data={"person": person.name, "old": None, "new": _form_for_audit(form)},
    )
    return form


# --- Relevance, mitigation, speakers ------------------------------------------------------------------


@transaction.atomic
def relationship_decide(
    *,
    content_person: ContentPerson,
    relationship: FinancialRelationship,
    actor: User | None,
    relevant: bool,
    reason: str = "",
    mitigation: str = "",
    mitigation_note: str = "",
) -> RelevanceDecision:
    """The provider decides whether a relationship is relevant to this activity (Standard 3.3) and,
    if it is, records how it was mitigated (3.4). A relevant one without mitigation blocks publishing."""
    activity = _lock(content_person.activity)
    row = _content_person(activity, content_person)
    form = latest_form(row.person)
    if form is None or relationship.form_id != form.pk:
        raise ValidationError(_("That relationship is not on the person's current disclosure form."))
    reason, mitigation, note = (
        (reason or "").strip(),
        (mitigation or "").strip(),
        (mitigation_note or "").strip(),
    )
    if not relevant:
        mitigation, note = "", ""
    if mitigation and mitigation not in RelevanceDecision.Mitigation.values:
        raise ValidationError({"mitigation": _("Choose how the relationship was mitigated.")})
    if mitigation == RelevanceDecision.Mitigation.BEFORE_COLLECTION:
        raise ValidationError({"mitigation": _("Choose how the relationship was mitigated.")})
    if mitigation == RelevanceDecision.Mitigation.OTHER and not note:
        raise ValidationError({"mitigation_note": _("Describe how the relationship was mitigated.")})
    before = people_for_audit(activity)
    decision = RelevanceDecision.objects.filter(content_person=row, relationship=relationship).first()
    now = timezone.now()
    who = actor if actor is not None and actor.is_authenticated else None
    if decision is None:
        decision = RelevanceDecision(content_person=row, relationship=relationship)
    if mitigation and (mitigation, note) != (decision.mitigation, decision.mitigation_note):
        decision.mitigated_at, decision.mitigated_by = now, who
    elif not mitigation:
        decision.mitigated_at, decision.mitigated_by = None, None
    decision.relevant, decision.reason = relevant, reason
    decision.mitigation, decision.mitigation_note = mitigation, note
    decision.decided_at, decision.decided_by = now, who
    decision.save()
    _changed(
        activity,
        actor,
        CreditAction.RELEVANCE_DECIDED,
        before,
        step=True,
        person=row.person.name,
        company=relationship.company,
    )
    return decision


@transaction.atomic
def speaker_settle(
    *,
    activity: Activity,
    actor: User | None,
    speaker_name: str,
    content_person: ContentPerson | None = None,
    not_in_control_reason: str = "",
) -> SpeakerMatch:
    """Match a speaker of the episode to a person in control of content, or record why they are not
    in control of content (e.g. a patient telling their story, an interviewer reading questions)."""
    activity = _lock(activity)
    names = {s.name for s in speakers(activity)}
    if speaker_name not in names:
        raise ValidationError(_("%(name)s is not a speaker of this episode.") % {"name": speaker_name})
    reason = (not_in_control_reason or "").strip()
    if content_person is not None:
        content_person = _content_person(activity, content_person)
        reason = ""
    elif not reason:
        raise ValidationError(
            _(
                "Choose the person in control of content this speaker is, or say why they are not in "
                "control of content."
            )
        )
    before = people_for_audit(activity)
    match, _created = SpeakerMatch.objects.update_or_create(
        activity=activity,
        speaker_name=speaker_name,
        defaults={
            "content_person": content_person,
            "not_in_control_reason": reason[:1000],
            "decided_at": timezone.now(),
            "decided_by": actor if actor is not None and actor.is_authenticated else None,
        },
    )
    _changed(activity, actor, CreditAction.SPEAKER_MATCHED, before, step=True, speaker=speaker_name)
    return match


# --- The convenience for tests, the bench and scripts -------------------------------------------------


@transaction.atomic
def activity_set_people(
    *, activity: Activity, actor: User | None, people: Sequence[Mapping[str, Any]]
) -> None:
    """Make ``people`` the activity's people in control of content, each with a form the coordinator
    records as collected today (a signed form received outside podcastcme).

    Each person: {name, credentials, role, email?, disclosures: [{company, nature, mitigated,
    relevant? (default True), mitigation? (default peer review)}]}. A known person with the same name
    and credentials (or email) is reused; people not listed are removed (their rows stay). Every
    relevant relationship must be mitigated before it can be shown to learners (ACCME Standard 3).
    """
    activity = _lock(activity)
    for given in people:
        for disclosure in given.get("disclosures", []):
            if disclosure.get("relevant", True) and not (
                disclosure.get("mitigated") or disclosure.get("mitigation")
            ):
                raise ValidationError(
                    _(
                        "The relationship of %(name)s with %(company)s must be mitigated before the activity "
                        "is offered."
                    )
                    % {"name": given["name"], "company": disclosure["company"]}
                )
    before = people_for_audit(activity)
    today = timezone.localdate()
    who = actor if actor is not None and actor.is_authenticated else None
    kept: set[int] = set()
    for position, entry in enumerate(people):
        name, credentials = entry["name"].strip(), (entry.get("credentials") or "").strip()
        email = (entry.get("email") or "").strip()
        known = ProviderPerson.objects.filter(provider=activity.provider)
        person = (known.filter(email__iexact=email).first() if email else None) or known.filter(
            name=name, credentials=credentials
        ).first()
        if person is None:
            person = ProviderPerson(
                provider=activity.provider, name=name, credentials=credentials, email=email
            )
            person.full_clean(exclude=["provider"])
            person.save()
        disclosures = list(entry.get("disclosures", []))
        form = _record_form(
            person=person,
            source=DisclosureForm.Source.COORDINATOR,
            data={
                "relationships": disclosures,
                "no_relationships": not disclosures,
                "owner_or_employee": bool(entry.get("owner_or_employee")),
                "owner_or_employee_company": entry.get("owner_or_employee_company", ""),
                "attests_complete": True,
                "promises_to_report_changes": True,
            },
            collected_on=today,
            entered_by=actor,
        )
        row = active_people(activity).filter(person=person).first()
        role = entry.get("role") or ContentPerson.Role.FACULTY
        exception, note = _check_exception(entry.get("exception", ""), entry.get("exception_note", ""))
        _refuse_owner(person, exception)
        if row is None:
            row = ContentPerson.objects.create(
                activity=activity,
                person=person,
                role=role,
                position=position,
                exception=exception,
                exception_note=note,
            )
        else:
            row.role, row.position, row.exception, row.exception_note = role, position, exception, note
            row.save(update_fields=["role", "position", "exception", "exception_note"])
        kept.add(row.pk)
        for relationship, disclosure in zip(form.relationships.all(), disclosures, strict=True):
            relevant = bool(disclosure.get("relevant", True))
            mitigation = (
                (disclosure.get("mitigation") or RelevanceDecision.Mitigation.PEER_REVIEW) if relevant else ""
            )
            RelevanceDecision.objects.create(
                content_person=row,
                relationship=relationship,
                relevant=relevant,
                reason=disclosure.get("reason", ""),
                mitigation=mitigation,
                mitigation_note=disclosure.get("mitigation_note", ""),
                mitigated_at=timezone.now() if mitigation else None,
                mitigated_by=who if mitigation else None,
                decided_by=who,
            )
    active_people(activity).exclude(pk__in=kept).update(removed_at=timezone.now(), removed_by=who)
    audit_record(
        actor=actor,
        action=CreditAction.ACTIVITY_PEOPLE_SET,
        obj=activity,
        data={"count": len(people), "old": before, "new": people_for_audit(activity)},
    )
    versions.activity_changed(activity=activity, actor=actor, what=WHAT)
