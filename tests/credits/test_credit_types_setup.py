"""Credit for every profession, coordinator side (issue 13 item 5): the provider's accreditations
page, the activity's credit types page (add / change / remove, every bad input refused with a
message and nothing written), publishing and versions, and what learners see of each type on the
episode page and in the feed's notes (docs/credit-types.md)."""

import io
import re
from decimal import Decimal

import podcastparser
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from lxml import html

from audit.models import AuditEvent
from credits import credit_type_services, grants, versions
from credits.audit_actions import CreditAction
from credits.errors import CreditError
from credits.models import Activity, ActivityCredit, ActivityVersion, Provider
from credits.selectors import learner_status
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

UAN = "0197-0000-26-001-H01-P"
JA_UAN = "JA0000123-0000-26-001-H01-P"
ANCC_STATEMENT = (
    "The Society of Testing is accredited as a provider of nursing continuing professional development "
    "by the American Nurses Credentialing Center's Commission on Accreditation. This activity provides "
    "0.75 nursing contact hours."
)
JA_ANCC_STATEMENT = (
    "Nurses: The Society of Testing designates this activity for a maximum of 0.75 ANCC contact hours. "
    "Nurses should claim only the credit commensurate with the extent of their participation in the activity."
)


@pytest.fixture
def accredited(provider):
    """ANCC and ACPE accredited (ACPE provider number 0197), not jointly accredited, no AAPA."""
    provider.ancc_accredited = True
    provider.acpe_accredited = True
    provider.acpe_provider_number = "0197"
    provider.save()
    return provider


@pytest.fixture
def cc(client, coordinator, accredited):
    mfa_login(client, coordinator)
    return client


def _url(activity) -> str:
    return reverse("credits:coordinator_credit_types", args=[activity.pk])


def _accreditations_url(provider) -> str:
    return reverse("credits:coordinator_accreditations", args=[provider.slug])


def _text(response) -> str:
    return " ".join(html.fromstring(response.content).text_content().split())


def _add(client, activity, **data):
    return client.post(_url(activity), {"action": "add", **data})


def _snapshot(activity) -> tuple:
    activity.refresh_from_db()
    return (
        list(ActivityCredit.objects.filter(activity=activity).values_list("kind", "amount", "uan")),
        AuditEvent.objects.filter(action=CreditAction.ACTIVITY_CREDIT_TYPES_CHANGED).count(),
        ActivityVersion.objects.filter(activity=activity).count(),
        activity.current_version.content if activity.current_version else None,
    )


def _accreditation_post(client, provider, **changes):
    data = {
        "joint_accreditation": provider.joint_accreditation,
        "ancc_accredited": provider.ancc_accredited,
        "acpe_accredited": provider.acpe_accredited,
        "aapa_authorized": provider.aapa_authorized,
        "acpe_provider_number": provider.acpe_provider_number,
        **changes,
    }
    post = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    return client.post(_accreditations_url(provider), post)


# --- The activity's credit types page ---------------------------------------------------------------


