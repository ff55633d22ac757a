"""The Django admin as a superuser uses it: checks that a record is read-only there (issue 12)."""

import html

from django.db import models
from django.test import Client
from django.urls import reverse


def admin_url(model: type[models.Model] | models.Model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def stored(obj: models.Model) -> dict:
    """The row as the database holds it now."""
    fresh = type(obj)._base_manager.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def _tampered(obj: models.Model) -> dict[str, str]:
    """A change form's POST that alters every text and number field."""
    data = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if isinstance(value, bool):
            data[field.attname] = "" if value else "on"
        elif isinstance(value, str):
            data[field.attname] = value + "-changed"
        elif isinstance(value, int):
            data[field.attname] = str(value + 1)
    return data


def assert_read_only_in_admin(client: Client, obj: models.Model, note: str) -> None:
    """A superuser cannot add, change or delete ``obj``'s kind of record through /admin/; the pages
    that show it say where it is changed (``note``), and the row is untouched afterwards."""
    before = stored(obj)
    label = obj._meta.label
    assert client.get(admin_url(obj, "add")).status_code == 403, label
    assert client.post(admin_url(obj, "add"), _tampered(obj)).status_code == 403, label
    changelist = client.get(admin_url(obj, "changelist"))
    assert changelist.status_code == 200, label
    assert note in html.unescape(changelist.content.decode()), label
    assert 'name="_selected_action"' not in changelist.content.decode(), label  # no bulk delete
    page = client.get(admin_url(obj, "change", obj.pk))
    assert page.status_code == 200, label
    body = html.unescape(page.content.decode())
    assert 'name="_save"' not in body and 'name="_continue"' not in body, label
    assert note in body, label
    assert client.post(admin_url(obj, "change", obj.pk), _tampered(obj)).status_code == 403, label
    assert client.get(admin_url(obj, "delete", obj.pk)).status_code == 403, label
    assert client.post(admin_url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403, label
    client.post(
        admin_url(obj, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes", "index": "0"},
    )
    assert stored(obj) == before, label
