"""URL configuration: public pages, accounts (allauth + ours), host and coordinator areas, admin."""

from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import urls as accounts_urls
from accounts import views as account_views
from accounts import views_admin as admin_login_views
from billing import urls as billing_urls
from credits import urls as credits_urls
from episodes.views import public as episode_views

from . import health, views_corrections, views_deletion, views_pages

admin.site.site_header = "podcastcme administration"
admin.site.site_title = "podcastcme"


class FaviconRedirectView(RedirectView):
    """/favicon.ico (browsers ask for it unprompted): the SVG icon under STATIC_URL, read per request."""

    def get_redirect_url(self, *args, **kwargs) -> str:
        return settings.STATIC_URL + "img/favicon.svg"


urlpatterns = [
    path("", episode_views.home, name="home"),
    path("", include("episodes.urls")),
    # credits' pages, with the claim page that billing serves (it may take a payment first)
    path("", include(([*credits_urls.urlpatterns, *billing_urls.credits_urlpatterns], "credits"))),
    path("billing/", include("billing.urls")),
    # Discussion under episodes (comments, references, corrections) and ActivityPub (WebFinger at
    # /.well-known/webfinger, actors, inboxes): each app's URLs carry their own prefixes.
    path("", include("discussion.urls")),
    # A host's corrections page: publishing one also tells a CME activity's coordinators (spans apps).
    path(
        "host/shows/<slug:slug>/episodes/<int:pk>/corrections/",
        views_corrections.episode_corrections_page,
        name="discussion_correction_new",
    ),
    path("", include("fediverse.urls")),
    # Issue 18: follow-ups and outcomes, institutions (seats, SSO), the public API and webhooks.
    path("", include("followups.urls")),
    path("", include("institutions.urls")),
    path("", include("api.urls")),
    path("", include("webhooks.urls")),
    path(
        "accounts/confirm-email/<str:key>/",
        account_views.ConfirmEmailView.as_view(),
        name="account_confirm_email",
    ),
    path("accounts/", include("allauth.urls")),
    # The accounts pages, with the deletion page served from here (deletion spans every app).
    path(
        "account/",
        include(
            (
                [*accounts_urls.urlpatterns, path("delete/", views_deletion.delete_account, name="delete")],
                "accounts",
            )
        ),
    ),
    # The admin has no login of its own: allauth's, with its rate limits and TOTP stage.
    path("admin/login/", admin_login_views.admin_login),
    path("admin/logout/", allauth_views.logout),
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="account_change_password"),
    ),
    path("admin/", admin.site.urls),
    path("favicon.ico", FaviconRedirectView.as_view()),
    path("privacy/", views_pages.privacy, name="privacy"),
    # Probes without a session are answered by podcastcme.health.HealthCheckMiddleware before this.
    path("healthz", health.healthz_view, name="healthz"),
    path("healthz/", health.healthz_view),
]

# No /media/ route, even in development: every stored file (audio, artwork, certificates, learners'
# uploads) is served by a view that checks who may see it.
