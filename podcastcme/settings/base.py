"""Settings shared by every environment; everything secret or site-specific comes from the environment."""

import os
import re
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@overload
def env(name: str) -> str | None: ...
@overload
def env(name: str, default: str) -> str: ...
def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    raw = env(name, default) or ""
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    raw = env(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_urls(name: str) -> list[str]:
    """Comma-separated absolute http(s) URLs; anything else stops start-up, naming the variable."""
    urls = env_list(name)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", url):
            raise ImproperlyConfigured(f"{name}: {url!r} is not an http:// or https:// URL")
    return urls


def env_seconds(name: str, default: float, minimum: float = 0) -> float:
    raw = env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not minimum <= value < float("inf"):
        raise ImproperlyConfigured(f"{name} must be a number of seconds, at least {minimum:g}, not {raw!r}")
    return value


SECRET_KEY = env("SECRET_KEY", "")  # empty: refused in production, set by dev.py and test.py
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public address of the site: used for absolute URLs in feeds, emails and certificates.
SITE_URL = (env("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",  # institutions' single sign-on (institutions/sso.py)
    "django_tasks",
    "django_tasks_db",
    "audit",
    "accounts",
    "episodes",
    "credits",
    "discussion",
    "billing",
    "fediverse",
    "followups",
    "institutions",
    "api",
    "webhooks",
    "podcastcme",  # the top level's own management commands (task_worker)
]

MIDDLEWARE = [
    "podcastcme.middleware.ProxiedClientAddressMiddleware",
    # /healthz probes are answered here, before the HTTPS redirect, the host check and sessions.
    "podcastcme.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer (podcastcme/security_headers.py).
    "podcastcme.security_headers.ContentSecurityPolicyMiddleware",
    "podcastcme.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL character in the path, query string or form answers 400 (PostgreSQL refuses it in text).
    "podcastcme.nul_characters.RefuseNulCharactersMiddleware",
    # Feed polls and signed downloads are answered here, before sessions/auth/CSRF (podcastcme/middleware.py).
    "podcastcme.middleware.EarlyPublicViewsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # 413 for a body larger than its route allows, from the headers, before anything reads it
    # (CSRF's process_view and the views do); after auth so that its page has the visitor's menu.
    "podcastcme.limits.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.TimezoneMiddleware",
    "accounts.middleware.RequireMFAForRolesMiddleware",
]

ROOT_URLCONF = "podcastcme.urls"
WSGI_APPLICATION = "podcastcme.wsgi.application"
ASGI_APPLICATION = "podcastcme.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "podcastcme.navigation.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "0") or 0),
        # A kept connection is tested before a request reuses it, so one that a database restart
        # closed is replaced instead of answering that request with a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a writer commits; a busy timeout instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# A real cache backs allauth's rate limits; the database cache needs no extra service.
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "podcastcme_cache",
        # The checking pages keep their long lists in pages of 50 (credits/list_snapshot.py): 200
        # entries per list at 10,000 claims. Django's default (300 entries, then a third culled by
        # key order) would cull snapshots in use, and each view would check everything again.
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    }
}

# Built feeds: each worker keeps its own copy, checked against Show.content_changed_at on every hit,
# so a poll costs no cache read from the database.
CACHES["feeds"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "feeds",
    "OPTIONS": {"MAX_ENTRIES": 64},
}


def redis_caches(url: str) -> dict[str, dict[str, Any]]:
    """CACHES for several app nodes: one Redis for rate limits, sessions and built feeds.

    Short socket timeouts: with Redis down a request fails within a second or two instead of holding
    a worker (docs/shared-state.md). No "feeds" alias: the built feeds go to the shared default,
    rebuilt once across the cluster after a change (episodes/feeds.py).
    """
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "podcastcme",
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
        }
    }