def test_add_ancc_and_acpe_to_a_published_activity(cc, activity, coordinator):
    response = _add(cc, activity, kind="ancc", amount="0.75")
    assert response.status_code == 302
    response = _add(cc, activity, kind="acpe", amount="0.5", uan=UAN.lower(), acpe_activity_type="K")
    assert response.status_code == 302
    rows = {r.kind: r for r in ActivityCredit.objects.filter(activity=activity)}
    assert rows["ancc"].amount == Decimal("0.75")
    assert rows["acpe"].uan == UAN and rows["acpe"].acpe_activity_type == "K"
    events = AuditEvent.objects.filter(action=CreditAction.ACTIVITY_CREDIT_TYPES_CHANGED).order_by("pk")
    assert [e.data["old"] for e in events] == [
        [],
        [{"kind": "ancc", "amount": "0.75", "uan": "", "acpe_activity_type": ""}],
    ]
    assert events.last().actor == coordinator
    # Nobody had started version 1: it now offers both (replaced in place), with their statements.
    activity.refresh_from_db()
    assert activity.current_version.number == 1
    offered = {c["kind"]: c for c in activity.current_version.content["credits"]}
    assert offered["ancc"]["statement"] == ANCC_STATEMENT
    assert "Universal Activity Number (UAN): 0197-0000-26-001-H01-P" in offered["acpe"]["statement"]
    manage = html.fromstring(cc.get(reverse("credits:coordinator_activity", args=[activity.pk])).content)
    further = manage.get_element_by_id("further-credit-types")
    assert " ".join(further.text_content().split()) == (
        "0.5 ACPE pharmacy CE contact hours; 0.75 ANCC nursing contact hours · Credit types"
    )
    assert further.cssselect("a")[0].get("href") == _url(activity)
    page = _text(cc.get(_url(activity)))
    assert "0.75 AMA PRA Category 1 Credit(s)™" in page
    assert ANCC_STATEMENT in page
    assert "This knowledge-based activity is designated for 0.5 contact hours (0.05 CEU)" in page
    # Not offered by these accreditations: AAPA and IPCE, each with what it needs.
    assert "AAPA Category 1 CME credits (needs AAPA's authorisation (or Joint Accreditation))" in page
    assert "IPCE credits (needs Joint Accreditation)" in page


def test_change_and_remove(cc, activity):
    _add(cc, activity, kind="ancc", amount="0.75")
    response = cc.post(_url(activity), {"action": "change", "kind": "ancc", "amount": "0.5"})
    assert response.status_code == 302
    assert ActivityCredit.objects.get(activity=activity).amount == Decimal("0.5")
    activity.refresh_from_db()
    assert activity.current_version.content["credits"][0]["amount"] == "0.50"
    response = cc.post(_url(activity), {"action": "remove", "kind": "ancc"})
    assert response.status_code == 302
    assert not ActivityCredit.objects.filter(activity=activity).exists()
    activity.refresh_from_db()
    assert "credits" not in activity.current_version.content  # as before any type was offered
    last = AuditEvent.objects.filter(action=CreditAction.ACTIVITY_CREDIT_TYPES_CHANGED).latest("pk")
    assert last.data == {
        "old": [{"kind": "ancc", "amount": "0.50", "uan": "", "acpe_activity_type": ""}],
        "new": [],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "aapa", "amount": "0.75"}, "AAPA Category 1 CME credits needs AAPA's authorisation"),
        ({"kind": "ipce", "amount": "0.75"}, "IPCE credits needs Joint Accreditation"),
        ({"kind": "ama", "amount": "0.75"}, "Choose a credit type"),
        ({"kind": "ancc", "amount": "0"}, "multiple of 0.25, at least 0.25"),
        ({"kind": "ancc", "amount": "0.3"}, "multiple of 0.25, at least 0.25"),
        ({"kind": "ancc", "amount": "-1"}, "multiple of 0.25, at least 0.25"),
        ({"kind": "ancc", "amount": "abc"}, "Enter the designated amount as a number of hours"),
        ({"kind": "ancc", "amount": "1000"}, "at most 99.75 hours"),
        ({"kind": "ancc", "amount": ""}, "Designated amount (hours): This field is required."),
        ({"kind": "ancc", "amount": "0.75", "uan": UAN}, "belong to ACPE credit only"),
        (
            {"kind": "acpe", "amount": "0.5", "acpe_activity_type": "K"},
            "needs the activity's Universal Activity",
        ),
        (
            {"kind": "acpe", "amount": "0.5", "uan": "0197-26-001", "acpe_activity_type": "K"},
            "A UAN is written like",
        ),
        (
            {"kind": "acpe", "amount": "0.5", "uan": "0197-0000-26-001-L01-P", "acpe_activity_type": "K"},
            "format letter must be H (not L)",
        ),
        (
            {"kind": "acpe", "amount": "0.5", "uan": "0197-0000-26-001-H01-T", "acpe_activity_type": "K"},
            "must end in P (pharmacists)",
        ),
        (
            {"kind": "acpe", "amount": "0.5", "uan": "0198-0000-26-001-H01-P", "acpe_activity_type": "K"},
            "The UAN starts with 0198, but the provider's ACPE number is 0197.",
        ),
        ({"kind": "acpe", "amount": "0.5", "uan": UAN}, "Choose the ACPE activity type"),
        ({"kind": "acpe", "amount": "0.5", "uan": UAN, "acpe_activity_type": "X"}, "Select a valid choice"),
    ],
)
def test_bad_inputs_are_refused_with_a_message_and_nothing_written(cc, activity, data, message):
    before = _snapshot(activity)
    response = _add(cc, activity, **data)
    assert response.status_code == 400
    assert message in _text(response)
    assert _snapshot(activity) == before


