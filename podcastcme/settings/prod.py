"""Production settings: refuse to start without a real secret key and allowed hosts."""

from django.core.exceptions import ImproperlyConfigured

from accounts.mfa_encryption import parse_keys as parse_mfa_keys

from ..secret_key import secret_key_problem
from .base import *  # noqa: F403
from .base import SECRET_KEY, env, env_bool

DEBUG = False

_key_problem = secret_key_problem(SECRET_KEY)
if _key_problem is not None:
    # Sessions, password-reset links and signed download links are only as strong as this key.
    raise ImproperlyConfigured(
        f"SECRET_KEY must be set to a long random value in production, and {_key_problem} "
        '(python -c "import secrets; print(secrets.token_urlsafe(64))").'
    )
if not ALLOWED_HOSTS:  # noqa: F405
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's host names in production.")
try:
    # Two-factor secrets are encrypted with these keys; a key derived from SECRET_KEY is for dev only.
    parse_mfa_keys(PODCASTCME_MFA_ENCRYPTION_KEY)  # noqa: F405
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
if 0 < len(PODCASTCME_METRICS_TOKEN) < 32:  # noqa: F405
    # Anyone holding it reads the site's figures: as random as the health token should be.
    raise ImproperlyConfigured(
        "PODCASTCME_METRICS_TOKEN must be at least 32 random characters "
        '(python -c "import secrets; print(secrets.token_urlsafe(32))"), or empty to switch metrics off.'
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000") or 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PODCASTCME_DEMO_ALLOWED = False
