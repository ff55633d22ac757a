"""Show grants: a provider makes a show's episodes CME activities only when the show's hosts allow it."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import grants, services
from credits.models import Activity, GrantStatus, Provider, ProviderCoordinator, ShowProviderGrant
from episodes.models import Episode, Show, ShowHost
from testkit.factories import QUIZ, publish
from testkit.mfa import give_totp, mfa_login

NOW = timezone.now()


def _episode(show, slug, *, status=Episode.Status.PUBLISHED, publish_at=None, title=None):
    return Episode.objects.create(
        show=show,
        title=title or f"Episode {slug}",
        slug=slug,
        guid=f"guid-{show.slug}-{slug}",
        audio=f"audio/{show.slug}/{slug}.mp3",
        audio_mime="audio/mpeg",
        audio_size=1000,
        audio_duration=30 * 60,
        audio_bitrate=64000,
        status=status,
        publish_at=publish_at,
    )


@pytest.fixture
def cardio(db):
    """Another host's show, with a public, a draft and a scheduled episode."""
    show = Show.objects.create(
        title="Cardio Cases",
        slug="cardio-cases",
        description="Cardiology.",
        author="Heart Society",
        owner_name="Heart Society",
        owner_email="heart@example.org",
    )
    _episode(show, "public", publish_at=NOW - datetime.timedelta(days=2), title="Public ECG quiz")
    _episode(show, "draft", status=Episode.Status.DRAFT, title="Secret draft about a new drug")
    _episode(show, "later", publish_at=NOW + datetime.timedelta(days=5), title="Embargoed trial results")
    return show


@pytest.fixture
def cardio_host(make_user, cardio):
    user = make_user("cardio-host@example.org")
    ShowHost.objects.create(show=cardio, user=user)
    return user


@pytest.fixture
def rival(db):
    return Provider.objects.create(name="Rival CME Inc", slug="rival", contact_email="cme@rival.example.org")


@pytest.fixture
def rival_coordinator(make_user, rival):
    user = make_user("rival@example.org")
    ProviderCoordinator.objects.create(provider=rival, user=user)
    return user


@pytest.fixture
def hc(cardio_host):
    client = Client()
    mfa_login(client, cardio_host)
    return client


@pytest.fixture
def rc(rival_coordinator):
    client = Client()
    mfa_login(client, rival_coordinator)
    return client


def _activity_post(episode, **changes):
    today = timezone.localdate()
    data = {
        "episode": episode.pk,
        "title": "",
        "objectives": "One\nTwo",
        "target_audience": "Cardiologists",
        "designated_credits": "0.5",
        "release_date": today.isoformat(),
        "expiry_date": (today + datetime.timedelta(days=700)).isoformat(),
        "passing_score": "80",
        "max_attempts": "3",
        "reveal_answers": "after_passing",
    }
    data.update(changes)
    return data


def _data(episode):
    today = timezone.localdate()
    return {
        "objectives": "One",
        "target_audience": "Cardiologists",
        "designated_credits": "0.5",
        "release_date": today,
        "expiry_date": today + datetime.timedelta(days=700),
    }


def _create_url(provider):
    return reverse("credits:coordinator_activity_create", args=[provider.slug])


def _host_url(name, show, grant=None):
    args = [show.slug] if grant is None else [show.slug, grant.pk]
    return reverse(
        f"credits:host_grant_{name}" if name != "page" else "credits:host_show_providers", args=args
    )


def _coord_url(name, provider, grant=None):
    args = [provider.slug] if grant is None else [provider.slug, grant.pk]
    return reverse(
        f"credits:coordinator_grant_{name}" if name != "page" else "credits:coordinator_shows", args=args
    )


def _grant_actions():
    return AuditEvent.objects.filter(object_type="credits.showprovidergrant").order_by("id")


# --- the hole: a coordinator without a grant ----------------------------------------------------------


def test_the_activity_form_lists_no_episode_of_a_show_that_did_not_grant_the_provider(rc, rival, cardio):
    page = rc.get(_create_url(rival)).content.decode()
    for title in (
        "Secret draft about a new drug",
        "Embargoed trial results",
        "Public ECG quiz",
        "Cardio Cases",
    ):
        assert title not in page
    assert "No show has allowed" in page
    assert _coord_url("page", rival) in page