# Several app nodes share their state in Redis when REDIS_URL is set (redis://host:6379/0);
# sessions are then cached in it in front of the database (a restart of Redis logs nobody out).
REDIS_URL = env("REDIS_URL", "") or ""
if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- django-allauth -----------------------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
# Sign-up asks only the email (issue 15): the password is optional (one field, typed once). Without
# one, the confirmation link signs the learner in and later logins use an emailed code (below); a
# password can be set later from the account page (allauth's password set).
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1"]
ACCOUNT_FORMS = {"signup": "accounts.forms_signup.SignupForm"}
# Login by an emailed code, offered on the login page to everyone. It is a first factor only: a host,
# coordinator or staff user with TOTP still passes the TOTP stage after it (docs/two-factor.md).
# Ten minutes to read the mail on a phone; three wrong tries end the code (a new one must be asked).
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
# Asking again who someone is (deleting the account, two-factor pages): the password, an emailed
# code (the only way for an account without a password) or the authenticator.
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "code", "mfa")
# Changing the address or setting a password asks again too when the session has not proven who it
# is in the last 5 minutes (a stolen or forgotten session must not take the account over).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
# The email link confirms when opened (no second "Confirm" page): a link key is single-purpose,
# confirming proves only that the mailbox got it, and it never logs in a browser by itself.
ACCOUNT_CONFIRM_EMAIL_ON_GET = True
# Confirming in the browser that signed up logs in and returns to where the learner was going
# (e.g. the post-test); allauth does this only for the session that made the sign-up. Another
# browser (a phone's mail app) is sent to the login page with the ``next`` the link carries
# (accounts/adapters.py get_email_confirmation_url), and from there to the post-test.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    # Emailed codes: asking for a login code (per address: the key is the email), and asking again
    # who someone is (password or code) while logged in.
    "request_login_code": "20/m/ip,3/m/key",
    "reauthenticate": "10/m/user",
}
# Discussion (discussion/services.py): (count, seconds) windows. A site member's comments, a remote
# actor's replies, a member's helpful marks given or taken back (each writes an audit row).
PODCASTCME_COMMENT_RATE_LIMITS = [(5, 10 * 60), (30, 24 * 60 * 60)]
PODCASTCME_REMOTE_REPLY_RATE_LIMITS = [(20, 60 * 60)]
PODCASTCME_HELPFUL_RATE_LIMITS = [(60, 60 * 60)]
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# False closes sign-up (existing accounts still log in): accounts/adapters.py.
ACCOUNT_SIGNUP_OPEN = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[podcastcme] "
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "podcastcme"
# TOTP secrets and recovery-code seeds are Fernet-encrypted at rest (accounts/mfa_encryption.py).
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
# Comma-separated Fernet keys, newest first; empty: derived from SECRET_KEY (prod refuses empty).
PODCASTCME_MFA_ENCRYPTION_KEY = env("PODCASTCME_MFA_ENCRYPTION_KEY", "")
# Paths that host, coordinator and staff users may reach only with MFA set up.
MFA_REQUIRED_PATH_PREFIXES = ("/host/", "/coordinator/", "/billing/coordinator/", "/admin/")

# --- Tasks (django-tasks API; the same as Django 6's django.tasks) -------------------------------
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- Email --------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before a silent mail server counts as down (the send is retried later: accounts/mail.py).
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10") or 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "podcastcme <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation and time --------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# One way of writing a date on every page: "November 29, 2026" (podcastcme/formats/en/formats.py).
FORMAT_MODULE_PATH = ["podcastcme.formats"]
USE_TZ = True
# Stored times are UTC; pages show them in the viewer's own time zone (profile), else this one.
TIME_ZONE = env("TIME_ZONE", "UTC")

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o644


