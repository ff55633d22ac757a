"""Absolute URLs in answers: the site's address (SITE_URL) and the path, read when answering."""

from django.conf import settings
from django.urls import reverse


def site(path: str) -> str:
    return settings.SITE_URL + path


def api_url(name: str, *args: object) -> str:
    return site(reverse(f"api:api-v1:{name}", args=args))
