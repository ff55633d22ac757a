"""Sending the follow-ups that are due, in bounded batches with a constant number of queries each.

One batch is one transaction: take up to ``batch_size`` due SCHEDULED follow-ups (oldest due first;
on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so two senders never take the same row and never wait on
each other), cancel those whose learner opted out, whose plan was turned off, that have nothing to
ask or whose certificate was revoked (a day added to the plan as it was revoked), snapshot each
activity's questions into the rest, mark them SENT with the link's closing time, store their emails
in the outbox (one INSERT) and their audit rows (one INSERT). After the commit one task sends that
batch's emails; a mail server that is down only delays them (accounts/mail.py retries them).
Expired links are closed (EXPIRED) in one UPDATE per run.

Queries per batch, whatever its size: the due rows as tuples with their learner's address, the
stated change and the certificate's status (1, joined), their activities with episode, provider
and plan (1), the consents (1), the plans' active questions (1), then the cancelled (1), the sent
(1 UPDATE .. CASE, one snapshot per activity), the emails (1), the audit rows (1), plus the
savepoint. (SQLite splits a bulk INSERT of 1,000 rows by its 999-parameter limit: still a count
fixed by the batch size, not by what is due.)
"""

import datetime
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Case, JSONField, Value, When
from django.utils import timezone

from accounts.models import OutgoingEmail
from audit.services import audit_record_many
from credits.models import Activity, Certificate

from . import emails
from .audit_actions import FollowUpAction
from .models import FollowUp, FollowUpConsent, FollowUpKind, FollowUpQuestion, FollowUpStatus
from .tasks import follow_up_emails_send


def _snapshot(questions: list[FollowUpQuestion]) -> list[dict[str, Any]]:
    """What is asked, as sent: no correct flags (the answer page is public); scoring reads the plan."""
    return [
        {
            "id": q.pk,
            "text": q.text,
            "source": q.source_id,
            "options": [{"id": o["id"], "text": o["text"]} for o in q.options],
        }
        for q in questions
    ]


FIELDS = (
    "pk", "nonce", "learner_id", "learner__email", "learner__is_active", "activity_id", "kind",
    "interval_days", "claim__evaluation__change_description", "claim__certificate__status",
)  # fmt: skip


def _take_due(
    now: datetime.datetime, batch_size: int, claim_ids: Collection[int] | None = None
) -> list[tuple]:
    """Up to ``batch_size`` due rows, oldest first, as plain tuples (FIELDS): model instances with
    their learner, claim and evaluation cost more than the rest of the batch's Python. ``claim_ids``
    limits them to those claims' (the demo's replay)."""
    due = FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED, due_at__lte=now).order_by("due_at", "id")
    if claim_ids is not None:
        due = due.filter(claim_id__in=list(claim_ids))
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due.values_list(*FIELDS)[:batch_size])


