"""Claims for the ID token and userinfo: the test user's email and email_verified as the test set them."""

from oauth2_provider.oauth2_validators import OAuth2Validator

from . import state


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = {"sub": "openid", "email": "email", "email_verified": "email", "name": "profile"}

    def get_additional_claims(self, request):
        user = request.user
        configured = state.claims.get(user.username, {})
        claims = {
            "email": configured.get("email", user.email),
            "email_verified": configured.get("email_verified", True),
            "name": configured.get("name", user.get_full_name() or user.username),
        }
        return {key: value for key, value in claims.items() if value is not None}

    def get_oidc_issuer_endpoint(self, request):
        return state.overrides["token_issuer"] or super().get_oidc_issuer_endpoint(request)
