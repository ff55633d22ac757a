"""Activity versions and the lifecycle draft -> published -> closed (withdrawn, or expired).

What a learner is shown before starting (ACCME's list: title, objectives, statements, designation,
dates, people with their relevant relationships and mitigation, commercial support, joint provider,
medium, references, ...) is frozen in an ActivityVersion. The Activity row is the coordinators'
working copy; learners only ever see ``activity.current_version``.

- ``activity_publish`` checks ``publish_problems`` and freezes version 1 (a draft is seen by its
  coordinators only).
- Every service that changes a published activity (its fields, people and disclosures, commercial
  support, post-test) calls ``activity_changed`` in its transaction. The change must still pass the
  publishing checks. If no learner has started the current version, it is replaced in place (an
  audit row keeps the old and new values); once one has, the next version is created, and learners
  already under way keep theirs.
- Each attempt records the version shown when it started; the evaluation, claim, completion and
  certificate take the version of the passed attempt. Designation, expiry and statements come from
  that version, so an edit never changes what an earlier learner was offered.

``version_content`` keys (``content`` JSON, schema 1): title, objectives [str], target_audience,
designated_credits (str), estimated_minutes, designation_reason, release_date, last_review_date,
expiry_date (ISO), passing_score, max_attempts, questions (count), providership, joint_provider_name,
provider {name, contact_email, privacy_policy_url}, accreditation_statement,
designation_statement (plain text), people (credits.disclosures.people_snapshot), mitigation_statement,
commercial_support [{supporter, kind, kind_label, amount, in_kind_description, agreement_signed_on}],
medium, references [str], requirements, mandate_topics [str], episode {title, minutes},
moc [{board, credit_type, points}] (only when the activity is registered for MOC: credits/moc.py),
credits [{kind, label, amount, uan, acpe_activity_type, statement}] (only when the activity offers
credit types besides AMA: credits/credit_types.py).
"""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from episodes import push
from episodes.models import Episode, Show

from . import credit_types
from .audit_actions import CreditAction
from .designation import designation_exceeds_time, minutes_needed
from .disclosures import people_publish_problems, people_snapshot
from .models import Activity, ActivityVersion, Attempt, CommercialSupport, MocRegistration
from .statements import (
    CREDIT_MARK,
    accreditation_statement,
    designation_statement_text,
    format_credits,
)

CONTENT_SCHEMA = 1
MITIGATION_STATEMENT = "All relevant financial relationships listed have been mitigated."
NO_RELEVANT_STATEMENT = "no relevant financial relationships with ineligible companies"


# --- What learners are shown ----------------------------------------------------------------------


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def _commercial_support(activity: Activity) -> list[dict[str, Any]]:
    return [
        {
            "supporter": row.supporter,
            "kind": row.kind,
            "kind_label": str(row.get_kind_display()),
            "amount": str(row.amount) if row.amount is not None else "",
            "in_kind_description": row.in_kind_description,
            "agreement_signed_on": _iso(row.agreement_signed_on),
        }
        for row in CommercialSupport.objects.filter(activity=activity)
    ]


