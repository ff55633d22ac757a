"""Background tasks of the accounts app: sending the stored account and certificate emails."""

from django_tasks import task


@task()
def send_outgoing_email(email_id: int) -> str:
    """One try at one stored email; a failure is recorded and retried later, never raised.

    Only when the row is due: a try made meanwhile (``send_queued_email``) moved its next time and
    scheduled its own task, so this one steps aside instead of spending a try early.
    """
    from .mail import email_send

    return email_send(email_id, due_only=True)
