"""Background tasks of the accounts app: sending the stored account and certificate emails."""

from django_tasks import task


@task()
def send_outgoing_email(email_id: int) -> str:
    """One try at one stored email; a failure is recorded and retried later, never raised."""
    from .mail import email_send

    return email_send(email_id)
