"""Audit actions are named constants, one class per app, checked when declared and when written."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from audit.actions import AuditActions, registered_actions
from audit.models import AuditEvent
from audit.services import audit_record
from episodes.audit_actions import EpisodeAction


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["order paid", "Order.paid", "order.None", "order.", "order", "", None])
def test_a_malformed_action_is_refused_and_nothing_is_written(learner, action):
    # "order.None" is what f"order.{status}" wrote when it was handed no status.
    with pytest.raises(ValueError, match="is not an audit action"):
        audit_record(actor=learner, action=action, obj=learner)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_declared_constant_is_stored_as_its_string(learner):
    event = audit_record(actor=learner, action=EpisodeAction.SHOW_CREATED, obj=learner)
    event.refresh_from_db()
    assert event.action == "show.created"
    assert registered_actions()["show.created"] == "episodes.audit_actions.EpisodeAction.SHOW_CREATED"


def test_an_action_declared_twice_is_refused_and_nothing_is_registered():
    before = registered_actions()
    with pytest.raises(ImproperlyConfigured, match="already declared by episodes.audit_actions"):

        class Elsewhere(AuditActions):
            BRAND_NEW = "brand.new"
            SHOW_CREATED = "show.created"

    with pytest.raises(ImproperlyConfigured, match="more than once"):

        class Twice(AuditActions):
            ONE = "brand.new"
            OTHER = "brand.new"

    with pytest.raises(ImproperlyConfigured, match="is not an audit action"):

        class Malformed(AuditActions):
            BRAND_NEW = "brand.new"
            PAID = "Order paid"

    assert registered_actions() == before