def test_a_forged_post_with_a_foreign_episode_is_refused_and_writes_nothing(rc, rival, cardio):
    for slug in ("public", "draft", "later"):
        episode = cardio.episodes.get(slug=slug)
        response = rc.post(_create_url(rival), _activity_post(episode))
        assert response.status_code == 400
        body = response.content.decode()
        assert "Select a valid choice" in body
        assert episode.title not in body
    assert Activity.objects.count() == 0
    assert not AuditEvent.objects.filter(action="activity.created").exists()


def test_the_service_refuses_an_activity_on_a_show_that_did_not_grant_the_provider(
    rival, rival_coordinator, cardio
):
    episode = cardio.episodes.get(slug="draft")
    with pytest.raises(ValidationError) as error:
        services.activity_create(
            provider=rival, episode=episode, actor=rival_coordinator, data=_data(episode)
        )
    assert "have not allowed Rival CME Inc" in str(error.value)
    assert episode.title not in str(error.value)
    assert Activity.objects.count() == 0


# --- invite -> accept ---------------------------------------------------------------------------------


def test_host_invites_coordinator_accepts_then_the_coordinator_can_attach(
    hc, rc, cardio, rival, cardio_host, rival_coordinator
):
    page = hc.get(_host_url("page", cardio)).content.decode()
    assert "Rival CME Inc" in page  # the provider list to invite from
    response = hc.post(
        _host_url("invite", cardio), {"provider": rival.slug, "message": "Welcome <b>aboard</b>"}
    )
    assert response.status_code == 302
    grant = ShowProviderGrant.objects.get()
    assert grant.status == GrantStatus.INVITED and grant.requested_by == cardio_host
    # Not active yet: still nothing to choose.
    assert "Secret draft about a new drug" not in rc.get(_create_url(rival)).content.decode()

    shows = rc.get(_coord_url("page", rival)).content.decode()
    assert "Cardio Cases" in shows and "Welcome &lt;b&gt;aboard&lt;/b&gt;" in shows
    response = rc.post(_coord_url("accept", rival, grant))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.accepted_by == rival_coordinator
    assert [e.action for e in _grant_actions()] == ["grant.invited", "grant.accepted"]
    assert [e.actor for e in _grant_actions()] == [cardio_host, rival_coordinator]

    # Now the show's episodes, unpublished ones marked, are offered to the granted provider.
    form = rc.get(_create_url(rival)).content.decode()
    assert "Public ECG quiz" in form and "Secret draft about a new drug (draft)" in form
    assert "Embargoed trial results (scheduled)" in form
    draft = cardio.episodes.get(slug="draft")
    response = rc.post(_create_url(rival), _activity_post(draft))
    assert response.status_code == 302
    assert Activity.objects.get().episode == draft


def test_coordinator_requests_access_and_the_host_accepts(hc, rc, cardio, rival, cardio_host):
    page = rc.get(_coord_url("page", rival)).content.decode()
    assert "cardio-cases" in page  # published shows can be found
    for title in ("Secret draft about a new drug", "Embargoed trial results"):
        assert title not in page
    response = rc.post(
        _coord_url("request", rival), {"show": "cardio-cases", "message": "Accredited since 1990"}
    )
    assert response.status_code == 302
    grant = ShowProviderGrant.objects.get()
    assert grant.status == GrantStatus.REQUESTED

    host_page = hc.get(_host_url("page", cardio)).content.decode()
    assert "Rival CME Inc" in host_page and "Accredited since 1990" in host_page
    assert hc.post(_host_url("accept", cardio, grant)).status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.accepted_by == cardio_host
    assert [e.action for e in _grant_actions()] == ["grant.requested", "grant.accepted"]
    assert "Secret draft about a new drug" in rc.get(_create_url(rival)).content.decode()


