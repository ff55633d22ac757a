"""The site's one outgoing request (episodes/pinned_http.py): the name resolved once, every address
checked, the connection made to a checked address (DNS rebinding cannot move it), no redirect
followed unless asked, a size limit, a per-step timeout and a total deadline.

Real servers on 127.0.0.1; ``socket.getaddrinfo`` is replaced where a test needs a name to answer
something else, and ``socket.socket.connect`` where a test must see where a connection goes without
reaching the internet."""

import socket
import time

import pytest

from episodes import pinned_http
from testkit.dns import PUBLIC_ADDRESS, intercepted_connects, scripted_getaddrinfo
from testkit.loopback import LoopbackServer, QuietHandler
from testkit.servers import free_port

PUBLIC = PUBLIC_ADDRESS


@pytest.fixture
def server():
    seen: list[dict] = []

    class Handler(QuietHandler):
        def do_GET(self):
            seen.append({"path": self.path, "host": self.headers["Host"]})
            if self.path in {"/redirect", "/loop"}:
                self.send_response(302)
                self.send_header("Location", "/final" if self.path == "/redirect" else "/loop")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path == "/big":
                self.send_response(200)
                self.send_header("Content-Length", "5000")
                self.end_headers()
                self.wfile.write(b"x" * 5000)
                return
            if self.path == "/big-unannounced":
                self.send_response(200)
                self.end_headers()  # no Content-Length: the body runs until the connection closes
                self.wfile.write(b"x" * 5000)
                self.close_connection = True
                return
            if self.path == "/drip":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            body = b"hello"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    loopback = LoopbackServer(Handler)
    loopback.seen = seen
    yield loopback
    loopback.stop()


def test_a_name_that_rebinds_to_loopback_after_the_check_never_reaches_loopback(server, monkeypatch):
    # The name answers a public address to the check and 127.0.0.1 to any later look-up: a client
    # that resolves again to connect (requests, urllib) would reach the server on loopback.
    resolver = scripted_getaddrinfo(PUBLIC, "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    dialled = intercepted_connects(monkeypatch)
    url = f"http://rebind.example:{server.port}/secret"
    with pytest.raises(pinned_http.ConnectionFailed):
        pinned_http.request("GET", url, timeout=2, limit=1000, allow_loopback=False)
    assert resolver.calls == ["rebind.example"]  # resolved once
    assert dialled == [(PUBLIC, server.port)]  # the checked address, nothing else
    assert server.seen == []


def test_a_name_that_answers_loopback_first_is_refused_before_any_connection(server, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", scripted_getaddrinfo("127.0.0.1", PUBLIC))
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("no connection may be made"))
    with pytest.raises(pinned_http.AddressRefused) as refused:
        pinned_http.request(
            "GET", f"http://rebind.example:{server.port}/", timeout=2, limit=1000, allow_loopback=False
        )
    assert (refused.value.host, refused.value.address, refused.value.kind) == (
        "rebind.example",
        "127.0.0.1",
        "loopback",
    )
    assert server.seen == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("fc00::1", "private"),
    ],
)
def test_every_non_public_address_is_refused(monkeypatch, address, kind):
    monkeypatch.setattr(socket, "getaddrinfo", scripted_getaddrinfo(address))
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("no connection may be made"))
    # The tests' loopback opt-in covers plain loopback only, never one hidden in an IPv6 form.
    allow = address.startswith(("::ffff:", "2002:"))
    with pytest.raises(pinned_http.AddressRefused) as refused:
        pinned_http.request("GET", "http://inside.example/", timeout=1, limit=10, allow_loopback=allow)
    assert (refused.value.address, refused.value.kind) == (address, kind)


def test_one_private_address_among_public_ones_refuses_the_host(monkeypatch):
    def mixed(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(pinned_http.AddressRefused, match="10.0.0.5, a private address"):
        pinned_http.vetted_addresses("https://mixed.example/", allow_loopback=False)


def test_the_checked_addresses_are_tried_in_order_and_the_host_header_is_the_urls(server, monkeypatch):
    closed = free_port()

    def two(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", closed)),  # refuses
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two)
    with pinned_http.PinnedRequest(
        "GET", f"http://idp.example:{server.port}/hello", timeout=2, allow_loopback=True
    ) as pinned:
        response = pinned.open()
        assert (response.status, pinned.read_body(100)) == (200, b"hello")
        assert pinned.address == (socket.AF_INET, ("127.0.0.1", server.port))
    assert server.seen == [{"path": "/hello", "host": f"idp.example:{server.port}"}]


def test_redirects_are_answers_unless_asked_and_each_hop_is_checked(server, monkeypatch):
    answer = pinned_http.request("GET", server.url("/redirect"), timeout=2, limit=100, allow_loopback=True)
    assert (answer.status, answer.headers["Location"]) == (302, "/final")
    assert [s["path"] for s in server.seen] == ["/redirect"]
    followed = pinned_http.request(
        "GET", server.url("/redirect"), timeout=2, limit=100, allow_loopback=True, max_redirects=1
    )
    assert (followed.status, followed.body, followed.url) == (200, b"hello", server.url("/final"))
    assert followed.redirects == [(302, server.url("/redirect"), server.url("/final"))]
    with pytest.raises(pinned_http.TooManyRedirects):
        pinned_http.request(
            "GET", server.url("/loop"), timeout=2, limit=100, allow_loopback=True, max_redirects=2
        )
    # A hop into a private address is refused like a first request.
    resolver = scripted_getaddrinfo("127.0.0.1", "10.0.0.9")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(pinned_http.AddressRefused, match="10.0.0.9"):
        pinned_http.request(
            "GET", server.url("/redirect"), timeout=2, limit=100, allow_loopback=True, max_redirects=1
        )


def test_a_body_larger_than_the_limit_is_refused_announced_or_not(server):
    for path in ("/big", "/big-unannounced"):
        with pytest.raises(pinned_http.TooLarge):
            pinned_http.request("GET", server.url(path), timeout=2, limit=1000, allow_loopback=True)
    answer = pinned_http.request("GET", server.url("/big"), timeout=2, limit=5000, allow_loopback=True)
    assert len(answer.body) == 5000


def test_a_dripping_server_is_cut_off_at_the_total_deadline(server):
    # Each byte comes within the per-read timeout; only the total deadline stops it.
    started = time.monotonic()
    with pytest.raises(pinned_http.DeadlineExceeded) as cut:
        pinned_http.request(
            "GET", server.url("/drip"), timeout=1, deadline=0.8, limit=1000, allow_loopback=True
        )
    assert time.monotonic() - started < 2
    assert not cut.value.resolving


def test_a_silent_name_server_costs_the_deadline_only(monkeypatch):
    def silent(*args, **kwargs):
        time.sleep(1.5)
        raise OSError("no answer")

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    started = time.monotonic()
    with pytest.raises(pinned_http.DeadlineExceeded) as cut:
        pinned_http.request("GET", "https://slow-dns.example/", timeout=0.2, limit=10, allow_loopback=False)
    assert time.monotonic() - started < 1.0
    assert cut.value.resolving


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("http:///x", "no_host"),
        ("http://example.org:99999/", "invalid"),
        ("http://example.org:0/", "invalid"),  # not quietly taken as the default port
        ("https://127.0.0.1:0/", "invalid"),
    ],
)
def test_urls_that_are_not_http_with_a_host_are_refused(url, reason, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("no look-up"))
    with pytest.raises(pinned_http.BadURL) as refused:
        pinned_http.request("GET", url, timeout=1, limit=10, allow_loopback=True)
    assert refused.value.reason == reason