def version_content(activity: Activity) -> dict[str, Any]:
    """Everything a learner is shown before starting, as plain JSON (frozen in a version)."""
    provider = activity.provider
    people = people_snapshot(activity)
    any_relevant = any(person["relevant"] for person in people)
    content: dict[str, Any] = {
        "schema": CONTENT_SCHEMA,
        "title": activity.title,
        "objectives": activity.objectives_list,
        "target_audience": activity.target_audience,
        "designated_credits": str(activity.designated_credits),
        "estimated_minutes": activity.estimated_minutes,
        "designation_reason": activity.designation_reason.strip(),
        "release_date": _iso(activity.release_date),
        "last_review_date": _iso(activity.last_review_date),
        "expiry_date": _iso(activity.expiry_date),
        "passing_score": activity.passing_score,
        "max_attempts": activity.max_attempts,
        "questions": activity.questions.count(),
        "providership": activity.providership,
        "joint_provider_name": activity.joint_provider_name.strip(),
        "provider": {
            "name": provider.name,
            "contact_email": provider.contact_email,
            "privacy_policy_url": provider.privacy_policy_url,
        },
        "accreditation_statement": accreditation_statement(activity),
        "designation_statement": designation_statement_text(activity),
        "people": people,
        "mitigation_statement": MITIGATION_STATEMENT if any_relevant else "",
        "commercial_support": _commercial_support(activity),
        "medium": activity.medium,
        "references": activity.references_list,
        "requirements": activity.requirements,
        "mandate_topics": [t.name for t in activity.mandate_topics.all()],
        "episode": {
            "title": activity.episode.title,
            "minutes": round((activity.episode.audio_duration or 0) / 60),
        },
    }
    # MOC registration (credits/moc.py): present only when registered, so versions frozen before
    # MOC existed do not differ from an unregistered activity's content.
    moc = [
        {"board": r.board, "credit_type": r.credit_type, "points": str(r.points)}
        for r in MocRegistration.objects.filter(activity=activity).order_by("board")
    ]
    if moc:
        content["moc"] = moc
    # Further credit types (credits/credit_types.py): present only when offered, like "moc".
    other_credits = credit_types.version_credits(activity)
    if other_credits:
        content["credits"] = other_credits
    return content


def _person_line(person: dict[str, Any]):
    name = person["name"] + (f", {person['credentials']}" if person.get("credentials") else "")
    if person["relevant"]:
        relationships = "; ".join(f"{r['nature_label']}, {r['company']}" for r in person["relevant"])
        return format_html("{} ({}): {}.", name, person["role_label"], relationships)
    return format_html("{} ({}): {}.", name, person["role_label"], NO_RELEVANT_STATEMENT)


def _support_line(row: dict[str, Any]) -> str:
    if row["kind"] == CommercialSupport.Kind.MONETARY:
        return f"{row['supporter']} (monetary, US${row['amount']})" if row["amount"] else row["supporter"]
    return f"{row['supporter']} (in kind: {row['in_kind_description']})"


def listener_notes_html(content: dict[str, Any]) -> str:
    """The disclosure block podcast apps show in the episode's notes, before the claim link.

    ACCME Standard 3.5 wants the information transmitted to learners, not only reachable by a link:
    a listener in a podcast app sees credits and expiry, the people in control of content with their
    relevant relationships (or none) and the mitigation statement, commercial support, and the
    accreditation and designation statements.
    """
    expiry = datetime.date.fromisoformat(content["expiry_date"])
    credit_line = format_html(
        "<p><strong>CME: {} <em>{}</em>™</strong>. {}</p>",
        format_credits(Decimal(content["designated_credits"])),
        CREDIT_MARK,
        _("Credit can be claimed until %(date)s.") % {"date": expiry.strftime("%B %-d, %Y")},
    )
    people = format_html(
        "<p>{}</p><ul>{}</ul>",
        _("People in control of content and their relevant financial relationships:"),
        format_html_join("", "<li>{}</li>", ((_person_line(p),) for p in content["people"])),
    )
    mitigation = (
        format_html("<p>{}</p>", content["mitigation_statement"]) if content["mitigation_statement"] else ""
    )
    supports = content["commercial_support"]
    support = format_html(
        "<p>{} {}</p>",
        _("Commercial support:"),
        "; ".join(_support_line(row) for row in supports) + "." if supports else _("none."),
    )
    designation = format_html("{}", content["designation_statement"]).replace(
        CREDIT_MARK, f"<em>{CREDIT_MARK}</em>"
    )
    statements = format_html("<p>{}</p><p>", content["accreditation_statement"]) + designation + "</p>"
    # Further credit types (only when the version offers one, so older notes stay byte-identical):
    # one line each, with its amount and its accrediting body's statement.
    other_credits = format_html_join(
        "",
        "<p><strong>{} {}</strong>. {}</p>",
        (
            (format_credits(Decimal(offer["amount"])), offer["label"], offer["statement"])
            for offer in content.get("credits") or []
        ),
    )
    return "".join([credit_line, other_credits, people, mitigation, support, statements])


