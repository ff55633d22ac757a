"""What a learner is shown before starting (issue 12, findings 3, 9 and 10), read from the activity
VERSION they are offered (or started under), never from the coordinators' editable row."""

import datetime
import re
from decimal import Decimal

from django.urls import reverse

from credits import services
from credits.models import Activity, CommercialSupport
from testkit.factories import make_activity, pass_and_evaluate, pass_post_test


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _panel(client, episode) -> str:
    body = _text(client.get(episode.get_absolute_url()))
    start = body.index('class="cme-panel"')
    return body[start : body.index("</section>", start)]


def test_nobody_with_a_relevant_relationship_means_no_mitigation_statement(client, activity, episode):
    panel = _panel(client, episode)
    assert "Dana Faculty, MD" in panel
    assert "no relevant financial relationships with ineligible companies" in panel
    assert "have been mitigated" not in panel
    assert "Not listed yet" not in panel


def test_a_relevant_relationship_is_shown_with_the_mitigation_statement(
    client, episode, provider, coordinator
):
    make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        people=[
            {"name": "Dr Ada Byrne", "credentials": "MD", "role": "faculty",
             "disclosures": [{"company": "Acme Pharma", "nature": "consultant", "mitigated": True}]},
            {"name": "Sam Planner", "credentials": "RN", "role": "planner", "disclosures": []},
        ],
    )  # fmt: skip
    panel = _panel(client, episode)
    assert "Dr Ada Byrne, MD" in panel and "Acme Pharma" in panel and "Consultant" in panel
    assert "Sam Planner, RN" in panel
    assert panel.index("Acme Pharma") < panel.index(
        "All relevant financial relationships listed have been mitigated."
    )


def test_the_panel_carries_the_enduring_material_information(client, episode, provider, coordinator):
    activity = make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        references=(
            "Frerk C et al. Difficult Airway Society 2015 guidelines. https://doi.org/10.1093/bja/aev371\n"
            "Apfelbaum JL. 10.1097/ALN.0000000000004002\n"
            "<script>alert(1)</script> Plain citation"
        ),
        requirements="Headphones and a browser with JavaScript.",
        providership="joint",
        joint_provider_name="Airway Club",
    )
    panel = _panel(client, episode)
    for text in [
        "Audio podcast",
        "Estimated time: 45 minutes",
        "passing score 75%",
        "Headphones and a browser with JavaScript.",
        '<a href="https://doi.org/10.1093/bja/aev371" rel="noopener noreferrer">https://doi.org/10.1093/bja/aev371</a>',
        '<a href="https://doi.org/10.1097/ALN.0000000000004002" rel="noopener noreferrer">'
        "10.1097/ALN.0000000000004002</a>",
        "&lt;script&gt;alert(1)&lt;/script&gt; Plain citation",
        "through the joint providership of the Society of Testing and Airway Club",
        "a maximum of 0.75 <em>AMA PRA Category 1 Credit(s)</em>™",
        'href="mailto:cme@sot.example.org"',
        'href="/privacy/"',
        activity.release_date.isoformat(),
        activity.expiry_date.isoformat(),
        "Commercial support",
    ]:
        assert text in panel, text
    assert "<script>" not in panel


def test_commercial_support_is_shown_with_kind_and_amount(client, episode, provider, coordinator):
    activity = make_activity(provider=provider, episode=episode, coordinator=coordinator, publish=False)
    CommercialSupport.objects.create(
        activity=activity,
        supporter="Acme Devices",
        kind="monetary",
        amount=Decimal("5000"),
        agreement_signed_on=activity.release_date - datetime.timedelta(days=5),
    )
    CommercialSupport.objects.create(
        activity=activity,
        supporter="Tube Co",
        kind="in_kind",
        in_kind_description="Video laryngoscopes for the recording",
        agreement_signed_on=activity.release_date - datetime.timedelta(days=5),
    )
    from credits import versions

    versions.activity_publish(activity=activity, actor=coordinator)
    panel = _panel(client, episode)
    assert "Acme Devices" in panel and "5000" in panel and "Monetary" in panel
    assert "Tube Co" in panel and "Video laryngoscopes for the recording" in panel
    assert "None." not in panel[panel.index("Commercial support") :][:200]


