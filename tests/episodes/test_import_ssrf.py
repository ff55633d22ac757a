"""import_feed refuses internal addresses, non-http redirects and servers that never finish (SSRF)."""

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from episodes.importer import FeedImportError, fetch_feed, import_feed
from episodes.models import Episode, Show
from testkit.feed_host import serve_other_host_feed
from testkit.parts import part_missing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Internal</title></channel></rss>"""


def _refused(*args) -> str:
    with pytest.raises(CommandError) as error:
        call_command("import_feed", *args, stdout=io.StringIO(), stderr=io.StringIO())
    return str(error.value)


def _nothing_written(media_root) -> bool:
    files = [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []
    return Show.objects.count() == 0 and Episode.objects.count() == 0 and files == []


class RedirectServer:
    """Answers every GET with a redirect to ``target`` (status ``status``)."""

    def __init__(self, target: str, status: int = 302):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(status)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.rss"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class DripServer:
    """Sends a response one byte every ``interval`` seconds (in the headers or in the body).

    It gives up after ``bytes_max`` bytes, so a fetch without a total deadline ends too (in
    interval * bytes_max seconds) instead of hanging the suite.
    """

    def __init__(self, *, interval: float = 2.0, in_headers: bool = False, bytes_max: int = 15):
        self.stop_event = threading.Event()
        stop = self.stop_event

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                head = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n"
                )
                if in_headers:
                    dripped = head
                else:
                    self.wfile.write(head)
                    self.wfile.flush()
                    dripped = FEED
                try:
                    for byte in dripped[:bytes_max]:
                        if stop.wait(interval):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.rss"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self):
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()


# --- Internal addresses are refused unless the test opts in to loopback -------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "[::1]",
        "2130706433",  # 127.0.0.1 written as one decimal number
        "0x7f.0.0.1",  # hexadecimal
        "0177.0.0.1",  # octal
        "localhost",
        "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    ],
)
def test_loopback_addresses_are_refused(server, settings, media_root, host):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = False
    port = server.httpd.server_address[1]
    server.add("/feed.rss", FEED, "application/rss+xml")
    message = _refused(f"http://{host}:{port}/feed.rss", "--timeout", "2")
    assert "loopback address" in message and "only public internet addresses" in message
    assert _nothing_written(media_root)


@pytest.mark.parametrize(
    "url, kind",
    [
        ("http://10.1.2.3/feed.rss", "private"),
        ("http://192.168.0.1/feed.rss", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/feed.rss", "link-local"),
        ("http://0.0.0.0/feed.rss", "unspecified"),
        ("http://240.0.0.1/feed.rss", "reserved"),
        ("http://224.0.0.1/feed.rss", "multicast"),
        ("http://[fd00::1]/feed.rss", "private"),
        ("http://100.64.0.1/feed.rss", "private"),
        ("http://[fec0::1]/feed.rss", "private"),
        ("http://[::ffff:10.0.0.1]/feed.rss", "private"),
        ("http://[64:ff9b::a9fe:a9fe]/feed.rss", "link-local"),  # NAT64 of 169.254.169.254
        ("http://[2002:7f00:1::]/feed.rss", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_private_link_local_and_reserved_addresses_are_refused(settings, media_root, url, kind):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True  # opting in to loopback opens nothing else
    started = time.monotonic()
    message = _refused(url, "--timeout", "5")
    assert time.monotonic() - started < 2  # refused before any connection attempt
    assert f"{kind} address" in message
    assert _nothing_written(media_root)


def test_an_enclosure_on_an_internal_address_fails_that_episode(server, settings, media_root):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    url = serve_other_host_feed(server)
    body = server.routes["/rss/night-shift.rss"][2].replace(
        f"{server.base}/media/ep11.mp3".encode(), b"http://169.254.169.254/latest/meta-data/iam.mp3"
    )
    server.add("/rss/night-shift.rss", body, "application/rss+xml")
    message = _refused(url, "--timeout", "5")
    assert "2 imported" in message and "link-local address" in message


def test_transcripts_chapters_and_covers_on_internal_addresses_are_not_fetched(server, settings, media_root):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    url = serve_other_host_feed(server)
    tags = (
        b'<podcast:transcript url="http://10.0.0.5/t.vtt" type="text/vtt"/>'
        b'<podcast:chapters url="http://169.254.169.254/latest/meta-data/" type="application/json+chapters"/>'
        b'<itunes:image href="http://[::ffff:192.168.1.1]/cover.jpg"/>'
    )
    body = server.routes["/rss/night-shift.rss"][2].replace(
        b"<guid>https://nightshift.example.com/episodes/11</guid>",
        b"<guid>https://nightshift.example.com/episodes/11</guid>" + tags,
    )
    server.add("/rss/night-shift.rss", body, "application/rss+xml")
    result = import_feed(url, timeout=5)
    report = result.report()
    assert result.ok and len(result.imported) == 3  # the episode is imported without them
    assert "10.0.0.5 is 10.0.0.5, a private address" in report["transcript"]["dropped"][0]
    assert "169.254.169.254 is 169.254.169.254, a link-local address" in report["chapters"]["dropped"][0]
    assert "192.168.1.1, a private address" in report["episode_artwork"]["dropped"][0]
    episode = Episode.objects.get(guid="https://nightshift.example.com/episodes/11")
    assert not episode.transcript and not episode.chapters and not episode.artwork


def test_a_new_feed_url_on_an_internal_address_is_refused(server, settings, media_root):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    url = serve_other_host_feed(server)
    body = server.routes["/rss/night-shift.rss"][2].replace(
        b"<itunes:type>",
        b"<itunes:new-feed-url>http://192.168.0.10/feed.rss</itunes:new-feed-url><itunes:type>",
        1,
    )
    server.add("/rss/night-shift.rss", body, "application/rss+xml")
    message = _refused(url, "--timeout", "5")
    assert "moved to http://192.168.0.10/feed.rss (itunes:new-feed-url)" in message
    assert "192.168.0.10 is 192.168.0.10, a private address" in message
    assert _nothing_written(media_root)


# --- Redirects: each hop is checked again ---------------------------------------------------------


def test_redirect_to_ftp_is_refused(settings, media_root):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    redirect = RedirectServer("ftp://127.0.0.1:21/feed.rss")
    try:
        message = _refused(redirect.url, "--timeout", "3")
    finally:
        redirect.stop()
    assert "Only http and https addresses can be fetched" in message and "ftp://127.0.0.1:21" in message
    assert _nothing_written(media_root)


def test_redirect_to_an_internal_address_is_refused(settings, media_root):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    redirect = RedirectServer("http://169.254.169.254/latest/meta-data/", status=301)
    try:
        message = _refused(redirect.url, "--timeout", "3")
    finally:
        redirect.stop()
    assert "169.254.169.254" in message and "link-local address" in message
    assert _nothing_written(media_root)


def test_redirects_are_followed_to_an_allowed_address(server, settings):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    target = server.add("/moved.rss", FEED, "application/rss+xml")
    redirect = RedirectServer(target, status=308)
    try:
        assert fetch_feed(redirect.url, timeout=3) == FEED
    finally:
        redirect.stop()


def test_a_redirect_loop_stops_after_five_hops(settings, media_root):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    redirect = RedirectServer("/feed.rss")  # relative: to itself, forever
    try:
        with pytest.raises(FeedImportError, match="more than 5 redirects"):
            fetch_feed(redirect.url, timeout=3)
    finally:
        redirect.stop()


# --- A total deadline, whatever the server drips ----------------------------------------------------


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_dripping_server_is_cut_off_at_the_total_deadline(settings, media_root, in_headers):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    settings.PODCASTCME_IMPORT_DEADLINE_SECONDS = 3
    drip = DripServer(interval=1.0 if in_headers else 2.0, in_headers=in_headers)
    started = time.monotonic()
    try:
        message = _refused(drip.url, "--timeout", "5")
    finally:
        drip.stop()
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"the fetch took {elapsed:.1f} s"
    assert "did not finish within 3 seconds" in message
    assert _nothing_written(media_root)


def test_unknown_host_name_is_a_clear_error(settings, media_root):
    message = _refused("http://no-such-host.invalid/feed.rss", "--timeout", "3")
    assert "Unknown host no-such-host.invalid" in message


def test_loopback_opt_in_is_off_by_default():
    from django.conf import settings as django_settings

    assert getattr(django_settings, "PODCASTCME_IMPORT_ALLOW_LOOPBACK", False) is False


def test_connection_goes_to_the_checked_address_with_the_original_host_header(server, settings):
    """The request names the host of the URL (virtual hosting) but connects to the vetted address."""
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"] = self.headers.get("Host")
            self.send_response(200)
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        assert fetch_feed(f"http://localhost:{httpd.server_address[1]}/f.rss", timeout=3) == FEED
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert seen["host"] == f"localhost:{httpd.server_address[1]}"


def test_https_checks_the_certificate_for_the_urls_host_name(settings, tmp_path, monkeypatch):
    """Over https the vetted address is dialled but TLS (SNI and certificate) names the URL's host."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        part_missing("openssl is needed to make a test certificate")
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust only our test certificate

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    port = httpd.server_address[1]
    try:
        assert fetch_feed(f"https://localhost:{port}/f.rss", timeout=3) == FEED
        # The same server by its address: the certificate does not name it, so TLS refuses.
        with pytest.raises(FeedImportError, match="Secure connection to 127.0.0.1"):
            fetch_feed(f"https://127.0.0.1:{port}/f.rss", timeout=3)
    finally:
        httpd.shutdown()
        httpd.server_close()
