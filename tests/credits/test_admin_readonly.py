"""Issue 12, finding 12: the Django admin is not a back door. Activities, their people and
disclosures, post-tests, versions, learners' records, certificates and grants are read-only there
(a superuser cannot add, change or delete them; each page says where they are changed); providers
and coordinators, which only the admin sets up, are saved with an audit row. Every admin page still
opens."""

import datetime
import html

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from billing import services as billing_services
from billing.models import CmePass, Order, StripeEvent
from credits import certificates, clinicians
from credits.admin import COORDINATOR_PAGES, LEARNER_RECORDS
from credits.models import (
    Activity,
    ActivityVersion,
    Attempt,
    Certificate,
    CertificateRevision,
    CommercialSupport,
    CompletionRecord,
    ContentPerson,
    CorrectionRequest,
    CpeMonitorBatch,
    CpeMonitorReport,
    CreditClaim,
    DisclosureForm,
    DisclosureRequest,
    Evaluation,
    FinancialRelationship,
    ListeningProgress,
    MocOptIn,
    MocRegistration,
    Option,
    ParsLearnerBatch,
    ParsLearnerReport,
    Provider,
    ProviderCoordinator,
    ProviderPerson,
    Question,
    RelevanceDecision,
    ShowProviderGrant,
    SpeakerMatch,
)
from episodes.personal_feeds import personal_feed_get_or_create
from testkit.admin_pages import admin_url, assert_read_only_in_admin, stored
from testkit.factories import claim_and_issue, pass_and_evaluate
from testkit.mfa import mfa_login

# Registered and editable on purpose: set up only here (providers, coordinators: audited) or
# reference data (mandate topics). Everything else of credits and billing is read-only.
EDITABLE = {"credits.Provider", "credits.ProviderCoordinator", "credits.MandateTopic"}
# Models of credits and billing with no admin page at all (a learner's own records of credit earned
# elsewhere are theirs alone).
UNREGISTERED = {"credits.ExternalCredit"}


