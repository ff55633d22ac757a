"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit in its own
Django project, run in a second process by testkit/oidc.py (see there). Nothing here imports
podcastcme: what goes over the wire (discovery, authorization with PKCE, tokens, RS256-signed ID
tokens, JWKS, userinfo) is built by django-oauth-toolkit, so a mistake on our side cannot hide
behind the same mistake on the far end."""