# Object storage (docs/object-storage.md): with PODCASTCME_S3_BUCKET set, every stored file (audio,
# artwork, transcripts, certificates, learners' uploads) lives in that S3 bucket instead of MEDIA_ROOT.
# Nothing in it is public: the app decides access and redirects to a URL signed for a few minutes.
# Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), or boto3's own chain
# (an instance role). PODCASTCME_S3_ENDPOINT_URL for an S3-compatible server (path-style addressing).
def s3_media_storage(bucket: str, *, endpoint_url: str = "", region: str = "", prefix: str = "") -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "location": prefix.strip("/"),
            "default_acl": "private",  # never public-read, whatever the bucket's default
            "querystring_auth": True,  # url() signs; episodes/object_storage.py refuses otherwise
            "custom_domain": None,
            "file_overwrite": False,  # a new file never replaces another one with the same name
            "signature_version": "s3v4",
            "addressing_style": "path" if endpoint_url else None,
            "object_parameters": {"CacheControl": "private, no-store"},  # direct reads: never cached
        },
    }


PODCASTCME_S3_BUCKET = env("PODCASTCME_S3_BUCKET", "") or ""
if PODCASTCME_S3_BUCKET:
    STORAGES["default"] = s3_media_storage(
        PODCASTCME_S3_BUCKET,
        endpoint_url=env("PODCASTCME_S3_ENDPOINT_URL", "") or "",
        region=env("PODCASTCME_S3_REGION", "") or "",
        prefix=env("PODCASTCME_S3_PREFIX", "") or "",
    )
