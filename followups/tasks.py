"""Background tasks of followups: sending one batch's follow-up emails from the outbox."""

from django_tasks import task


@task()
def follow_up_emails_send(email_ids: list[int]) -> int:
    """One try at each stored email of a batch (accounts' outbox: a failure is retried there)."""
    from accounts.mail import email_send

    for email_id in email_ids:
        email_send(email_id, due_only=True)
    return len(email_ids)
