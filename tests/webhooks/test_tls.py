"""Over https a delivery dials the address it checked (one DNS answer, no second look-up to rebind)
while TLS names the URL's host: SNI, certificate check and Host header, so a real endpoint with a
real certificate is reached and a certificate for another name is refused."""

import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from testkit.parts import part_missing
from webhooks import delivery
from webhooks.delivery import DeliveryError, post


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    if shutil.which("openssl") is None:
        part_missing("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust only our test certificate
    seen: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen["host"] = self.headers["Host"]
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen.__setitem__("sni", name)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield httpd.server_address[1], seen
    httpd.shutdown()
    httpd.server_close()


def test_https_dials_the_checked_address_with_the_urls_name_for_tls(settings, tls_receiver, monkeypatch):
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = True
    port, seen = tls_receiver
    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        lookups.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(delivery.socket, "getaddrinfo", counting)
    answer = post(f"https://localhost:{port}/hooks", body=b"{}", headers={}, timeout=3)
    assert answer.status == 204
    assert lookups == ["localhost"]  # resolved once, for the check; the connection used that answer
    assert seen == {"sni": "localhost", "host": f"localhost:{port}"}
    # The same receiver by its address: the certificate does not name it, so TLS refuses.
    with pytest.raises(DeliveryError, match="TLS failed"):
        post(f"https://127.0.0.1:{port}/hooks", body=b"{}", headers={}, timeout=3)