def test_a_ja_uan_for_a_provider_that_is_not_jointly_accredited(cc, activity, accredited):
    accredited.acpe_provider_number = ""  # the number check would speak first otherwise
    accredited.save()
    before = _snapshot(activity)
    response = _add(cc, activity, kind="acpe", amount="0.5", uan=JA_UAN, acpe_activity_type="K")
    assert response.status_code == 400
    assert "A UAN starting with JA belongs to a jointly accredited provider." in _text(response)
    assert _snapshot(activity) == before


def test_a_duplicate_type_and_a_uan_used_by_another_activity(cc, activity, accredited, coordinator, show):
    _add(cc, activity, kind="acpe", amount="0.5", uan=UAN, acpe_activity_type="K")
    before = _snapshot(activity)
    response = _add(cc, activity, kind="acpe", amount="0.75", uan=UAN, acpe_activity_type="A")
    assert response.status_code == 400
    assert "This activity already offers ACPE pharmacy CE contact hours" in _text(response)
    assert _snapshot(activity) == before
    other = factories.make_activity(
        provider=accredited,
        episode=factories.make_episode(show, title="Other", guid="other-episode", slug="other"),
        coordinator=coordinator,
    )
    response = _add(cc, other, kind="acpe", amount="0.5", uan=UAN, acpe_activity_type="K")
    assert response.status_code == 400
    assert f"The UAN {UAN} is already used by" in _text(response)
    assert not ActivityCredit.objects.filter(activity=other).exists()


def test_changing_or_removing_a_type_not_offered(cc, activity):
    before = _snapshot(activity)
    for action in ("change", "remove"):
        response = cc.post(_url(activity), {"action": action, "kind": "ancc", "amount": "0.5"})
        assert response.status_code == 400
        assert "This activity does not offer ANCC nursing contact hours." in _text(response)
    response = cc.post(_url(activity), {"action": "explode", "kind": "ancc"})
    assert response.status_code == 400 and "Choose what to do" in _text(response)
    assert _snapshot(activity) == before


def test_an_amount_above_the_time_needed_needs_the_designation_reason(cc, accredited, coordinator, episode):
    activity = factories.make_activity(
        provider=accredited, episode=episode, coordinator=coordinator, designation_reason=""
    )
    before = _snapshot(activity)
    response = _add(cc, activity, kind="ancc", amount="5")
    assert response.status_code == 400
    assert "ANCC nursing contact hours: 5.0 hours is more than the 45 minutes a learner needs" in _text(
        response
    )
    assert _snapshot(activity) == before  # the publishing checks rolled the change back