# --- Publishing ------------------------------------------------------------------------------------


def publish_problems(activity: Activity) -> list[str]:
    """What stops this activity from being published (or a published one from being changed)."""
    problems: list[str] = []
    if not activity.objectives_list:
        problems.append(_("Write the learning objectives."))
    if not activity.target_audience.strip():
        problems.append(_("Name the target audience."))
    problems += people_publish_problems(activity)
    if not activity.questions.exists():
        problems.append(_("Write the post-test (at least one question)."))
    try:
        activity.clean()
    except ValidationError as error:
        problems += error.messages
    today = timezone.localdate()
    if activity.expiry_date < today:
        problems.append(_("The expiry date has passed: set a later one after a review."))
    if designation_exceeds_time(activity) and not activity.designation_reason.strip():
        problems.append(
            _(
                "%(credits)s credits is more than the %(minutes)d minutes a learner needs (audio, post-test "
                "and evaluation): lower the designation or record the reason (e.g. a pilot test)."
            )
            % {"credits": format_credits(activity.designated_credits), "minutes": minutes_needed(activity)}
        )
    problems += credit_types.offered_credit_problems(activity)
    for support in CommercialSupport.objects.filter(activity=activity):
        try:
            support.clean()
        except ValidationError as error:
            problems += [f"{support.supporter}: {m}" for m in error.messages]
        if support.agreement_signed_on is None:
            problems.append(
                _("Commercial support from %(name)s: record when the written agreement was signed.")
                % {"name": support.supporter}
            )
        elif support.agreement_signed_on > activity.release_date:
            problems.append(
                _("Commercial support from %(name)s: the agreement must be signed before the release.")
                % {"name": support.supporter}
            )
    if not activity.provider.contact_email:
        problems.append(_("Give the provider's contact email (learners see it before they start)."))
    return problems


def _next_number(activity: Activity) -> int:
    last = ActivityVersion.objects.filter(activity=activity).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _columns(activity: Activity) -> dict[str, Any]:
    return {
        "title": activity.title,
        "designated_credits": activity.designated_credits,
        "release_date": activity.release_date,
        "last_review_date": activity.last_review_date,
        "expiry_date": activity.expiry_date,
        "passing_score": activity.passing_score,
        "max_attempts": activity.max_attempts,
    }


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [old.get(key), new.get(key)]
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def feed_changed(activity: Activity) -> None:
    """The feed item of the episode carries the version's notes: rebuild the show's feed.

    Hubs and podping hear of it after the commit when the feed says something else now: a published
    activity's credit line and disclosure notes, or their removal when it is withdrawn. A draft is
    not in the feed, so its changes announce nothing.
    """
    shows = Show.objects.filter(episodes=activity.episode_id)
    shows.update(content_changed_at=timezone.now())
    if activity.status != Activity.Status.DRAFT and push.push_configured():  # no query otherwise
        for show in shows.filter(episodes__status=Episode.Status.PUBLISHED).only("pk"):
            push.feed_changed(show)


def _create_version(activity: Activity, *, actor: User | None, reason: str) -> ActivityVersion:
    content = version_content(activity)
    return ActivityVersion.objects.create(
        activity=activity,
        number=_next_number(activity),
        content=content,
        listener_notes_html=listener_notes_html(content),
        created_by=actor if actor is not None and actor.is_authenticated else None,
        reason=reason[:500],
        **_columns(activity),
    )