def test_host_declines_a_request_and_the_coordinator_withdraws_one(hc, rc, cardio, rival):
    rc.post(_coord_url("request", rival), {"show": "cardio-cases"})
    grant = ShowProviderGrant.objects.get()
    assert hc.post(_host_url("decline", cardio, grant)).status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.DECLINED and grant.closed_at is not None
    # A declined request may be asked again; the new one can be withdrawn by the provider.
    assert rc.post(_coord_url("request", rival), {"show": "cardio-cases"}).status_code == 302
    again = ShowProviderGrant.objects.exclude(pk=grant.pk).get()
    assert rc.post(_coord_url("withdraw", rival, again)).status_code == 302
    again.refresh_from_db()
    assert again.status == GrantStatus.WITHDRAWN
    assert [e.action for e in _grant_actions()] == [
        "grant.requested", "grant.declined", "grant.requested", "grant.withdrawn",
    ]  # fmt: skip
    assert ShowProviderGrant.objects.count() == 2  # history kept


# --- revocation -------------------------------------------------------------------------------------


@pytest.fixture
def granted(cardio, rival, cardio_host, rival_coordinator):
    grant = grants.grant_invite(show=cardio, provider=rival, actor=cardio_host)
    return grants.grant_accept(grant=grant, actor=rival_coordinator, side="provider")


def test_host_revokes_existing_records_stay_and_nothing_new_can_be_attached(
    hc, rc, cardio, rival, granted, cardio_host, rival_coordinator
):
    public = cardio.episodes.get(slug="public")
    activity = services.activity_create(
        provider=rival, episode=public, actor=rival_coordinator, data=_data(public)
    )
    services.quiz_replace(activity=activity, actor=rival_coordinator, data=QUIZ)
    activity = publish(activity, rival_coordinator)  # learners are offered it before the revocation
    set_up = set(AuditEvent.objects.values_list("pk", flat=True))
    response = hc.post(_host_url("revoke", cardio, granted))
    assert response.status_code == 302
    granted.refresh_from_db()
    assert granted.status == GrantStatus.REVOKED and granted.closed_by == cardio_host
    revoked = AuditEvent.objects.get(action="grant.revoked")
    assert revoked.actor == cardio_host and revoked.object_id == str(granted.pk)
    assert revoked.data["by"] == "host"

    # Nothing new: the form is empty again and a forged post is refused.
    form = rc.get(_create_url(rival)).content.decode()
    assert "Secret draft about a new drug" not in form and "Embargoed trial results" not in form
    draft = cardio.episodes.get(slug="draft")
    assert rc.post(_create_url(rival), _activity_post(draft)).status_code == 400
    assert Activity.objects.count() == 1

    # The existing activity stays (learners keep it until it expires) but can no longer be changed.
    manage = rc.get(reverse("credits:coordinator_activity", args=[activity.pk]))
    assert manage.status_code == 200 and "revoked" in manage.content.decode()
    for name in ("coordinator_activity_edit", "coordinator_people", "coordinator_quiz"):
        response = rc.get(reverse(f"credits:{name}", args=[activity.pk]))
        assert response.status_code == 403, name
        assert "no longer allow" in response.content.decode()
    before = activity.updated_at
    response = rc.post(
        reverse("credits:coordinator_activity_edit", args=[activity.pk]),
        {"title": "Changed", "objectives": "x"},
    )
    assert response.status_code == 403
    activity.refresh_from_db()
    assert activity.title != "Changed" and activity.updated_at == before
    with pytest.raises(ValidationError):
        services.activity_update(activity=activity, actor=rival_coordinator, data={"title": "Changed"})
    with pytest.raises(ValidationError):
        services.activity_set_people(activity=activity, actor=rival_coordinator, people=[])
    with pytest.raises(services.CreditError, match="no longer allow"):
        services.quiz_replace(activity=activity, actor=rival_coordinator, data={"questions": []})
    assert (
        not AuditEvent.objects.filter(action__in=["activity.updated", "activity.people_set", "quiz.replaced"])
        .exclude(pk__in=set_up)
        .exists()
    )
    # The public episode page still offers the activity to learners.
    assert "AMA PRA Category 1 Credit" in Client().get(public.get_absolute_url()).content.decode()
    # Its hosts see it, marked, with its expiry date.
    host_page = hc.get(_host_url("page", cardio)).content.decode()
    assert "Public ECG quiz" in host_page and "access ended" in host_page