def test_other_providers_coordinators_and_learners_cannot_reach_the_pages(
    client, activity, accredited, learner, make_user
):
    other = factories.make_provider(name="Other Society", slug="other")
    outsider = factories.make_coordinator(other, email="outsider@example.org")
    mfa_login(client, outsider)
    before = _snapshot(activity)
    assert client.get(_url(activity)).status_code == 404
    assert _add(client, activity, kind="ancc", amount="0.75").status_code == 404
    assert client.get(_accreditations_url(accredited)).status_code == 404
    assert _accreditation_post(client, accredited, ancc_accredited=False).status_code == 404
    client.logout()
    client.force_login(learner)
    assert client.get(_url(activity)).status_code == 403
    assert _add(client, activity, kind="ancc", amount="0.75").status_code == 403
    assert client.get(_accreditations_url(accredited)).status_code == 403
    assert _accreditation_post(client, accredited, ancc_accredited=False).status_code == 403
    assert _snapshot(activity) == before
    accredited.refresh_from_db()
    assert accredited.ancc_accredited
    assert not AuditEvent.objects.filter(action=CreditAction.PROVIDER_ACCREDITATIONS_CHANGED).exists()


def test_the_pages_need_two_factor(client, coordinator, activity, accredited):
    client.force_login(coordinator)  # a session without the second factor
    response = client.get(_url(activity))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_index"))
    assert client.get(_accreditations_url(accredited)).status_code == 302


def test_a_locked_activity_cannot_be_changed(cc, activity, host, show_grant):
    _add(cc, activity, kind="ancc", amount="0.75")
    grants.grant_revoke(grant=show_grant, actor=host, side=grants.HOST)
    before = _snapshot(activity)
    response = _add(cc, activity, kind="acpe", amount="0.5", uan=UAN, acpe_activity_type="K")
    assert response.status_code == 403
    assert cc.post(_url(activity), {"action": "remove", "kind": "ancc"}).status_code == 403
    assert _snapshot(activity) == before
    page = cc.get(_url(activity))
    assert page.status_code == 200 and b'name="action"' not in page.content  # read-only for them now


# --- Publishing and versions ------------------------------------------------------------------------


def test_publishing_with_an_invalid_type_is_refused(cc, accredited, coordinator, episode):
    activity = factories.make_activity(
        provider=accredited, episode=episode, coordinator=coordinator, publish=False
    )
    _add(cc, activity, kind="ancc", amount="0.75")
    _add(cc, activity, kind="acpe", amount="0.5", uan=UAN, acpe_activity_type="K")
    # The provider then loses its ANCC accreditation: a draft may keep the type, but cannot be published.
    response = _accreditation_post(cc, accredited, ancc_accredited=False)
    assert response.status_code == 302
    ActivityCredit.objects.filter(activity=activity, kind="acpe").update(uan="0197-0000-26-001-L01-P")
    activity = Activity.objects.get(pk=activity.pk)  # with the provider as saved now
    problems = versions.publish_problems(activity)
    assert (
        "ANCC nursing contact hours needs ANCC accreditation (or Joint Accreditation): tick it in the "
        "provider's accreditations or remove it."
    ) in problems
    assert any("format letter must be H" in p for p in problems)
    with pytest.raises(ValidationError):
        versions.activity_publish(activity=activity, actor=coordinator)
    page = _text(cc.get(reverse("credits:coordinator_activity", args=[activity.pk])))
    assert "ANCC nursing contact hours needs ANCC accreditation" in page
    checklist = html.fromstring(cc.get(reverse("credits:coordinator_activity", args=[activity.pk])).content)
    links = [a.get("href") for a in checklist.cssselect(".checklist a")]
    assert links == [_url(activity), _url(activity)]  # each problem links to the credit types page
    response = cc.post(reverse("credits:coordinator_activity_publish", args=[activity.pk]))
    activity.refresh_from_db()
    assert activity.status == Activity.Status.DRAFT and activity.current_version is None


