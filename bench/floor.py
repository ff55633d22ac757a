"""The learner path's floor (issue 14, item 7): a login-required view that inserts one row, on the
same stack as the product's pages (gunicorn, middleware, session, authentication, CSRF, a
transaction, the database, a page rendered from base.html with its context processors).

It is served by bench/floor_urls.py, a URLConf the benches load with ROOT_URLCONF; the product's
own URLs never include it.
"""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template import engines

from audit.models import AuditEvent

FLOOR_ACTION = "bench.floor"
PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}<h1>Saved</h1><p>{{ n }}</p>{% endblock %}'
)


@login_required
def floor(request):
    """POST: insert one row (an audit event, as every step of the path writes one) and answer with a
    small page; anything else: 405."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    with transaction.atomic():
        event = AuditEvent.objects.create(
            actor=request.user,
            action=FLOOR_ACTION,
            object_type="accounts.user",
            object_id=str(request.user.pk),
            data={},
        )
    return HttpResponse(PAGE.render({"n": event.pk}, request))
