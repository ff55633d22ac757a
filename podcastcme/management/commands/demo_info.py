"""Print where to look and how to log in after `make run` has seeded the demo."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from accounts.demo import (
    DEMO_ADMIN,
    DEMO_COORDINATOR,
    DEMO_HOST,
    DEMO_INSTITUTION_ADMIN,
    DEMO_LEARNER,
    DEMO_NURSE,
    DEMO_PASSWORD,
    DEMO_PHARMACIST,
    DEMO_TOTP_SECRET,
)
from api.demo import DEMO_API_TOKEN
from credits.certificates import verification_url
from credits.demo import DEMO_SECOND_ACTIVITY_EPISODE
from credits.models import Activity, Certificate, CreditClaim
from episodes.demo import DEMO_SHOW_SLUG
from episodes.models import PersonalFeed, Show, Topic
from episodes.personal_feeds import personal_feed_url
from fediverse.keys import handle as fediverse_handle


class Command(BaseCommand):
    help = "Print the site's URLs and the demo logins."

    def handle(self, *args, **options):
        site = settings.SITE_URL
        lines = [
            "",
            "podcastcme is starting at " + site + "/",
            "",
            "  Home (shows)            " + site + "/",
            "  Sign up                 " + site + "/accounts/signup/",
            "  Log in                  " + site + "/accounts/login/",
            "  Learner profile         " + site + "/account/profile/",
            "  My learning             " + site + "/learning/",
            "  Host pages              " + site + "/host/",
            "  Coordinator pages       " + site + "/coordinator/",
            "  Admin                   " + site + "/admin/",
        ]
        for label, url in self.extra_urls(site):
            lines.append(f"  {label:<24}{url}")
        logins = [
            ("learner", DEMO_LEARNER, "MD: AMA credit, ABA and ABIM MOC"),
            ("nurse", DEMO_NURSE, "RN, Florida licence: ANCC contact hours, CE Broker"),
            ("pharmacist", DEMO_PHARMACIST, "PharmD, NABP e-Profile ID: ACPE credit, CPE Monitor"),
            ("host", DEMO_HOST, "two-factor required"),
            ("coordinator", DEMO_COORDINATOR, "two-factor required"),
            ("admin", DEMO_ADMIN, "two-factor required"),
            ("hospital", DEMO_INSTITUTION_ADMIN, "Mercy General's seats and members; two-factor required"),
        ]
        width = max(len(email) for _role, email, _note in logins)
        lines += ["", f"Demo logins (password for all: {DEMO_PASSWORD}):"]
        lines += [f"  {role:<14}{email:<{width}} ({note})" for role, email, note in logins]
        lines += [
            "",
            "Two-factor code for host, coordinator, admin and hospital: run",
            "  .venv/bin/python manage.py demo_totp",
            f"or add the secret {DEMO_TOTP_SECRET} to an authenticator app.",
            "Emails (verification, password reset) are printed in this terminal.",
            "",
        ]
        claimable = self.claimable_activity()
        if claimable is not None:
            lines[-1:-1] = [
                f"To try the learner's path, log in as {DEMO_LEARNER} and claim the credit of",
                f"  {claimable.title}",
                f"  {site}{claimable.episode.get_absolute_url()}",
                f"({DEMO_LEARNER} has not claimed it yet: listen, take the post-test, evaluate, claim.)",
            ]
        self.stdout.write("\n".join(lines))

    def claimable_activity(self) -> Activity | None:
        """The demo activity the demo learner has not claimed (seed_demo_second_activity)."""
        activity = (
            Activity.objects.filter(
                episode__slug=DEMO_SECOND_ACTIVITY_EPISODE, status=Activity.Status.PUBLISHED
            )
            .select_related("episode__show")
            .first()
        )
        if (
            activity is None
            or CreditClaim.objects.filter(activity=activity, learner__email=DEMO_LEARNER).exists()
        ):
            return None
        return activity

    def extra_urls(self, site: str) -> list[tuple[str, str]]:
        """Demo content added by later features (feeds, activities, certificates)."""
        urls = []
        show = Show.objects.filter(slug=DEMO_SHOW_SLUG).first() or Show.objects.order_by("pk").first()
        if show is not None:
            urls.append(("Demo show", site + show.get_absolute_url()))
            urls.append(("Demo show feed", site + show.get_feed_url()))
            urls.append(("Fediverse", f"{fediverse_handle(show)} (search it in Mastodon)"))
        topic = Topic.objects.filter(slug="pocus").first()
        if topic is not None:
            urls.append(("#POCUS, every show", site + reverse("episodes:topic_feed", args=[topic.slug])))
        activity = (
            Activity.objects.filter(episode__show=show)
            .select_related("episode__show", "provider")
            .order_by("pk")
            .first()
        )
        if activity is not None:
            urls.append(("Demo CME activity", site + activity.episode.get_absolute_url()))
            claimable = self.claimable_activity()
            if claimable is not None:
                urls.append(("CME activity to claim", site + claimable.episode.get_absolute_url()))
                # Its embeddable player (docs/embedding.md: the iframe snippet, oEmbed at /oembed?url=page).
                urls.append(("Embed player", site + reverse("episodes:embed", args=[claimable.episode_id])))
                urls.append(
                    (
                        "Embed example",
                        f'<iframe src="{site}{reverse("episodes:embed", args=[claimable.episode_id])}" '
                        'width="560" height="300" title="Episode player"></iframe>',
                    )
                )
            provider = activity.provider.slug
            # Coordinator pages (two-factor login): the ACCME PARS files and the activity's MOC boards.
            urls.append(
                ("PARS activity file", site + reverse("credits:coordinator_pars_activities", args=[provider]))
            )
            urls.append(("PARS learner file", site + reverse("credits:pars_learners", args=[provider])))
            urls.append(("MOC registration", site + reverse("credits:coordinator_moc", args=[activity.pk])))
            # Pharmacists' ACPE credit for NABP CPE Monitor (batches, the 60-day deadline), and
            # nurses' licences for CE Broker (the page shows the roster and downloads the .xls).
            urls.append(("CPE Monitor export", site + reverse("credits:cpe_monitor", args=[provider])))
            urls.append(("CE Broker roster", site + reverse("credits:cebroker", args=[activity.pk])))
            # Issue 18: the activity's follow-up schedule and its outcomes report (coordinator pages).
            plan_url = reverse("followups:coordinator_plan", args=[activity.pk])
            urls.append(("Follow-up set-up", site + plan_url))
            urls.append(("Outcomes report", site + reverse("followups:outcomes", args=[activity.pk])))
        certificate = (
            Certificate.objects.filter(claim__learner__email=DEMO_LEARNER)
            .exclude(status=Certificate.Status.PENDING)
            .select_related("claim__activity__provider")
            .first()
        )
        if certificate is not None:
            urls.append(("Demo certificate", verification_url(certificate)))
        if show is not None:
            urls.append(("Host analytics", site + reverse("episodes:host_show_analytics", args=[show.slug])))
            feed = PersonalFeed.objects.filter(
                user__email=DEMO_LEARNER, show=show, revoked_at__isnull=True
            ).first()
            feed_url = personal_feed_url(feed) if feed is not None else None
            if feed_url:
                urls.append(("Learner's private feed", feed_url))
        # The public API (issue 18): its schema and docs; the demo learner's read-only token.
        urls.append(("API index (JSON)", site + "/api/v1/"))
        urls.append(("API schema (OpenAPI)", site + "/api/v1/openapi.json"))
        urls.append(("API docs", site + "/api/v1/docs"))
        urls.append(
            (
                "API demo call",
                f'curl -H "Authorization: Bearer {DEMO_API_TOKEN}" {site}/api/v1/me/certificates',
            ),
        )
        urls.append(("API tokens (yours)", site + reverse("api:tokens")))
        # Institutions (issue 18): the hospital admin's page and the learner's institutions.
        urls.append(("Institution admin", site + reverse("institutions:admin", args=["mercy-general"])))
        urls.append(("Your institutions", site + reverse("institutions:mine")))
        return urls