# How long a signed URL works, in seconds: audio and artwork (a player streaming an hour keeps
# seeking with the URL it was redirected to), and certificates and learners' uploads (one click).
PODCASTCME_S3_AUDIO_URL_SECONDS = int(env("PODCASTCME_S3_AUDIO_URL_SECONDS", "3600") or 3600)
PODCASTCME_S3_PRIVATE_URL_SECONDS = int(env("PODCASTCME_S3_PRIVATE_URL_SECONDS", "300") or 300)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    # Secrets in URLs (feed tokens, reset keys: podcastcme/log_redaction.py) never reach the log,
    # e.g. Django's "Not Found: /p/<token>/..." for a revoked personal feed.
    "filters": {"redact_secrets": {"()": "podcastcme.log_redaction.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step at INFO: one line per certificate is enough.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
# "text" (default: `make run`, the tests) or "json": one JSON object per line with the request's id
# and path (podcastcme/logging_json.py; the systemd units' environment file sets it).
LOG_FORMAT = env("LOG_FORMAT", "text")
if LOG_FORMAT == "json":
    LOGGING["formatters"] = {"json": {"()": "podcastcme.logging_json.JsonFormatter"}}
    LOGGING["handlers"]["console"]["formatter"] = "json"
    MIDDLEWARE.insert(1, "podcastcme.logging_json.RequestContextMiddleware")
elif LOG_FORMAT != "text":
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")

# --- Publishing ---------------------------------------------------------------------------------
# Largest episode upload, in bytes (1 GiB by default). Larger requests are answered 413 before
# their body is read. Uploads are streamed to a temporary file on disk, never held in memory.
PODCASTCME_MAX_UPLOAD_BYTES = int(env("PODCASTCME_MAX_UPLOAD_BYTES", str(1024**3)) or 1024**3)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR")
# Uploads on disk get a recognisable name (podcastcme-upload-*), so that `manage.py
# sweep_upload_temp` can remove those a killed worker left behind, and a full disk gives a clear 507.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "episodes.upload.PrefixedTemporaryFileUploadHandler",
]
# Largest request body, in bytes, for every route not named in PODCASTCME_BODY_LIMITS (forms, JSON,
# the Stripe webhook). A request that declares more is answered 413 from its headers, unread.
PODCASTCME_MAX_BODY_BYTES = int(env("PODCASTCME_MAX_BODY_BYTES", str(1024**2)) or 1024**2)
# The routes that take files, by URL name: their limit in bytes, or the name of the setting that
# holds it. Each is its largest file plus room for the form around it; nginx gets the same limits
# per location (docs/audio-delivery.md).
PODCASTCME_BODY_LIMITS: dict[str, int | str] = {
    "episodes:host_episode_upload": "PODCASTCME_MAX_UPLOAD_BYTES",  # the audio (1 GiB)
    "episodes:host_episode_edit": 40 * 1024**2,  # artwork 20 MB, transcript 10 MB, chapters 2 MB
    "episodes:host_show_create": 24 * 1024**2,  # artwork 20 MB
    "episodes:host_show_edit": 24 * 1024**2,
    "credits:external_create": 11 * 1024**2,  # a certificate (PDF or image) of 10 MB
    "credits:external_edit": 11 * 1024**2,
    # The admin's forms for the same files (audio belongs on the host page, which measures and tags it).
    "admin:episodes_show_add": 24 * 1024**2,
    "admin:episodes_show_change": 24 * 1024**2,
    "admin:episodes_episode_add": 40 * 1024**2,
    "admin:episodes_episode_change": 40 * 1024**2,
}
# When set (e.g. "/protected-media/"), audio and other media bytes are handed to nginx with
# X-Accel-Redirect: the app checks access, counts, and sets headers; nginx sends the bytes.
PODCASTCME_X_ACCEL_REDIRECT_PREFIX = env("PODCASTCME_X_ACCEL_REDIRECT_PREFIX", "") or ""
# Audio at the edge (docs/audio-delivery.md, deploy/nginx/): nginx sends public audio from a tree of
# links the app keeps in this folder (empty: off), and personal-feed audio from signed links that
# expire after PODCASTCME_EDGE_LINK_SECONDS (the key must equal the one in nginx's config; empty: off).
PODCASTCME_EDGE_AUDIO_ROOT = env("PODCASTCME_EDGE_AUDIO_ROOT", "") or ""
PODCASTCME_EDGE_SIGNING_KEY = env("PODCASTCME_EDGE_SIGNING_KEY", "") or ""
PODCASTCME_EDGE_PRIVATE_PREFIX = env("PODCASTCME_EDGE_PRIVATE_PREFIX", "/private-audio/") or "/private-audio/"
PODCASTCME_EDGE_LINK_SECONDS = int(env("PODCASTCME_EDGE_LINK_SECONDS", "60") or 60)
# Download counting (docs/download-counting.md); switched off only to measure its cost (bench_analytics).
PODCASTCME_COUNT_DOWNLOADS = env_bool("PODCASTCME_COUNT_DOWNLOADS", True)
# Seconds each process buffers audio requests before recording them in bulk (same rules, same
# order); 0 records each as it is served. A crashed process loses at most that much of the log.
PODCASTCME_COUNT_BUFFER_SECONDS = float(env("PODCASTCME_COUNT_BUFFER_SECONDS", "1") or 0)
# Seconds a worker answers feed polls from its built copy before checking the database for changes.
PODCASTCME_FEED_RECHECK_SECONDS = float(env("PODCASTCME_FEED_RECHECK_SECONDS", "2") or 0)
# How long podcast apps and proxies may reuse a feed before asking again (seconds).
PODCASTCME_FEED_MAX_AGE = int(env("PODCASTCME_FEED_MAX_AGE", "300") or 300)
# import_feed: the longest one download of a feed or artwork, and of one episode's audio, may take
# in all (seconds, across connect, redirects and body), however slowly the server sends.
PODCASTCME_IMPORT_DEADLINE_SECONDS = float(env("PODCASTCME_IMPORT_DEADLINE_SECONDS", "60") or 60)
PODCASTCME_IMPORT_AUDIO_DEADLINE_SECONDS = float(
    env("PODCASTCME_IMPORT_AUDIO_DEADLINE_SECONDS", "1800") or 1800
)
# import_feed fetches only public internet addresses. Tests (local servers) opt in to loopback;
# there is deliberately no environment variable for it.
PODCASTCME_IMPORT_ALLOW_LOOPBACK = False
# import_feed: the largest feed document it reads, in bytes (a feed of thousands of episodes stays
# well under 50 MiB).
PODCASTCME_IMPORT_MAX_FEED_BYTES = int(
    env("PODCASTCME_IMPORT_MAX_FEED_BYTES", str(50 * 1024**2)) or 50 * 1024**2
)

# --- Push updates (docs/push-updates.md) ---------------------------------------------------------
# When a public feed changes, episodes/push.py tells these WebSub hubs (POST hub.mode=publish) and
# podping endpoints (GET ?url=, podping.cloud's API) so apps fetch it at once instead of polling.
# Comma-separated URLs; empty (the default): no pings, and the feeds declare no hub or podping.
PODCASTCME_WEBSUB_HUBS = env_urls("PODCASTCME_WEBSUB_HUBS")
PODCASTCME_PODPING_URLS = env_urls("PODCASTCME_PODPING_URLS")
# The Authorization header podping.cloud asks of a publisher (one token from Podcast Index).
PODCASTCME_PODPING_TOKEN = env("PODCASTCME_PODPING_TOKEN", "") or ""
if PODCASTCME_PODPING_URLS and not re.fullmatch(r"[\x21-\x7e]+", PODCASTCME_PODPING_TOKEN):
    raise ImproperlyConfigured(
        "PODCASTCME_PODPING_URLS is set: PODCASTCME_PODPING_TOKEN must be the podping token "
        "(printable characters, no spaces)."
    )
# A burst of edits makes one ping this many seconds after the first (0: a ping per change).
PODCASTCME_PUSH_DEBOUNCE_SECONDS = env_seconds("PODCASTCME_PUSH_DEBOUNCE_SECONDS", 60)
# The longest a hub may take to answer one ping before it counts as down (retried later).
PODCASTCME_PUSH_TIMEOUT_SECONDS = env_seconds("PODCASTCME_PUSH_TIMEOUT_SECONDS", 5, minimum=0.1)

# --- Fediverse (ActivityPub, docs/fediverse.md) ---------------------------------------------------
# The longest one request to another server (an actor fetch, a delivery) may take (seconds).
PODCASTCME_FEDIVERSE_TIMEOUT_SECONDS = env_seconds("PODCASTCME_FEDIVERSE_TIMEOUT_SECONDS", 5, minimum=0.1)
# The largest JSON body read from another server or accepted by an inbox (bytes).
PODCASTCME_FEDIVERSE_MAX_BYTES = 256 * 1024
# Only public internet addresses are fetched or delivered to. Tests (a loopback peer) opt in;
# there is deliberately no environment variable for it.
PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK = False

# --- Security headers ---------------------------------------------------------------------------
# Content-Security-Policy (django-csp): scripts, styles, images and audio from this site only, and no
# inline code anywhere: scripts live in static/js/, styles in static/css/ (a page that ever needs an
# inline script gives it the nonce {{ request.csp_nonce }}). data: images are allowed for the QR
# code of the two-factor set-up. While fees are on, form-action also allows Stripe Checkout
# (podcastcme/security_headers.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy: browser features no page uses are off for the site and anything it embeds.
PODCASTCME_PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
} | {"fullscreen": ["self"], "picture-in-picture": ["self"]}