def test_an_edit_after_a_learner_started_makes_a_new_version(cc, activity, learner, client):
    _add(cc, activity, kind="ancc", amount="0.75")
    factories.pass_post_test(learner, activity)  # the learner starts under version 1
    response = cc.post(_url(activity), {"action": "change", "kind": "ancc", "amount": "0.5"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.current_version.number == 2
    assert activity.current_version.content["credits"][0]["amount"] == "0.50"
    created = AuditEvent.objects.filter(action=CreditAction.ACTIVITY_VERSION_CREATED).get()
    assert created.data["what"] == "credit types"
    # The learner keeps the offer of the version they started under, on the episode page too.
    status = learner_status(learner=learner, activity=activity)
    assert status.version.number == 1
    assert status.version.content["credits"][0]["amount"] == "0.75"
    client.force_login(learner)
    page = _text(client.get(activity.episode.get_absolute_url()))
    assert "Also offered: 0.75 ANCC nursing contact hours" in page
    assert ANCC_STATEMENT in page
    # A newcomer is offered version 2.
    client.logout()
    page = _text(client.get(activity.episode.get_absolute_url()))
    assert "Also offered: 0.5 ANCC nursing contact hours" in page
    assert "This activity provides 0.5 nursing contact hours." in page


def test_both_pages_print_the_credit_mark_in_italics(cc, activity, accredited):
    _add(cc, activity, kind="ancc", amount="0.75")
    for url in (_url(activity), _accreditations_url(accredited)):
        body = re.sub(r"<title>.*?</title>", "", cc.get(url).content.decode(), flags=re.S)
        marks = list(re.finditer(r"AMA PRA Category 1 Credit(?:\(s\)|s)?", body))
        assert marks
        assert all(body[: m.start()].endswith("<em>") for m in marks), url


# --- The provider's accreditations ------------------------------------------------------------------


def test_saving_the_accreditations_writes_an_audit_row(client, coordinator, provider):
    mfa_login(client, coordinator)
    page = client.get(_accreditations_url(provider))
    assert page.status_code == 200
    assert "Credit types your activities may offer AMA PRA Category 1 Credit™." in _text(page)
    response = _accreditation_post(
        client, provider, joint_accreditation=True, acpe_provider_number="ja0000123"
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.joint_accreditation and provider.acpe_provider_number == "JA0000123"
    event = AuditEvent.objects.get(action=CreditAction.PROVIDER_ACCREDITATIONS_CHANGED)
    assert event.actor == coordinator
    assert event.data["old"]["joint_accreditation"] is False
    assert event.data["new"] == {
        "joint_accreditation": True,
        "ancc_accredited": False,
        "acpe_accredited": False,
        "aapa_authorized": False,
        "acpe_provider_number": "JA0000123",
    }
    text = _text(client.get(_accreditations_url(provider)))
    assert (
        "ANCC nursing contact hours, ACPE pharmacy CE contact hours, AAPA Category 1 CME credits, "
        "IPCE credits"
    ) in text
    # Saving the same values again writes nothing.
    _accreditation_post(client, provider)
    assert AuditEvent.objects.filter(action=CreditAction.PROVIDER_ACCREDITATIONS_CHANGED).count() == 1
    # The dashboard links the page.
    dashboard = client.get(reverse("credits:coordinator_dashboard")).content.decode()
    assert _accreditations_url(provider) in dashboard


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"acpe_provider_number": "197"}, "An ACPE provider number is four digits"),
        ({"acpe_provider_number": "JA123"}, "An ACPE provider number is four digits"),
        ({"acpe_provider_number": "01977"}, "An ACPE provider number is four digits"),
        ({"acpe_provider_number": "JA0000123"}, "starting with JA belongs to a jointly accredited provider"),
        (
            {"acpe_accredited": False, "acpe_provider_number": "0197"},
            "An ACPE provider number needs ACPE accreditation or Joint Accreditation",
        ),
    ],
)
def test_bad_accreditations_are_refused(cc, accredited, changes, message):
    before = Provider.objects.filter(pk=accredited.pk).values().get()
    response = _accreditation_post(cc, accredited, **changes)
    assert response.status_code == 400
    assert message in _text(response)
    assert Provider.objects.filter(pk=accredited.pk).values().get() == before
    assert not AuditEvent.objects.filter(action=CreditAction.PROVIDER_ACCREDITATIONS_CHANGED).exists()


