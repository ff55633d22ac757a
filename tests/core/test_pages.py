"""The base layout, error pages, static files and demo data, as a visitor meets them."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from credits.models import Provider, ProviderCoordinator
from episodes.models import Show


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"])
def test_public_pages_use_our_layout(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<main id="main"' in body
    assert 'aria-label="Main"' in body
    assert "Skip to content" in body
    assert "/static/css/site.css" in body


@pytest.mark.django_db
def test_nothing_is_loaded_from_another_site(client, learner):
    client.force_login(learner)
    for url in [
        "/",
        "/accounts/signup/",
        reverse("accounts:profile"),
        reverse("credits:my_learning"),
    ]:
        body = client.get(url).content.decode()
        remote = re.findall(
            r'<(?:script|link|img|iframe|source|audio|video)\b[^>]*(?:src|href)="(?:https?:)?//',
            body,
        )
        assert remote == [], (url, remote)
        assert "@import" not in body


@pytest.mark.django_db
def test_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


@pytest.mark.django_db
def test_friendly_500(client):
    from django.template.loader import render_to_string

    body = render_to_string("500.html")
    assert "Something went wrong on our side" in body
    assert "Your records are safe" in body


def test_stylesheet_is_small_and_served_by_whitenoise(client, db):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    body = b"".join(response.streaming_content)
    assert 1_000 < len(body) < 16_000
    assert b"url(http" not in body and b"@import" not in body
    assert b":focus-visible" in body


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_makes_every_role():
    call_command("seed_demo")
    counts = (
        User.objects.count(),
        Provider.objects.count(),
        Show.objects.count(),
        ProviderCoordinator.objects.count(),
    )
    call_command("seed_demo")
    assert (
        User.objects.count(),
        Provider.objects.count(),
        Show.objects.count(),
        ProviderCoordinator.objects.count(),
    ) == counts
    learner = User.objects.get(email="learner@example.com")
    assert learner.profile.profile_is_complete_for_credit
    assert User.objects.get(email="host@example.com").hosted_shows.exists()
    assert User.objects.get(email="coordinator@example.com").coordinated_providers.exists()
    # The audience demo: a download history the dashboard can show, and the learner's private feed.
    from episodes.models import DailyEpisodeDownloads, DownloadRequest, PersonalFeed

    show = Show.objects.get(slug="airway-rounds")
    requests = DownloadRequest.objects.filter(episode__show=show)
    assert requests.filter(is_bot=True).exists() and requests.filter(is_bot=False).exists()
    assert len(set(requests.exclude(app="").values_list("app", flat=True))) >= 3
    assert DailyEpisodeDownloads.objects.filter(episode__show=show).exists()
    assert PersonalFeed.objects.filter(user=learner, show=show, revoked_at__isnull=True).count() == 1
    # The demo activity is published, registered for ABA and ABIM MOC in its version, offers ANCC and
    # ACPE credit besides AMA (its provider is jointly accredited), and is ready for the PARS activity
    # file; demo_info says where the PARS files are and how the nurse and pharmacist log in
    # (tests/credits/test_demo_credit_types.py has the details).
    from credits.models import Activity

    activity = Activity.objects.get(episode__slug="pocus-for-the-airway")
    assert activity.status == "published" and activity.pars_activity_id
    assert activity.provider.joint_accreditation
    assert [m["board"] for m in activity.current_version.content["moc"]] == ["ABA", "ABIM"]
    assert [c["kind"] for c in activity.current_version.content["credits"]] == ["acpe", "ancc"]
    assert User.objects.filter(email__in=["nurse@example.com", "pharmacist@example.com"]).count() == 2
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    assert "PARS activity file" in out.getvalue() and "PARS learner file" in out.getvalue()
    assert "nurse@example.com" in out.getvalue() and "pharmacist@example.com" in out.getvalue()


@pytest.mark.django_db
@override_settings(PODCASTCME_DEMO_ALLOWED=False)
def test_seed_demo_refuses_without_the_development_flag():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="refused in production"):
        call_command("seed_demo")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_times_are_shown_in_the_viewers_time_zone(client, learner):
    import datetime

    from django.utils import timezone

    learner.time_zone = "Asia/Tokyo"
    learner.save()
    profile = learner.profile
    profile.board_sharing_consent = True
    profile.board_sharing_consent_at = datetime.datetime(2026, 1, 1, 0, 30, tzinfo=datetime.UTC)
    profile.save()
    client.force_login(learner)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "January 1, 2026, 9:30 a.m." in body  # 00:30 UTC is 09:30 in Tokyo
    # The zone is the request's only: afterwards the default is back.
    assert timezone.get_current_timezone_name() == "UTC"
    learner.time_zone = "America/Los_Angeles"
    learner.save()
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "December 31, 2025, 4:30 p.m." in body
