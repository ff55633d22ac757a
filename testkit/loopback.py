"""A small HTTP server on 127.0.0.1 for tests that talk to "another server" (an inbox, an actor's
server, a WebSub hub): a free port, served from a daemon thread, stopped by ``stop``.

    class Handler(QuietHandler):
        def do_POST(self): ...

    server = LoopbackServer(Handler)
    url = server.url("/inbox")
    ...
    server.stop()

Only loopback: tests never reach another address (the code under test refuses loopback unless the
test opts in, e.g. ``PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK``)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not print each request to the test output."""

    def log_message(self, *args) -> None:
        pass


class LoopbackServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True  # a request still sleeping does not hold the test's end
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