def test_removing_an_accreditation_a_published_activity_uses_is_refused(cc, accredited, activity):
    _add(cc, activity, kind="ancc", amount="0.75")
    _add(cc, activity, kind="acpe", amount="0.5", uan=UAN, acpe_activity_type="K")
    before = _snapshot(activity)
    response = _accreditation_post(cc, accredited, ancc_accredited=False)
    assert response.status_code == 400
    text = _text(response)
    assert "ANCC nursing contact hours would need ANCC accreditation (or Joint Accreditation)" in text
    assert f"“{activity.title}” (#{activity.pk})" in text
    # A new ACPE number would leave the published UAN wrong: refused too.
    response = _accreditation_post(cc, accredited, acpe_provider_number="0200")
    assert response.status_code == 400
    assert "would no longer match the ACPE provider number 0200" in _text(response)
    accredited.refresh_from_db()
    assert accredited.ancc_accredited and accredited.acpe_provider_number == "0197"
    assert _snapshot(activity) == before
    assert not AuditEvent.objects.filter(action=CreditAction.PROVIDER_ACCREDITATIONS_CHANGED).exists()
    # Once the type is removed from the activity, the accreditation can go.
    cc.post(_url(activity), {"action": "remove", "kind": "ancc"})
    assert _accreditation_post(cc, accredited, ancc_accredited=False).status_code == 302


def test_joint_accreditation_rewrites_the_statements_of_published_activities(
    cc, accredited, activity, learner
):
    _add(cc, activity, kind="ancc", amount="0.75")
    activity.refresh_from_db()
    assert activity.current_version.content["credits"][0]["statement"] == ANCC_STATEMENT
    factories.pass_post_test(learner, activity)
    response = _accreditation_post(cc, accredited, joint_accreditation=True)
    assert response.status_code == 302
    message = _text(cc.get(response["Location"]))
    assert "Accreditations saved. 1 published activity now shows the new statements." in message
    activity.refresh_from_db()
    version = activity.current_version
    assert version.number == 2  # a learner had started version 1: it stays as they were shown it
    assert version.content["credits"][0]["statement"] == JA_ANCC_STATEMENT
    assert (
        "is jointly accredited by the Accreditation Council for Continuing Medical Education"
        in (version.content["accreditation_statement"])
    )
    old = ActivityVersion.objects.get(activity=activity, number=1)
    assert old.content["credits"][0]["statement"] == ANCC_STATEMENT
    page = _text(cc.get(_url(activity)))
    assert JA_ANCC_STATEMENT in page


def test_joint_accreditation_leaves_a_locked_activity_as_its_learners_saw_it(
    cc, accredited, activity, host, show_grant
):
    _add(cc, activity, kind="ancc", amount="0.75")
    grants.grant_revoke(grant=show_grant, actor=host, side=grants.HOST)
    activity.refresh_from_db()
    shown = activity.current_version.content
    response = _accreditation_post(cc, accredited, joint_accreditation=True)
    assert response.status_code == 302
    message = _text(cc.get(response["Location"]))
    assert (
        "Accreditations saved. Not changed, because their show's hosts no longer let you change them: "
        f"{activity.title}."
    ) in message
    activity.refresh_from_db()
    assert activity.current_version.content == shown


def test_the_service_refuses_a_malformed_number_without_the_page(provider, coordinator):
    with pytest.raises(CreditError) as error:
        credit_type_services.accreditations_save(
            provider=provider,
            actor=coordinator,
            joint_accreditation=False,
            ancc_accredited=False,
            acpe_accredited=True,
            aapa_authorized=False,
            acpe_provider_number="abcd",
        )
    assert error.value.code == "acpe_provider_number"
    provider.refresh_from_db()
    assert not provider.acpe_accredited


# --- Statements -------------------------------------------------------------------------------------