def test_no_commercial_support_says_none(client, activity, episode):
    panel = _panel(client, episode)
    assert re.search(r"Commercial support:\s*(</\w+>)?\s*None\.", panel)


def test_the_panel_reads_the_version_not_the_editable_row(client, activity, episode):
    # The working copy changes without a service (as a draft of the next edit would): learners
    # still see what was published.
    Activity.objects.filter(pk=activity.pk).update(title="Unpublished working title", passing_score=90)
    panel = _panel(client, episode)
    assert "Difficult airway" in panel and "Unpublished working title" not in panel
    assert "passing score 75%" in panel


def test_a_learner_under_way_keeps_seeing_the_version_they_started(
    client, learner, make_user, activity, episode, coordinator
):
    pass_post_test(learner, activity)
    services.activity_update(activity=activity, actor=coordinator, data={"title": "Airway rescue v2"})
    client.force_login(learner)
    assert "Difficult airway" in _panel(client, episode)
    newcomer = make_user("new@example.org", profile=True)
    client.force_login(newcomer)
    assert "Airway rescue v2" in _panel(client, episode)


def test_the_claim_page_shows_the_designation_of_the_learners_version(
    client, learner, activity, episode, coordinator
):
    pass_and_evaluate(learner, activity)
    services.activity_update(
        activity=activity,
        actor=coordinator,
        data={"designated_credits": Decimal("1.0"), "title": "Airway rescue v2"},
    )
    client.force_login(learner)
    body = _text(client.get(reverse("credits:claim", args=[activity.pk])))
    assert "a maximum of 0.75 <em>AMA PRA Category 1 Credit(s)</em>™" in body
    assert "Designated for at most 0.75 credit(s) (45 minutes)" in body
    assert "Difficult airway" in body and "Airway rescue v2" not in body
    assert "1.0 <em>" not in body


def test_post_test_and_evaluation_pages_name_the_learners_version(client, learner, activity, coordinator):
    client.force_login(learner)
    body = _text(client.get(reverse("credits:post_test", args=[activity.pk])))
    assert "You need 75% to pass" in body and "Difficult airway" in body
    pass_post_test(learner, activity)
    services.activity_update(activity=activity, actor=coordinator, data={"title": "Airway rescue v2"})
    body = _text(client.get(reverse("credits:evaluation", args=[activity.pk])))
    assert "Difficult airway" in body and "Airway rescue v2" not in body


# --- The privacy page -----------------------------------------------------------------------------


def test_the_privacy_page_says_what_is_kept_how_long_and_who_to_ask(client, db):
    response = client.get("/privacy/")
    assert response.status_code == 200
    body = _text(response)
    for text in ["Privacy", "6 years", "only with your permission", "certificate", "Contact"]:
        assert text in body, text


def test_every_page_links_the_privacy_page_in_its_footer(client, db):
    body = client.get("/").content.decode()
    footer = body[body.index("site-footer") :]
    assert 'href="/privacy/"' in footer


def test_a_provider_privacy_policy_replaces_the_sites_link(client, activity, episode, provider, coordinator):
    provider.privacy_policy_url = "https://sot.example.org/privacy"
    provider.save()
    services.activity_update(activity=activity, actor=coordinator, data={"title": "Refreshed"})
    panel = _panel(client, episode)
    assert 'href="https://sot.example.org/privacy"' in panel


def test_the_attempt_result_names_the_version_the_attempt_was_made_under(
    client, learner, activity, coordinator
):
    attempt = pass_post_test(learner, activity)
    services.activity_update(
        activity=activity, actor=coordinator, data={"title": "Airway rescue v2", "passing_score": 90}
    )
    client.force_login(learner)
    body = _text(client.get(reverse("credits:attempt", args=[attempt.pk])))
    assert "Difficult airway" in body and "Airway rescue v2" not in body
    assert "(passing score 75%)" in body