def test_revoking_keeps_claims_and_certificates_and_the_activity_runs_until_expiry(
    activity, show_grant, host, learner, evaluated, make_user
):
    claim = services.claim_credit(learner=learner, activity=activity, minutes=45, attested=True)
    certificate_status = claim.certificate.status
    grants.grant_revoke(grant=show_grant, actor=host, side=grants.HOST)
    claim.refresh_from_db()
    assert claim.certificate.status == certificate_status
    assert Activity.objects.filter(pk=activity.pk, expiry_date=activity.expiry_date).exists()
    # A learner who had not started can still take the post-test until the activity expires.
    newcomer = make_user("newcomer@example.org", profile=True)
    assert services.attempt_start(learner=newcomer, activity=activity).pk
    event = AuditEvent.objects.get(action="grant.revoked")
    assert event.data["activities_running"] == [activity.pk]


def test_activities_made_before_grants_existed_are_carried_over_as_active_grants(cardio, rival):
    """The data migration: an installation upgraded with activities keeps working (and its hosts see it)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("credits.migrations.0005_show_provider_grants")
    legacy = cardio.episodes.get(slug="public")
    today = timezone.localdate()
    Activity.objects.create(  # as it was stored before grants: no grant at all
        episode=legacy, provider=rival, title="Legacy", objectives="x", target_audience="y",
        designated_credits="0.5", release_date=today, expiry_date=today + datetime.timedelta(days=30),
    )  # fmt: skip
    migration.carry_over_existing_pairs(apps, None)
    grant = ShowProviderGrant.objects.get()
    assert (grant.show, grant.provider, grant.status) == (cardio, rival, GrantStatus.ACTIVE)
    assert "Carried over" in grant.message
    assert AuditEvent.objects.get(action="grant.carried_over").object_id == str(grant.pk)


def test_the_provider_can_end_an_active_grant_too(rc, cardio, rival, granted, rival_coordinator):
    assert rc.post(_coord_url("revoke", rival, granted)).status_code == 302
    granted.refresh_from_db()
    assert granted.status == GrantStatus.REVOKED and granted.closed_by == rival_coordinator
    assert AuditEvent.objects.get(action="grant.revoked").data["by"] == "provider"


# --- bad inputs: a clear message, nothing written --------------------------------------------------


def test_requesting_an_unknown_or_unpublished_show_says_the_same_and_writes_nothing(rc, rival, make_user):
    hidden = Show.objects.create(
        title="Stealth Show",
        slug="stealth",
        description="x",
        author="a",
        owner_name="a",
        owner_email="a@example.org",
    )
    _episode(hidden, "only-draft", status=Episode.Status.DRAFT, title="Unreleased stealth episode")
    bodies = []
    for slug in ("no-such-show", "stealth", "", "../../etc"):
        response = rc.post(_coord_url("request", rival), {"show": slug})
        assert response.status_code == 400
        bodies.append(response.content.decode())
    assert all("No published show has the address" in b for b in bodies[:2])
    assert "Stealth Show" not in bodies[1] and "Unreleased stealth episode" not in bodies[1]
    assert ShowProviderGrant.objects.count() == 0 and not _grant_actions().exists()


def test_duplicate_requests_and_invitations_are_refused(hc, rc, cardio, rival):
    assert rc.post(_coord_url("request", rival), {"show": "cardio-cases"}).status_code == 302
    response = rc.post(_coord_url("request", rival), {"show": "cardio-cases"})
    assert response.status_code == 409
    assert "already asked" in response.content.decode()
    response = hc.post(_host_url("invite", cardio), {"provider": rival.slug})
    assert response.status_code == 409
    assert "already asked" in response.content.decode()
    assert ShowProviderGrant.objects.count() == 1 and _grant_actions().count() == 1


def test_accepting_twice_or_accepting_a_revoked_grant_is_refused(hc, rc, cardio, rival):
    rc.post(_coord_url("request", rival), {"show": "cardio-cases"})
    grant = ShowProviderGrant.objects.get()
    assert hc.post(_host_url("accept", cardio, grant)).status_code == 302
    response = hc.post(_host_url("accept", cardio, grant))
    assert response.status_code == 409 and "already active" in response.content.decode()
    assert hc.post(_host_url("revoke", cardio, grant)).status_code == 302
    response = hc.post(_host_url("accept", cardio, grant))
    assert response.status_code == 409 and "was revoked" in response.content.decode()
    response = hc.post(_host_url("revoke", cardio, grant))
    assert response.status_code == 409
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert [e.action for e in _grant_actions()] == ["grant.requested", "grant.accepted", "grant.revoked"]


def test_a_side_cannot_accept_its_own_request_or_invitation(hc, rc, cardio, rival):
    rc.post(_coord_url("request", rival), {"show": "cardio-cases"})
    grant = ShowProviderGrant.objects.get()
    response = rc.post(_coord_url("accept", rival, grant))
    assert response.status_code == 409 and "show's hosts" in response.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED
    assert _grant_actions().count() == 1


def test_inviting_an_unknown_provider_is_refused(hc, cardio):
    response = hc.post(_host_url("invite", cardio), {"provider": "nobody"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert ShowProviderGrant.objects.count() == 0


# --- who may do what -----------------------------------------------------------------------------


def test_strangers_get_nothing_from_any_grant_page(
    client,
    cardio,
    rival,
    make_user,
    cardio_host,
    rival_coordinator,
    learner,
    show,
    host,
    provider,
    coordinator,
):
    grant = grants.grant_request(show=cardio, provider=rival, actor=rival_coordinator)
    host_pages = [_host_url("page", cardio), _host_url("invite", cardio)] + [
        _host_url(a, cardio, grant) for a in ("accept", "decline", "withdraw", "revoke")
    ]
    coord_pages = [_coord_url("page", rival), _coord_url("request", rival)] + [
        _coord_url(a, rival, grant) for a in ("accept", "decline", "withdraw", "revoke")
    ]
    # Anonymous: to the login page.
    for url in host_pages + coord_pages:
        response = client.post(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url
    # A learner: neither host nor coordinator.
    mfa_login(client, learner)
    for url in host_pages + coord_pages:
        assert client.post(url).status_code == 403, url
    # The host of another show and the coordinator of another provider: these pages do not exist.
    mfa_login(client, host)
    for url in host_pages:
        assert client.post(url).status_code == 404, url
    mfa_login(client, coordinator)
    for url in coord_pages:
        assert client.post(url).status_code == 404, url
    # The host of the show cannot act as the provider, nor the provider as the host.
    mfa_login(client, cardio_host)
    for url in coord_pages:
        assert client.post(url).status_code == 403, url
    mfa_login(client, rival_coordinator)
    for url in host_pages:
        assert client.post(url).status_code == 403, url
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED
    assert _grant_actions().count() == 1


def test_a_grant_of_another_show_is_not_found_from_this_show(hc, cardio, show, provider, coordinator, host):
    other = grants.grant_invite(show=show, provider=provider, actor=host)
    for action in ("accept", "decline", "revoke", "withdraw"):
        assert (
            hc.post(reverse(f"credits:host_grant_{action}", args=[cardio.slug, other.pk])).status_code == 404
        )
    other.refresh_from_db()
    assert other.status == GrantStatus.INVITED


def test_state_changes_are_post_only_and_need_the_csrf_token(cardio, rival, cardio_host, rival_coordinator):
    grant = grants.grant_request(show=cardio, provider=rival, actor=rival_coordinator)
    client = Client(enforce_csrf_checks=True)
    mfa_login(client, cardio_host)
    assert client.get(_host_url("accept", cardio, grant)).status_code == 405
    assert client.post(_host_url("accept", cardio, grant)).status_code == 403
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED


def test_the_hosts_show_page_links_to_its_providers(hc, cardio):
    page = hc.get(reverse("episodes:host_show", args=[cardio.slug])).content.decode()
    assert _host_url("page", cardio) in page


# --- the records -----------------------------------------------------------------------------------


def test_one_open_grant_per_show_and_provider_and_grants_are_never_deleted(cardio, rival, rival_coordinator):
    grant = grants.grant_request(show=cardio, provider=rival, actor=rival_coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShowProviderGrant.objects.create(show=cardio, provider=rival, status=GrantStatus.INVITED)
    with pytest.raises(TypeError):
        grant.delete()
    with pytest.raises(TypeError):
        ShowProviderGrant.objects.all().delete()


def test_the_admin_shows_grants_but_cannot_change_them(client, cardio, rival, rival_coordinator, make_user):
    grant = grants.grant_request(show=cardio, provider=rival, actor=rival_coordinator)
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    mfa_login(client, staff)
    assert client.get(reverse("admin:credits_showprovidergrant_changelist")).status_code == 200
    assert client.get(reverse("admin:credits_showprovidergrant_add")).status_code == 403
    response = client.post(
        reverse("admin:credits_showprovidergrant_change", args=[grant.pk]), {"status": "active"}
    )
    assert response.status_code == 403
    assert client.post(reverse("admin:credits_showprovidergrant_delete", args=[grant.pk])).status_code == 403
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent connections (run by make test)"
)
@pytest.mark.django_db(transaction=True)
def test_simultaneous_invitations_and_requests_open_exactly_one_grant(
    cardio, rival, cardio_host, rival_coordinator
):
    for user in (cardio_host, rival_coordinator):
        give_totp(user)  # once, before the threads log in with it
    barrier = threading.Barrier(10)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def act(user, url, data):
        try:
            client = Client()
            mfa_login(client, user)
            barrier.wait(timeout=30)
            statuses.append(client.post(url, data).status_code)
        except BaseException as error:  # report every failure, not only the first
            errors.append(error)
        finally:
            connections.close_all()

    jobs = [(cardio_host, _host_url("invite", cardio), {"provider": rival.slug})] * 5 + [
        (rival_coordinator, _coord_url("request", rival), {"show": cardio.slug})
    ] * 5
    threads = [threading.Thread(target=act, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(statuses) == [302] + [409] * 9
    assert ShowProviderGrant.objects.count() == 1
    assert _grant_actions().count() == 1


def test_the_host_withdraws_an_invitation_and_the_coordinator_declines_one(hc, rc, cardio, rival):
    hc.post(_host_url("invite", cardio), {"provider": rival.slug})
    first = ShowProviderGrant.objects.get()
    # The host cannot decline their own invitation, nor the coordinator withdraw it.
    response = hc.post(_host_url("decline", cardio, first))
    assert response.status_code == 409 and "withdraw it instead" in response.content.decode()
    response = rc.post(_coord_url("withdraw", rival, first))
    assert response.status_code == 409 and "decline it instead" in response.content.decode()
    assert hc.post(_host_url("withdraw", cardio, first)).status_code == 302
    hc.post(_host_url("invite", cardio), {"provider": rival.slug})
    second = ShowProviderGrant.objects.exclude(pk=first.pk).get()
    assert rc.post(_coord_url("decline", rival, second)).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (GrantStatus.WITHDRAWN, GrantStatus.DECLINED)
    assert [e.action for e in _grant_actions()] == [
        "grant.invited", "grant.withdrawn", "grant.invited", "grant.declined",
    ]  # fmt: skip
    # Nothing waits any more: revoking or accepting a closed one says what happened.
    response = rc.post(_coord_url("accept", rival, second))
    assert response.status_code == 409 and "was declined" in response.content.decode()


def test_a_too_long_message_is_refused_and_nothing_is_written(hc, rc, cardio, rival):
    response = hc.post(_host_url("invite", cardio), {"provider": rival.slug, "message": "x" * 501})
    assert response.status_code == 400 and "at most 500 characters" in response.content.decode()
    response = rc.post(_coord_url("request", rival), {"show": cardio.slug, "message": "x" * 501})
    assert response.status_code == 400 and "at most 500 characters" in response.content.decode()
    assert ShowProviderGrant.objects.count() == 0 and not _grant_actions().exists()


def test_the_demo_show_invites_the_demo_provider_once(cardio, cardio_host, rival, rival_coordinator):
    from credits.demo import seed_demo_grant

    first = seed_demo_grant(show=cardio, provider=rival, coordinator=rival_coordinator)
    again = seed_demo_grant(show=cardio, provider=rival, coordinator=rival_coordinator)
    assert first.pk == again.pk and again.status == GrantStatus.ACTIVE
    assert [(e.action, e.actor) for e in _grant_actions()] == [
        ("grant.invited", cardio_host),
        ("grant.accepted", rival_coordinator),
    ]
