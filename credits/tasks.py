"""Background tasks of the credits app: rendering certificate PDFs in a long-lived worker."""

from django_tasks import task


@task()
def render_certificate(certificate_id: int) -> None:
    """Render and store a certificate's PDF (idempotent: a stored PDF is never rendered again).

    A failed render is recorded on the certificate and retried with back-off (credits.certificates).
    """
    # Imported when the task runs: certificates enqueues this task (a render, its retries) and the task
    # runs certificates' render, the one cycle pyproject.toml's acyclic contract lists. The task stays
    # in this module because queued rows name it by path (credits.tasks.render_certificate).
    from .certificates import certificate_render

    certificate_render(certificate_id=certificate_id)
