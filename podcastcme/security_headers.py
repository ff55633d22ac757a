"""Security headers beyond Django's own: the Content-Security-Policy and the Permissions-Policy."""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


def checkout_origin() -> str | None:
    """Where a learner's browser is sent to pay (Stripe Checkout), or None when fees are off.

    A form whose POST answers with a redirect elsewhere is checked against ``form-action`` by
    Chromium, so the claim form may lead there. Local fakes of Stripe serve Checkout themselves.
    """
    if not settings.STRIPE_SECRET_KEY:
        return None
    if settings.STRIPE_API_BASE:
        parts = urlsplit(settings.STRIPE_API_BASE)
        return f"{parts.scheme}://{parts.netloc}"
    return "https://checkout.stripe.com"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with Stripe Checkout allowed as a form target while fees are on."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = checkout_origin()
        if origin is not None:
            update = dict(parts.update or {})
            # Kept: a view's own form targets (an institution's sign-in page names its IdP).
            update["form-action"] = [*update.get("form-action", []), origin]
            parts.update = update
        return parts


class PermissionsPolicyMiddleware:
    """Switch off browser features no page uses (camera, microphone, geolocation, payment...).

    The policy is ``PODCASTCME_PERMISSIONS_POLICY``: feature name -> allowed origins ([] for none,
    ["self"] for this site). A view that sets the header itself keeps its own.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = permissions_policy_header()
        return response


def permissions_policy_header() -> str:
    parts = []
    for feature, allowed in settings.PODCASTCME_PERMISSIONS_POLICY.items():
        origins = " ".join("self" if origin == "self" else f'"{origin}"' for origin in allowed)
        parts.append(f"{feature}=({origins})")
    return ", ".join(parts)
