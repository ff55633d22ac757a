"""Behind nginx, the client address comes from X-Forwarded-For, trusting only our own proxies."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from podcastcme.middleware import ProxiedClientAddressMiddleware


def _seen(meta: dict) -> str:
    captured = {}

    def view(request):
        captured["ip"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    ProxiedClientAddressMiddleware(view)(RequestFactory().get("/", **meta))
    return captured["ip"]


@pytest.mark.parametrize(
    ("trusted", "header", "expected"),
    [
        (0, "203.0.113.7", "127.0.0.1"),  # no proxy configured: the header is ignored
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own claim on the left is ignored
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-ip", "127.0.0.1"),
        (2, "203.0.113.7", "127.0.0.1"),  # fewer hops than proxies: not trusted
        (1, "", "127.0.0.1"),
    ],
)
def test_client_address_behind_proxies(trusted, header, expected):
    with override_settings(PODCASTCME_TRUSTED_PROXIES=trusted):
        meta = {"REMOTE_ADDR": "127.0.0.1"}
        if header:
            meta["HTTP_X_FORWARDED_FOR"] = header
        assert _seen(meta) == expected