def _require_publishable(activity: Activity) -> None:
    problems = publish_problems(activity)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def activity_publish(*, activity: Activity, actor: User | None) -> ActivityVersion:
    """Draft -> published: check everything learners must be shown, then freeze version 1."""
    activity = Activity.objects.select_for_update().select_related("provider", "episode").get(pk=activity.pk)
    if activity.status != Activity.Status.DRAFT:
        raise ValidationError(
            _("Only a draft can be published; this activity is %(status)s.")
            % {"status": activity.get_status_display().lower()}
        )
    _require_publishable(activity)
    version = _create_version(activity, actor=actor, reason=_("Published"))
    activity.status = Activity.Status.PUBLISHED
    activity.current_version = version
    activity.published_at = timezone.now()
    activity.save(update_fields=["status", "current_version", "published_at", "updated_at"])
    feed_changed(activity)
    audit_record(
        actor=actor,
        action=CreditAction.ACTIVITY_PUBLISHED,
        obj=activity,
        data={"version": version.number, "status": ["draft", "published"]},
    )
    return version


@transaction.atomic
def activity_withdraw(*, activity: Activity, actor: User | None, reason: str) -> Activity:
    """Published -> withdrawn: no new learner starts; learners who passed may still finish."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for withdrawing the activity: it is kept in the record."))
    if len(reason) > 500:
        raise ValidationError(_("Keep the reason under 500 characters."))
    if activity.status != Activity.Status.PUBLISHED:
        raise ValidationError(_("Only a published activity can be withdrawn."))
    activity.status = Activity.Status.WITHDRAWN
    activity.withdrawn_at = timezone.now()
    activity.withdrawn_reason = reason
    activity.save(update_fields=["status", "withdrawn_at", "withdrawn_reason", "updated_at"])
    feed_changed(activity)
    audit_record(
        actor=actor,
        action=CreditAction.ACTIVITY_WITHDRAWN,
        obj=activity,
        data={"status": ["published", "withdrawn"], "reason": reason},
    )
    return activity


def version_is_started(version: ActivityVersion) -> bool:
    """True once a learner has started the version (an attempt points to it)."""
    return Attempt.objects.filter(version=version).exists()


def activity_changed(*, activity: Activity, actor: User | None, what: str) -> ActivityVersion | None:
    """After a change to a published activity: freeze what learners are shown now (see module doc).

    Call it inside the changing service's transaction, after the change is saved: a change that
    breaks the publishing checks raises ValidationError and the whole change rolls back. Returns the
    version learners now see (None for a draft or a withdrawn activity, which take no new learners).
    """
    activity = Activity.objects.select_for_update().select_related("provider", "episode").get(pk=activity.pk)
    if activity.status != Activity.Status.PUBLISHED or activity.current_version_id is None:
        return None
    current = ActivityVersion.objects.get(pk=activity.current_version_id)
    content = version_content(activity)
    columns = _columns(activity)
    old = {**current.content, **{k: str(getattr(current, k)) for k in columns}}
    new = {**content, **{k: str(v) for k, v in columns.items()}}
    changes = _diff(old, new)
    if not changes:
        return current  # nothing learners see changed (e.g. an expired activity saved as it is)
    _require_publishable(activity)
    if not version_is_started(current):
        # Nobody has started it: learners have only seen it on the page, never begun under it.
        for key, value in columns.items():
            setattr(current, key, value)
        current.content = content
        current.listener_notes_html = listener_notes_html(content)
        current.save()
        version, action = current, CreditAction.ACTIVITY_VERSION_REPLACED
    else:
        version = _create_version(
            activity, actor=actor, reason=_("Edited after learners started: %(what)s") % {"what": what}
        )
        activity.current_version = version
        activity.save(update_fields=["current_version", "updated_at"])
        action = CreditAction.ACTIVITY_VERSION_CREATED
    feed_changed(activity)
    audit_record(
        actor=actor,
        action=action,
        obj=activity,
        data={"version": version.number, "what": what, "changes": changes},
    )
    return version
