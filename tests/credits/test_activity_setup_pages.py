"""The coordinator's set-up pages (issue 12, findings 6, 9 and 10): the activity form's groups and the
time a learner needs, joint providership per activity, commercial support per activity and the
provider's settings; each change audited with old and new values, each bad input refused."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import services
from credits.models import Activity, CommercialSupport, Provider
from testkit.mfa import mfa_login


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _form_post(activity: Activity, **changes) -> dict:
    data = {
        "title": activity.title,
        "objectives": activity.objectives,
        "target_audience": activity.target_audience,
        "designated_credits": str(activity.designated_credits),
        "designation_reason": activity.designation_reason,
        "release_date": activity.release_date.isoformat(),
        "last_review_date": "",
        "expiry_date": activity.expiry_date.isoformat(),
        "providership": activity.providership,
        "joint_provider_name": activity.joint_provider_name,
        "medium": activity.medium,
        "references": activity.references,
        "requirements": activity.requirements,
        "passing_score": str(activity.passing_score),
        "max_attempts": str(activity.max_attempts),
        "reveal_answers": activity.reveal_answers,
    }
    data.update(changes)
    return data


# --- The activity form ----------------------------------------------------------------------------


def test_the_activity_form_is_grouped_and_shows_the_time_a_learner_needs(coordinator_client, activity):
    body = _text(coordinator_client.get(reverse("credits:coordinator_activity_edit", args=[activity.pk])))
    legends = re.findall(r"<legend>([^<]+)</legend>", body)
    assert {"Credit and designation", "Providership and support", "Enduring material"} <= set(legends)
    # The episode is 41 minutes, the post-test 3 questions, the evaluation 3 minutes: 45 minutes.
    assert "A learner needs about 45 minutes" in body
    assert "a higher designation needs a reason" in body


def test_joint_providership_without_the_partner_is_refused(coordinator_client, activity):
    events = AuditEvent.objects.count()
    response = coordinator_client.post(
        reverse("credits:coordinator_activity_edit", args=[activity.pk]),
        _form_post(activity, providership="joint", joint_provider_name=""),
    )
    assert response.status_code == 400
    assert "Joint providership needs the joint provider" in response.content.decode()
    activity.refresh_from_db()
    assert activity.providership == "direct"
    assert AuditEvent.objects.count() == events


def test_joint_providership_is_chosen_per_activity_with_accmes_wording(coordinator_client, activity, episode):
    response = coordinator_client.post(
        reverse("credits:coordinator_activity_edit", args=[activity.pk]),
        _form_post(activity, providership="joint", joint_provider_name="Airway Club"),
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.current_version.content["accreditation_statement"].startswith(
        "This activity has been planned and implemented"
    )
    assert "joint providership of the Society of Testing and Airway Club" in _text(
        coordinator_client.get(episode.get_absolute_url())
    )


# --- Commercial support ---------------------------------------------------------------------------


def _support_url(activity):
    return reverse("credits:coordinator_support", args=[activity.pk])


def test_commercial_support_is_added_audited_and_shown_to_learners(
    coordinator_client, activity, episode, coordinator
):
    page = coordinator_client.get(_support_url(activity))
    assert page.status_code == 200 and "Commercial support" in page.content.decode()
    signed = (activity.release_date - datetime.timedelta(days=3)).isoformat()
    response = coordinator_client.post(
        _support_url(activity),
        {"supporter": "Acme Devices", "kind": "monetary", "amount": "2500", "agreement_signed_on": signed},
    )
    assert response.status_code == 302
    support = CommercialSupport.objects.get(activity=activity)
    assert support.amount == Decimal("2500")
    row = AuditEvent.objects.filter(action="activity.commercial_support_added").get()
    assert row.actor == coordinator and row.data["new"]["supporter"] == "Acme Devices"
    activity.refresh_from_db()
    assert activity.current_version.content["commercial_support"][0]["supporter"] == "Acme Devices"
    assert "Acme Devices" in _text(coordinator_client.get(episode.get_absolute_url()))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"supporter": "Acme", "kind": "monetary", "amount": ""}, "Give the amount of monetary support"),
        ({"supporter": "Acme", "kind": "in_kind", "in_kind_description": ""}, "Say what was given in kind"),
        ({"supporter": "", "kind": "monetary", "amount": "10"}, "This field is required"),
        ({"supporter": "Acme", "kind": "monetary", "amount": "-5"}, "greater than 0"),
        ({"supporter": "Acme", "kind": "gift", "amount": "5"}, "Select a valid choice"),
    ],
)
def test_bad_commercial_support_is_refused_and_nothing_is_written(
    coordinator_client, activity, data, message
):
    data.setdefault("agreement_signed_on", (activity.release_date - datetime.timedelta(days=1)).isoformat())
    events = AuditEvent.objects.count()
    response = coordinator_client.post(_support_url(activity), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CommercialSupport.objects.exists()
    assert AuditEvent.objects.count() == events


def test_an_agreement_signed_after_release_is_refused_on_a_published_activity(coordinator_client, activity):
    late = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = coordinator_client.post(
        _support_url(activity),
        {"supporter": "Acme", "kind": "monetary", "amount": "10", "agreement_signed_on": late},
    )
    assert response.status_code == 400
    assert "signed before the release" in response.content.decode()
    assert not CommercialSupport.objects.exists()


def test_commercial_support_is_removed_audited(coordinator_client, activity, coordinator):
    signed = activity.release_date - datetime.timedelta(days=3)
    coordinator_client.post(
        _support_url(activity),
        {"supporter": "Acme", "kind": "monetary", "amount": "10", "agreement_signed_on": signed.isoformat()},
    )
    support = CommercialSupport.objects.get()
    response = coordinator_client.post(
        reverse("credits:coordinator_support_remove", args=[activity.pk, support.pk])
    )
    assert response.status_code == 302
    assert not CommercialSupport.objects.exists()
    row = AuditEvent.objects.filter(action="activity.commercial_support_removed").get()
    assert row.data["old"]["supporter"] == "Acme"
    activity.refresh_from_db()
    assert activity.current_version.content["commercial_support"] == []


def test_another_providers_commercial_support_is_404(client, activity, make_user):
    other = Provider.objects.create(name="Other", slug="other", contact_email="o@example.org")
    stranger = make_user("stranger@example.org")
    other.memberships.create(user=stranger)
    mfa_login(client, stranger)
    assert client.get(_support_url(activity)).status_code == 404
    response = client.post(_support_url(activity), {"supporter": "X", "kind": "monetary", "amount": "1"})
    assert response.status_code == 404
    assert not CommercialSupport.objects.exists()


# --- Provider settings ----------------------------------------------------------------------------


def _settings_url(provider):
    return reverse("credits:coordinator_provider_settings", args=[provider.slug])


def test_provider_settings_are_saved_with_old_and_new_values(coordinator_client, provider, coordinator):
    page = coordinator_client.get(_settings_url(provider))
    assert page.status_code == 200
    response = coordinator_client.post(
        _settings_url(provider),
        {
            "name_takes_the": "",
            "contact_email": "help@sot.example.org",
            "privacy_policy_url": "https://sot.example.org/privacy",
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.contact_email == "help@sot.example.org" and not provider.name_takes_the
    row = AuditEvent.objects.filter(action="provider.updated").get()
    assert row.actor == coordinator
    assert row.data["changed"]["contact_email"] == ["cme@sot.example.org", "help@sot.example.org"]
    assert row.data["changed"]["time_zone"] == ["America/New_York", "Europe/London"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"contact_email": "not-an-email"}, "Enter a valid email address"),
        ({"contact_email": ""}, "learners see it before they start"),
        ({"privacy_policy_url": "javascript:alert(1)"}, "Enter a valid URL"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
    ],
)
def test_bad_provider_settings_are_refused(coordinator_client, provider, data, message):
    events = AuditEvent.objects.count()
    post = {"name_takes_the": "on", "contact_email": "x@example.org", "privacy_policy_url": "",
            "time_zone": "America/New_York", **data}  # fmt: skip
    response = coordinator_client.post(_settings_url(provider), post)
    assert response.status_code == 400
    assert message in response.content.decode()
    provider.refresh_from_db()
    assert provider.contact_email == "cme@sot.example.org"
    assert AuditEvent.objects.count() == events


def test_another_providers_settings_are_404(coordinator_client, db):
    other = Provider.objects.create(name="Other", slug="other", contact_email="o@example.org")
    assert coordinator_client.get(_settings_url(other)).status_code == 404
    assert coordinator_client.post(_settings_url(other), {"contact_email": "a@b.org"}).status_code == 404


# --- The activity report (finding 6) --------------------------------------------------------------


def test_the_report_shows_the_reason_for_a_designation_above_the_time_needed(
    coordinator_client, activity, coordinator
):
    url = reverse("credits:activity_report", args=[activity.pk])
    assert 'id="designation-reason"' not in coordinator_client.get(url).content.decode()  # 0.75 = 45 min
    services.activity_update(
        activity=activity,
        actor=coordinator,
        data={
            "designated_credits": Decimal("1.0"),
            "designation_reason": "Pilot test: 58 minutes on average.",
        },
    )
    body = _text(coordinator_client.get(url))
    assert "Designated for 1.0 credits; a learner needs about 45 minutes" in body
    assert "Pilot test: 58 minutes on average." in body
