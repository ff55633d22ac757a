"""Audit actions are named constants, one class per app, checked when declared and when written."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

from audit.actions import AuditActions, is_well_formed, registered_actions
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


# Every action the code wrote before the actions became constants (order.* and grant.* were
# f-strings; grant.carried_over is written by credits' migration 0005). Stored rows, reports and
# tests match on these strings: none may be renamed or dropped.
STORED_ACTIONS = {
    "account.deleted", "account.mfa_reset", "account.records_anonymised",
    "activity.created", "activity.people_set", "activity.updated",
    "attempt.started", "attempt.submitted", "billing.set",
    "certificate.correction_approved", "certificate.correction_rejected",
    "certificate.correction_requested", "certificate.issued", "certificate.reissued",
    "certificate.render_broken", "certificate.render_failed", "certificate.render_repaired",
    "certificate.rendered", "certificate.revoked", "claim.created",
    "episode.created", "episode.updated", "evaluation.submitted",
    "external_credit.created", "external_credit.deleted", "external_credit.updated", "fee.set",
    "grant.accepted", "grant.carried_over", "grant.declined", "grant.invited",
    "grant.recorded_active", "grant.requested", "grant.revoked", "grant.withdrawn",
    "order.amount_mismatch", "order.cancelled", "order.created", "order.failed",
    "order.fulfilment_failed", "order.paid", "order.paid_after_close", "order.pending",
    "order.refunded", "pass.ended", "pass.started", "personal_feed.created",
    "personal_feed.revoked", "profile.consent_given", "profile.consent_withdrawn",
    "quiz.replaced", "show.created", "show.imported", "show.updated",
}  # fmt: skip

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = [
    "audit",
    "accounts",
    "episodes",
    "credits",
    "discussion",
    "billing",
    "fediverse",
    "followups",
    "institutions",
    "api",
    "webhooks",
    "podcastcme",
    "bench",
]


def test_every_stored_action_is_declared_by_exactly_one_app():
    autodiscover_modules("audit_actions")  # each installed app's audit_actions module, if it has one
    declared = registered_actions()
    assert STORED_ACTIONS <= set(declared), sorted(STORED_ACTIONS - set(declared))
    assert all(is_well_formed(action) for action in declared)
    owners = {where.split(".audit_actions.")[0] for where in declared.values()}
    assert owners == {
        "accounts", "episodes", "credits", "discussion", "billing", "fediverse",
        "followups", "institutions", "api", "webhooks", "podcastcme",
    }  # fmt: skip


def _project_calls():
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # a migration keeps the literal it was written with
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call):
                    yield path.relative_to(ROOT), node


def _callee(call: ast.Call) -> str | None:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", None)


def _text_in(expression: ast.expr) -> list[str]:
    """String literals and f-strings anywhere in ``expression``."""
    return [
        ast.unparse(node)
        for node in ast.walk(expression)
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))
    ]


def test_project_code_names_audit_actions_only_through_the_declared_constants():
    free_text = []
    calls = 0
    for path, call in _project_calls():
        for keyword in call.keywords:
            if keyword.arg != "action":
                continue
            texts = _text_in(keyword.value)
            if _callee(call) == "audit_record":
                calls += 1
                if texts:  # a write: no literal, no f-string, not even inside a conditional
                    free_text.append(f"{path}:{call.lineno} {ast.unparse(keyword.value)}")
            elif any(isinstance(node, ast.JoinedStr) for node in ast.walk(keyword.value)) or any(
                is_well_formed(text.strip("'\"")) for text in texts
            ):  # a read or a pass-through that spells an action ("claim.created") or builds one
                free_text.append(f"{path}:{call.lineno} {ast.unparse(keyword.value)}")
    assert calls > 40  # the scan found the writes (44 when this test was written)
    assert free_text == []
