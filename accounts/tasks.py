"""Background tasks of the accounts app: sending the stored account and certificate emails."""

from django_tasks import task


@task()
def send_outgoing_email(email_id: int) -> str:
    """One try at one stored email; a failure is recorded and retried later, never raised.

    Only when the row is due: a try made meanwhile (``send_queued_email``) moved its next time and
    scheduled its own task, so this one steps aside instead of spending a try early.
    """
    # Imported when the task runs: mail enqueues this task (a new message, a retry) and the task runs
    # mail's send, the one cycle pyproject.toml's acyclic contract lists. The task stays in this
    # module because queued rows name it by path (accounts.tasks.send_outgoing_email).
    from .mail import email_send

    return email_send(email_id, due_only=True)
