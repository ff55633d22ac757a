"""Single sign-on URLs (institutions/views_sso.py, docs/sso.md).

The last two are allauth's own OpenID Connect paths (/accounts/oidc/<provider_id>/login/ and
.../login/callback/, the redirect URI institutions register): podcastcme/urls.py includes these
before allauth's, so they are served here, by views that add the institutions' checks, and there is
no second, laxer way through allauth's views."""

from django.urls import path

from . import views_sso

urlpatterns = [
    path("institutions/sign-in/", views_sso.sso_find, name="sso_find"),
    path("institutions/<slug:slug>/sign-in/", views_sso.sso_sign_in, name="sso_sign_in"),
    path("institutions/<slug:slug>/sign-in/done/", views_sso.sso_done, name="sso_done"),
    path("institutions/<slug:slug>/sso/", views_sso.sso_settings, name="sso_settings"),
    path("accounts/oidc/<str:provider_id>/login/", views_sso.oidc_login, name="oidc_login"),
    path("accounts/oidc/<str:provider_id>/login/callback/", views_sso.oidc_callback, name="oidc_callback"),
]
