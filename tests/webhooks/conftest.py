"""Webhook tests: receivers are real HTTP servers on loopback (testkit.loopback), which the delivery
code reaches only because these tests opt in (PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK)."""

import json
import threading
import time

import pytest

from testkit.loopback import LoopbackServer, QuietHandler


class Receiver:
    """A loopback receiver: records each request; answers with the statuses given, in turn (the last
    one repeats); ``sleep`` seconds before answering (a receiver that times out)."""

    def __init__(self, statuses=(200,), *, sleep: float = 0.0, headers: dict | None = None):
        self.statuses = list(statuses)
        self.sleep = sleep
        self.extra_headers = headers or {}
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                    index = min(len(receiver.requests), len(receiver.statuses)) - 1
                    status = receiver.statuses[index]
                if receiver.sleep:
                    time.sleep(receiver.sleep)
                try:
                    self.send_response(status)
                    for name, value in receiver.extra_headers.items():
                        self.send_header(name, value)
                    answer = b'{"ok": true}' if status < 300 else b"receiver says no " * 100
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the client gave up (timed out) first
                    pass

        self.server = LoopbackServer(Handler)

    def url(self, path: str = "/hooks") -> str:
        return self.server.url(path)

    def payloads(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = True
    settings.PODCASTCME_WEBHOOKS_ALLOW_HTTP = True
    settings.PODCASTCME_WEBHOOKS_TIMEOUT_SECONDS = 0.3
    settings.PODCASTCME_WEBHOOKS_RETRY_DELAYS = [60, 300, 1800]  # 4 attempts in these tests
    settings.PODCASTCME_WEBHOOKS_DISABLE_AFTER = 2


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(*args, **kwargs) -> Receiver:
        receiver = Receiver(*args, **kwargs)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.server.stop()
