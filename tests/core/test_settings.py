"""Production settings refuse unsafe configurations; `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Jx9-QpL2vR8sT1uW4yZ7aB0cD3eF6gH9iJ2kL5mN8oP1qR4sT7uV0wX3yZ6aB9cD2e"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "podcastcme.settings.prod",
            # Production also needs a two-factor encryption key (tests/accounts/test_mfa_secrets.py).
            "PODCASTCME_MFA_ENCRYPTION_KEY": "hCDzb7bS3MkTeBNSMPLhwbBR2upNZ9JeDNRAMq1nn5Y=",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", ALLOWED_HOSTS="cme.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("key", ["short", "dev-only-insecure-key-never-use-in-production-at-all-ever"])
def test_production_refuses_a_weak_or_development_secret_key(key):
    result = _manage("check", SECRET_KEY=key, ALLOWED_HOSTS="cme.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "a" * 60,  # long, one letter
        "ab" * 30,
        "0123456789" * 6,  # ten distinct characters, repeated
        "abcdefghijklmnopqrstuvwxyz0123456789" * 2,  # many distinct characters, but a pattern
        "django-insecure-" + "x7Kp2Qw9Lm4Rt6Yv8Zn3Bc5Df1Gh0Jk-_sEaUiOo",
        "test-" + "x7Kp2Qw9Lm4Rt6Yv8Zn3Bc5Df1Gh0Jk-_sEaUiOoPlMnBvCxZaQwErTy",
    ],
    ids=["one-letter", "two-letters", "ten-digits", "alphabet-twice", "django-insecure", "test-prefix"],
)
def test_production_refuses_a_long_key_that_is_not_random(key):
    result = _manage("check", SECRET_KEY=key, ALLOWED_HOSTS="cme.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert key not in result.stderr + result.stdout  # the key itself is never printed


def test_production_accepts_generated_keys():
    import secrets

    from django.core.management.utils import get_random_secret_key

    for key in (secrets.token_urlsafe(64), get_random_secret_key(), STRONG_KEY):
        result = _manage("check", SECRET_KEY=key, ALLOWED_HOSTS="cme.example.org")
        assert "SECRET_KEY" not in result.stderr, result.stderr
        assert result.returncode == 0, result.stderr


def test_database_connections_are_checked_before_reuse():
    """A connection kept across a database restart is tested and replaced, not used for a 500."""
    from django.conf import settings

    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_check_deploy_passes_at_warning_level():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="cme.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_seed_demo_is_refused_with_production_settings():
    result = _manage("seed_demo", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="cme.example.org")
    assert result.returncode != 0
    assert "refused in production" in result.stderr


def test_database_url_selects_the_database():
    code = (
        "from django.conf import settings; db = settings.DATABASES['default']; "
        "print(db['ENGINE'], db['NAME'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "podcastcme.settings.dev",
        "DATABASE_URL": "postgres://u:p@db.internal:5432/cme",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.stdout.split() == ["django.db.backends.postgresql", "cme"]