def test_statements_for_a_provider_that_is_not_jointly_accredited(cc, activity):
    _add(cc, activity, kind="ancc", amount="0.75")
    _add(cc, activity, kind="acpe", amount="0.5", uan=UAN, acpe_activity_type="A")
    activity.refresh_from_db()
    offered = {c["kind"]: c["statement"] for c in activity.current_version.content["credits"]}
    assert offered["ancc"] == ANCC_STATEMENT
    assert offered["acpe"] == (
        "The Society of Testing is accredited by the Accreditation Council for Pharmacy Education as a "
        "provider of continuing pharmacy education. This application-based activity is designated for 0.5 "
        "contact hours (0.05 CEU) of continuing pharmacy education. Universal Activity Number (UAN): "
        "0197-0000-26-001-H01-P. Credit is reported to CPE Monitor with the pharmacist's NABP e-Profile ID "
        "and birth month and day."
    )


def test_statements_for_a_jointly_accredited_provider(client, coordinator, provider, activity):
    provider.joint_accreditation = True
    provider.aapa_authorized = True
    provider.acpe_provider_number = "JA0000123"
    provider.save()
    mfa_login(client, coordinator)
    _add(client, activity, kind="ancc", amount="0.75")
    _add(client, activity, kind="acpe", amount="0.5", uan=JA_UAN, acpe_activity_type="K")
    _add(client, activity, kind="aapa", amount="0.75")
    _add(client, activity, kind="ipce", amount="0.75")
    activity.refresh_from_db()
    offered = {c["kind"]: c["statement"] for c in activity.current_version.content["credits"]}
    assert offered["ancc"] == JA_ANCC_STATEMENT
    assert offered["acpe"].startswith(
        "Pharmacists: This knowledge-based activity is designated for 0.5 contact hours (0.05 CEU)"
    )
    assert offered["aapa"].startswith(
        "PAs: The Society of Testing has been authorized by the American Academy of PAs (AAPA) to award AAPA "
        "Category 1 CME credit"
    )
    assert offered["ipce"] == (
        "This activity was planned by and for the healthcare team, and learners will receive 0.75 "
        "Interprofessional Continuing Education (IPCE) credits for learning and change."
    )


# --- What learners see: the episode page and the feed -----------------------------------------------


def test_the_episode_panel_lists_each_type_with_its_statement(cc, activity, client):
    _add(cc, activity, kind="ancc", amount="0.75")
    _add(cc, activity, kind="acpe", amount="0.5", uan=UAN, acpe_activity_type="K")
    client.logout()
    page = html.fromstring(client.get(activity.episode.get_absolute_url()).content)
    text = " ".join(page.text_content().split())
    assert "Also offered: 0.5 ACPE pharmacy CE contact hours · 0.75 ANCC nursing contact hours" in text
    ancc = page.get_element_by_id("statement-ancc")
    assert " ".join(ancc.text_content().split()) == f"ANCC nursing contact hours: {ANCC_STATEMENT}"
    assert "UAN): 0197-0000-26-001-H01-P" in page.get_element_by_id("statement-acpe").text_content()


def test_the_panel_of_an_activity_with_ama_only_is_unchanged(client, activity):
    text = _text(client.get(activity.episode.get_absolute_url()))
    assert "Also offered" not in text and "nursing" not in text


def test_the_feed_notes_carry_each_type_and_its_statement(cc, activity, client, show):
    plain = activity.current_version.listener_notes_html
    assert "ANCC" not in plain
    _add(cc, activity, kind="ancc", amount="0.75")
    activity.refresh_from_db()
    client.logout()
    body = client.get(reverse("episodes:feed", args=[show.slug])).content
    parsed = podcastparser.parse("http://testserver/feed", io.BytesIO(body))
    notes = next(e for e in parsed["episodes"] if e["guid"] == activity.episode.guid)["description_html"]
    assert "<p><strong>0.75 ANCC nursing contact hours</strong>. " + ANCC_STATEMENT in notes
    at_credits, at_ancc = notes.find("AMA PRA Category 1 Credit"), notes.find("ANCC nursing contact hours")
    assert 0 <= at_credits < at_ancc < notes.find("People in control of content")
    # Without further types the notes are what they were (byte for byte).
    content = dict(activity.current_version.content)
    del content["credits"]
    assert versions.listener_notes_html(content) == plain