@pytest.fixture
def superuser(make_user):
    return make_user("root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    mfa_login(client, superuser)
    return client


@pytest.fixture
def records(learner, activity, coordinator, superuser, stripe_fake, django_capture_on_commit_callbacks):
    """One row of every kind of record the admin shows."""
    role = ContentPerson.objects.filter(activity=activity).select_related("person").first()
    person = (
        role.person
        if role
        else ProviderPerson.objects.create(provider=activity.provider, name="Dana Faculty")
    )
    role = role or ContentPerson.objects.create(activity=activity, person=person)
    request = DisclosureRequest.objects.create(
        person=person,
        activity=activity,
        token_hash="0" * 64,
        sent_to="dana@example.org",
        expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    form = DisclosureForm.objects.create(
        person=person, request=request, source="self", collected_on=timezone.localdate(), signed_name="Dana"
    )
    relationship = FinancialRelationship.objects.create(
        form=form, company="Acme Devices", nature="consultant"
    )
    RelevanceDecision.objects.create(
        content_person=role, relationship=relationship, relevant=True, mitigation="peer_review"
    )
    SpeakerMatch.objects.create(activity=activity, speaker_name="Dana Faculty", content_person=role)
    clinicians.clinician_verify(
        person=person,
        actor=coordinator,
        licence_state="CA",
        licence_number="A123456",
        npi="1234567893",
        licence_expires_on=timezone.localdate() + datetime.timedelta(days=365),
    )
    CommercialSupport.objects.create(
        activity=activity, supporter="Acme Devices", kind="in_kind", in_kind_description="Airway trainers"
    )
    pass_and_evaluate(learner, activity)
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        certificates.certificate_reissue(
            certificate=certificate,
            actor=coordinator,
            reason="Name misspelled",
            learner_name="Ada K. Lovelace",
        )
    certificates.correction_request_create(
        certificate=Certificate.objects.get(pk=certificate.pk),
        learner=learner,
        learner_name="Ada King Lovelace",
        degree="MD",
        message="My middle name",
    )
    ListeningProgress.objects.create(user=learner, episode=activity.episode, seconds_played=30)
    MocRegistration.objects.create(activity=activity, board="ABIM", credit_type="MK", points="0.75")
    MocOptIn.objects.create(
        claim=certificate.claim,
        learner=learner,
        board="ABIM",
        board_id="123456",
        birth_month=7,
        birth_day=14,
        credit_type="MK",
        points="0.75",
        consented_at=timezone.now(),
    )
    batch = ParsLearnerBatch.objects.create(
        provider=activity.provider,
        created_by=coordinator,
        start=timezone.localdate(),
        end=timezone.localdate(),
    )
    ParsLearnerReport.objects.create(batch=batch, certificate=certificate, action="Add", cells=["Add"])
    cpe_batch = CpeMonitorBatch.objects.create(provider=activity.provider, created_by=coordinator)
    CpeMonitorReport.objects.create(batch=cpe_batch, certificate=certificate, action="add", cells={})
    personal_feed_get_or_create(user=learner, show=activity.episode.show)
    billing_services.activity_fee_set(activity=activity, actor=coordinator, amount=1500)
    billing_services.provider_billing_set(
        provider=activity.provider, actor=coordinator, currency="usd", pass_price=9900
    )
    now = timezone.now()
    order = Order.objects.create(
        learner=learner, kind="pass", provider=activity.provider, amount=9900, currency="usd", status="paid"
    )
    CmePass.objects.create(
        learner=learner,
        provider=activity.provider,
        order=order,
        valid_from=now,
        valid_until=now + datetime.timedelta(days=365),
    )
    StripeEvent.objects.create(stripe_id="evt_1", type="checkout.session.completed", payload={})
    return {"activity": activity, "certificate": certificate}


def _every_model_of(*labels):
    return [model for label in labels for model in apps.get_app_config(label).get_models()]


def _inlines(request):
    """Every inline of every admin page: {model: [inline admin instances]}."""
    shown: dict = {}
    for model_admin in admin.site._registry.values():
        for inline in model_admin.get_inline_instances(request):
            shown.setdefault(inline.model, []).append(inline)
    return shown


def test_every_credits_and_billing_model_is_shown_read_only_unless_set_up_only_here(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    inlines = _inlines(request)
    for model in _every_model_of("credits", "billing"):
        label = model._meta.label
        if label in UNREGISTERED:
            assert model not in admin.site._registry and model not in inlines, label
            continue
        shown_by = ([admin.site._registry[model]] if model in admin.site._registry else []) + inlines.get(
            model, []
        )
        assert shown_by, f"{label} has no admin page (register it read-only)"
        if label in EDITABLE:
            continue
        for model_admin in shown_by:
            assert not model_admin.has_add_permission(request, None), (label, model_admin)
            assert not model_admin.has_change_permission(request), (label, model_admin)
            assert not model_admin.has_delete_permission(request), (label, model_admin)
            assert model_admin.has_view_permission(request), (label, model_admin)


def test_every_admin_list_and_change_page_opens(admin_client, records):
    empty = []
    for model in admin.site._registry:
        label = model._meta.label
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, label
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            empty.append(label)
            continue
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, label
    # Each record kind of issue 12 had a row, so its change page was opened too.
    assert not set(empty) & {m._meta.label for m in _every_model_of("credits", "billing")}, empty


@pytest.mark.parametrize(
    ("model", "note"),
    [
        (Activity, COORDINATOR_PAGES),
        (ActivityVersion, COORDINATOR_PAGES),
        (ContentPerson, COORDINATOR_PAGES),
        (ProviderPerson, COORDINATOR_PAGES),
        (DisclosureRequest, COORDINATOR_PAGES),
        (DisclosureForm, COORDINATOR_PAGES),
        (FinancialRelationship, COORDINATOR_PAGES),
        (RelevanceDecision, COORDINATOR_PAGES),
        (SpeakerMatch, COORDINATOR_PAGES),
        (CommercialSupport, COORDINATOR_PAGES),
        (Question, COORDINATOR_PAGES),
        (Attempt, LEARNER_RECORDS),
        (Evaluation, LEARNER_RECORDS),
        (CreditClaim, LEARNER_RECORDS),
        (CompletionRecord, LEARNER_RECORDS),
        (ListeningProgress, LEARNER_RECORDS),
        (
            Certificate,
            "a certificate is corrected, re-issued or revoked on the coordinator's certificate pages",
        ),
        (CertificateRevision, LEARNER_RECORDS),
        (CorrectionRequest, "coordinators decide them on Coordinator → Corrections"),
        (ShowProviderGrant, "a show's hosts invite a provider"),
    ],
)
def test_a_superuser_cannot_add_change_or_delete_credit_records_in_the_admin(
    admin_client, records, model, note
):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None
    assert_read_only_in_admin(admin_client, obj, str(note))


def test_the_post_test_options_and_people_under_an_activity_are_shown_but_not_editable(admin_client, records):
    activity = records["activity"]
    body = html.unescape(admin_client.get(admin_url(Activity, "change", activity.pk)).content.decode())
    assert "Dana Faculty" in body
    assert 'name="people-0-role"' not in body and 'name="people-__prefix__-role"' not in body
    assert 'name="people-MAX_NUM_FORMS" value="0"' in body  # no row can be added
    question = Question.objects.filter(activity=activity).first()
    option = Option.objects.filter(question=question).first()
    body = html.unescape(admin_client.get(admin_url(Question, "change", question.pk)).content.decode())
    assert option.text in body and 'name="options-0-text"' not in body
    before = stored(option)
    admin_client.post(
        admin_url(Question, "change", question.pk),
        {
            "text": "Changed",
            "options-TOTAL_FORMS": "1",
            "options-INITIAL_FORMS": "1",
            "options-0-id": option.pk,
            "options-0-question": question.pk,
            "options-0-text": "Changed",
            "options-0-is_correct": "on",
        },
    )
    assert stored(option) == before


def test_a_disclosure_request_page_does_not_show_the_links_token_hash(admin_client, records):
    request = DisclosureRequest.objects.get()
    body = admin_client.get(admin_url(DisclosureRequest, "change", request.pk)).content.decode()
    assert "dana@example.org" in body and "0" * 64 not in body


# --- Providers and coordinators: set up here, audited ------------------------------------------


def test_a_provider_created_and_edited_in_the_admin_is_audited_with_old_and_new_values(
    admin_client, superuser
):
    response = admin_client.post(
        reverse("admin:credits_provider_add"),
        {
            "name": "Society of Airway Medicine",
            "slug": "sam",
            "contact_email": "cme@sam.example.org",
            "privacy_policy_url": "",
            "time_zone": "America/Chicago",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = Provider.objects.get(slug="sam")
    created = AuditEvent.objects.for_object(provider).get(action="provider.created")
    assert created.actor == superuser and created.data["new"]["name"] == "Society of Airway Medicine"

    response = admin_client.post(
        reverse("admin:credits_provider_change", args=[provider.pk]),
        {
            "name": "The Society of Airway Medicine",
            "contact_email": "cme@sam.example.org",
            "privacy_policy_url": "",
            "time_zone": "America/Chicago",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    updated = AuditEvent.objects.for_object(provider).get(action="provider.updated")
    assert updated.data["changed"] == {
        "name": ["Society of Airway Medicine", "The Society of Airway Medicine"]
    }
    assert admin_client.get(reverse("admin:credits_provider_delete", args=[provider.pk])).status_code == 403


def test_an_existing_providers_accreditations_change_only_on_the_coordinators_page(admin_client, records):
    """The admin cannot tick Joint Accreditation past the checks of the Accreditations page."""
    provider = records["activity"].provider
    url = reverse("admin:credits_provider_change", args=[provider.pk])
    form = admin_client.get(url).context["adminform"].form
    for field in ["joint_accreditation", "ancc_accredited", "acpe_accredited", "acpe_provider_number"]:
        assert field not in form.fields
    response = admin_client.post(
        url,
        {
            "name": provider.name,
            "contact_email": provider.contact_email,
            "privacy_policy_url": "",
            "time_zone": provider.time_zone,
            "joint_accreditation": "on",
            "acpe_provider_number": "JA0000123",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert not provider.joint_accreditation and provider.acpe_provider_number == ""


def test_coordinators_added_and_removed_in_the_admin_are_audited(
    admin_client, provider, make_user, superuser
):
    user = make_user("new-coordinator@example.org")
    response = admin_client.post(
        reverse("admin:credits_providercoordinator_add"), {"provider": provider.pk, "user": user.pk}
    )
    assert response.status_code == 302
    membership = ProviderCoordinator.objects.get(provider=provider, user=user)
    added = AuditEvent.objects.for_object(provider).get(action="provider.coordinator_added")
    assert added.actor == superuser and added.data["email"] == "new-coordinator@example.org"
    response = admin_client.post(
        reverse("admin:credits_providercoordinator_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ProviderCoordinator.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.for_object(provider).filter(action="provider.coordinator_removed").count() == 1