# --- Health check (/healthz, podcastcme/health.py) -------------------------------------------------
# The public answer is "ok" (200) or "unavailable" (503); this bearer token (or a staff login) shows
# each check as JSON. Empty: no token opens the details.
PODCASTCME_HEALTHZ_TOKEN = env("PODCASTCME_HEALTHZ_TOKEN", "") or ""
# A task due longer ago than this (seconds) means nobody works on the queue: /healthz says 503.
PODCASTCME_HEALTHZ_TASK_MAX_AGE_SECONDS = float(env("PODCASTCME_HEALTHZ_TASK_MAX_AGE_SECONDS", "900") or 900)

# --- Behind a reverse proxy ---------------------------------------------------------------------
# How many proxies (nginx, a load balancer) stand in front of the app and append to X-Forwarded-For.
# 0: REMOTE_ADDR is the client (development). Download de-duplication and rate limits need the real
# client address, so set this to 1 behind one nginx. Never more than the proxies you run: the left
# part of the header is whatever the client sent.
PODCASTCME_TRUSTED_PROXIES = int(env("PODCASTCME_TRUSTED_PROXIES", "0") or 0)

# --- Demo data -------------------------------------------------------------------------------
# seed_demo and demo_totp create and print known logins: only dev and test settings switch this on.
PODCASTCME_DEMO_ALLOWED = False