def _send_batch(
    now: datetime.datetime,
    batch_size: int,
    *,
    with_email: bool = True,
    claim_ids: Collection[int] | None = None,
) -> tuple[int, int, list[int]]:
    """One batch in one transaction: (sent, cancelled, outbox email ids)."""
    with transaction.atomic():
        rows = _take_due(now, batch_size, claim_ids)
        if not rows:
            return 0, 0, []
        activity_ids = {r[5] for r in rows}
        activities = {
            a.pk: a
            for a in Activity.objects.filter(pk__in=activity_ids).select_related(
                "episode", "provider", "follow_up_plan"
            )
        }
        opted_in = set(
            FollowUpConsent.objects.filter(learner_id__in={r[2] for r in rows}, opted_in=True).values_list(
                "learner_id", flat=True
            )
        )
        by_activity: dict[int, list[FollowUpQuestion]] = defaultdict(list)
        for q in FollowUpQuestion.objects.filter(
            plan__activity_id__in=activity_ids, active=True
        ).select_related("plan"):
            by_activity[q.plan.activity_id].append(q)
        snapshots = {a: _snapshot(questions) for a, questions in by_activity.items()}
        expires = now + datetime.timedelta(days=settings.FOLLOW_UP_ANSWER_DAYS)
        builder = emails.EmailBuilder(activities=activities, expires_at=expires, at=timezone.now())
        send: list[int] = []
        cancel: list[int] = []
        outbox: list[OutgoingEmail] = []
        audit_rows: list = []
        for pk, nonce, learner_id, email, active, activity_id, kind, day, change, certificate in rows:
            activity = activities[activity_id]
            plan = getattr(activity, "follow_up_plan", None)
            asks = kind == FollowUpKind.PRACTICE or snapshots.get(activity_id)
            if certificate == Certificate.Status.REVOKED:  # revoked while it was being scheduled
                cancel.append(pk)
                audit_rows.append(
                    (None, FollowUpAction.CANCELLED, FollowUp(pk=pk),
                     {"reason": "certificate_revoked", "was": FollowUpStatus.SCHEDULED.value})
                )  # fmt: skip
                continue
            if learner_id not in opted_in or plan is None or not plan.enabled or not asks or not active:
                cancel.append(pk)
                audit_rows.append(
                    (None, FollowUpAction.CANCELLED, FollowUp(pk=pk), {"reason": "not_sendable"})
                )
                continue
            send.append(pk)
            n = len(snapshots[activity_id]) if kind == FollowUpKind.KNOWLEDGE else 0
            item = emails.Outgoing(pk, nonce, learner_id, email, kind, day, n, change or "")
            if with_email:
                outbox.append(builder.render(item, activity))
            data = {"kind": kind, "day": day} if with_email else {"kind": kind, "day": day, "email": False}
            audit_rows.append((None, FollowUpAction.SENT, FollowUp(pk=pk), data))
        if cancel:
            FollowUp.objects.filter(pk__in=cancel).update(status=FollowUpStatus.CANCELLED)
        if send:
            # One UPDATE: the status and times are the same for all; the snapshot is one per activity.
            FollowUp.objects.filter(pk__in=send).update(
                status=FollowUpStatus.SENT,
                sent_at=now,
                expires_at=expires,
                questions=Case(
                    *[
                        When(
                            kind=FollowUpKind.KNOWLEDGE,
                            activity_id=a,
                            then=Value(snap, output_field=JSONField()),
                        )
                        for a, snap in snapshots.items()
                        if a in activity_ids
                    ],
                    default=Value([], output_field=JSONField()),
                    output_field=JSONField(),
                ),
            )
        created = OutgoingEmail.objects.bulk_create(outbox)
        audit_record_many(audit_rows)
        email_ids = [e.pk for e in created if e.pk is not None]
        if len(email_ids) != len(created):  # a database without RETURNING on bulk inserts
            email_ids = list(
                OutgoingEmail.objects.filter(kind=emails.KIND, created_at=builder.at).values_list(
                    "pk", flat=True
                )
            )
        if email_ids:
            transaction.on_commit(lambda: follow_up_emails_send.enqueue(email_ids))
        return len(send), len(cancel), email_ids


def follow_ups_expire(*, now: datetime.datetime | None = None) -> int:
    """Close the sent follow-ups whose link time is over (one UPDATE)."""
    now = now or timezone.now()
    return FollowUp.objects.filter(status=FollowUpStatus.SENT, expires_at__lt=now).update(
        status=FollowUpStatus.EXPIRED
    )


def follow_ups_send_due(
    *,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    email: bool = True,
    claim_ids: Collection[int] | None = None,
) -> dict[str, int]:
    """Send every follow-up due at ``now``, ``batch_size`` at a time (default FOLLOW_UP_SEND_BATCH);
    returns the counts: sent, cancelled, expired, batches. ``email=False`` marks them sent without
    writing their emails (audited ``"email": false``): the demo's replay of a past already answered
    or closed, which nobody should receive today: only on a demo site (PODCASTCME_DEMO_ALLOWED, else
    ImproperlyConfigured), and only for the demo's claims (``claim_ids``, required with it)."""
    if not email:
        if not settings.PODCASTCME_DEMO_ALLOWED:
            raise ImproperlyConfigured(
                "Follow-ups are marked sent without emails only on a demo site (PODCASTCME_DEMO_ALLOWED)."
            )
        if claim_ids is None:
            raise ValueError("email=False replays the demo's own follow-ups: pass their claim_ids.")
    now = now or timezone.now()
    size = batch_size or settings.FOLLOW_UP_SEND_BATCH
    counts = {"sent": 0, "cancelled": 0, "expired": 0, "batches": 0}
    counts["expired"] = follow_ups_expire(now=now)
    while max_batches is None or counts["batches"] < max_batches:
        sent, cancelled, _ids = _send_batch(now, size, with_email=email, claim_ids=claim_ids)
        if not sent and not cancelled:
            break
        counts["sent"] += sent
        counts["cancelled"] += cancelled
        counts["batches"] += 1
    return counts
