"""Helpers for scenario tests that drive the coordinator's and learners' pages end to end.

- ``activity_form_data``: what the coordinator's activity edit form posts when nothing is changed
  (built from the form itself, so a new field of the form is carried over without touching this);
- ``provider_today``: today's date where the provider is (completion dates are decided there);
- ``download``: the body of a response, streamed or not, following the certificate's signed link.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.test import Client
from django.utils import timezone

from credits.forms import ActivityForm
from credits.models import Activity, Provider
from credits.provider_time import provider_zone


def _posted(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_posted(v) for v in value]
    return value


def activity_form_data(activity: Activity, **changes: Any) -> dict[str, Any]:
    """The POST data of ``credits:coordinator_activity_edit`` for ``activity`` as it is, with
    ``changes`` applied (a checkbox left unticked is left out, as a browser does)."""
    activity.refresh_from_db()
    form = ActivityForm(instance=activity, editing=True)
    data: dict[str, Any] = {}
    for name in form.fields:
        value = _posted(changes[name] if name in changes else form[name].value())
        if value is not None:
            data[name] = value
    return data


def provider_today(provider: Provider) -> datetime.date:
    return timezone.localtime(timezone.now(), provider_zone(provider)).date()


def download(client: Client, url: str) -> bytes:
    """GET ``url`` (following redirects, such as a certificate's signed download link); the body."""
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return response.getvalue()  # a file (streamed) or a page