# --- Certificates and records -------------------------------------------------------------------
# Certificate paper: "letter" (US) or "A4"; always landscape.
PODCASTCME_CERTIFICATE_PAGE_SIZE = env("PODCASTCME_CERTIFICATE_PAGE_SIZE", "letter") or "letter"
# How long completion records, claims and certificates are kept after the activity (years).
PODCASTCME_RECORD_RETENTION_YEARS = int(env("PODCASTCME_RECORD_RETENTION_YEARS", "6") or 6)
# Where learners write about their data (the /privacy/ page); empty: only the providers' contacts.
PODCASTCME_PRIVACY_CONTACT_EMAIL = env("PODCASTCME_PRIVACY_CONTACT_EMAIL", "") or ""
# Seconds a worker trusts its check of a certificate download link (a revocation applies after it).
PODCASTCME_DOWNLOAD_RECHECK_SECONDS = float(env("PODCASTCME_DOWNLOAD_RECHECK_SECONDS", "2") or 0)
# Public certificate verification lookups allowed per client address and minute.
PODCASTCME_VERIFY_LOOKUPS_PER_MINUTE = int(env("PODCASTCME_VERIFY_LOOKUPS_PER_MINUTE", "30") or 30)

# --- Payments (Stripe) --------------------------------------------------------------------------
# Without a secret key, fees are off and every claim is free. Checkout is Stripe's hosted page (a
# redirect), so no publishable key and no Stripe.js are needed.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "") or ""
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "") or ""
# Only for tests and local fakes: where the Stripe client sends API calls (default: api.stripe.com).
STRIPE_API_BASE = env("STRIPE_API_BASE", "") or ""

# >>> issue18:followups
# --- Spaced follow-up and outcomes (followups/, docs/follow-up.md) -----------------------------------
# How long a sent follow-up's link stays open (days), and how many due follow-ups one sender
# transaction takes (`manage.py send_follow_ups`; the worker's sweep runs the same).
FOLLOW_UP_ANSWER_DAYS = 14
FOLLOW_UP_SEND_BATCH = 1000
# <<< issue18:followups

# >>> issue18:institutions
# --- Institutions: seats, invitations (institutions/, docs/institutions.md) --------------------------
INSTITUTIONS = {
    # An invitation link works this many days, once.
    "INVITATION_DAYS": int(env("INSTITUTIONS_INVITATION_DAYS", "14") or 14),
    # Addresses one invitation form may send to at once.
    "MAX_INVITATIONS_PER_SEND": 200,
    # Seats in one licence (one purchase or one staff grant); the price is capped by Stripe's too.
    "MAX_SEATS_PER_LICENCE": 5000,
    # How long a bought licence runs.
    "LICENCE_YEARS": 1,
}
# <<< issue18:institutions

# >>> issue18:sso
# --- Single sign-on: OpenID Connect through allauth (institutions/sso.py, docs/sso.md) ---------------
# Each institution's IdP is a SocialApp row (institutions/sso.py), never a setting. The adapter makes
# allauth's OpenID Connect provider strict (signature, issuer, nonce, PKCE, trusted addresses).
SOCIALACCOUNT_ADAPTER = "institutions.sso_adapter.SocialAccountAdapter"
# An IdP login signs in the existing account with the same address, and links it, only when the
# address is trusted: email_verified true AND at one of the institution's email domains (the
# adapter marks only those verified); anything else with a taken address is refused.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# A new account from an untrusted address must confirm it by mail first, like any sign-up.
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_AUTO_SIGNUP = True
# Access and refresh tokens are used once (userinfo) and never kept.
SOCIALACCOUNT_STORE_TOKENS = False
# Email sign-in stays: most learners have no institution.
SOCIALACCOUNT_ONLY = False
# The login page of a provider is reached by POST only (institutions/views_sso.py).
SOCIALACCOUNT_LOGIN_ON_GET = False
# Authorization code with PKCE (S256); institutions/sso_adapter.py insists on it whatever this says.
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
# Seconds each call to an IdP (discovery, token, keys, userinfo) may take.
SOCIALACCOUNT_REQUESTS_TIMEOUT = 5
# IdPs are reached only at https addresses on the public internet. Tests (a provider on loopback)
# opt in; there is deliberately no environment variable for it.
PODCASTCME_SSO_ALLOW_LOOPBACK = False
# <<< issue18:sso

# >>> issue18:api
# --- Public REST API (api/, docs/api.md) -------------------------------------------------------------
# django-ninja as an app only for its static files and templates: the API's docs page serves Swagger
# UI from this site (no CDN), so it runs under the Content-Security-Policy above.
INSTALLED_APPS = [*INSTALLED_APPS, "ninja"]
# The API tokens page passes the two-factor gate for hosts, coordinators and staff (learners have none).
# (The tuple above is typed by its four items; this one has five.)
MFA_REQUIRED_PATH_PREFIXES = (*MFA_REQUIRED_PATH_PREFIXES, "/account/api-tokens/")  # type: ignore[assignment]
# Items per page: ?limit= above this is refused (400), not cut.
PODCASTCME_API_MAX_PAGE_SIZE = int(env("PODCASTCME_API_MAX_PAGE_SIZE", "100") or 100)
# (requests, seconds) windows per user (all of a user's tokens share them), and per client address for
# calls without a token; 429 past one.
PODCASTCME_API_RATE_LIMITS: dict[str, list[tuple[int, int]]] = {
    "user": [(120, 60), (3000, 60 * 60)],
    "anonymous": [(60, 60), (1000, 60 * 60)],
}
# Active (not revoked, not expired) tokens one user may hold.
PODCASTCME_API_MAX_TOKENS_PER_USER = 20
# A token's "last used" is written at most this often (not on every call).
PODCASTCME_API_LAST_USED_SECONDS = 60
# <<< issue18:api

# >>> issue18:webhooks
# --- Outgoing webhooks (webhooks/, docs/webhooks.md) -------------------------------------------------
# The longest a receiver may take to accept the connection, and then to send each part of its
# answer (seconds); slower counts as a failed attempt (retried).
PODCASTCME_WEBHOOKS_TIMEOUT_SECONDS = env_seconds("PODCASTCME_WEBHOOKS_TIMEOUT_SECONDS", 10, minimum=0.05)
# The waits after each failed attempt (seconds): 1 min, 5 min, 30 min, 2 h, 6 h; after the last
# wait's attempt fails too, the delivery is given up (6 attempts over about 8.6 hours).
PODCASTCME_WEBHOOKS_RETRY_DELAYS = [60, 300, 1800, 7200, 21600]
# An endpoint whose deliveries are given up this many times in a row is disabled, and its owners
# are emailed (a delivery that succeeds resets the count).
PODCASTCME_WEBHOOKS_DISABLE_AFTER = 5
# Endpoint URLs must be https; True (tests) also accepts http. Under DEBUG http is accepted anyway
# (a receiver on the developer's machine).
PODCASTCME_WEBHOOKS_ALLOW_HTTP = False
# Only public internet addresses are delivered to. Tests (a loopback receiver) opt in; there is
# deliberately no environment variable for it.
PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False
# <<< issue18:webhooks

# --- Metrics (Prometheus; podcastcme/metrics.py, docs/deploy.md) ------------------------------------
# Set: /metrics answers this bearer token (and nothing else), and request, database and cache
# metrics are collected (podcastcme/metrics_settings.py). Empty: metrics off, nothing installed.
PODCASTCME_METRICS_TOKEN = env("PODCASTCME_METRICS_TOKEN", "") or ""
if PODCASTCME_METRICS_TOKEN:
    from podcastcme.metrics_settings import instrument as _instrument_metrics

    _instrument_metrics(
        installed_apps=INSTALLED_APPS, middleware=MIDDLEWARE, databases=DATABASES, caches=CACHES
    )
