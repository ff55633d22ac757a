"""A small fake Stripe API on 127.0.0.1 for the real stripe library, and webhook signing like Stripe's."""

import contextlib
import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

WEBHOOK_SECRET = "whsec_test_fake_secret"
SECRET_KEY = "sk_test_fake_key"


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>">."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


class FakeStripe:
    """Records every request (with its Idempotency-Key) and answers the calls billing makes."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self._by_key: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.drop_next_create = False  # process the next create, then lose the answer (network)
        self.checkout_page: str | None = None  # where session.url points (default: this server)
        # A slow Stripe: every API answer waits this long; ``waiting`` is set when one starts waiting.
        self.delay_seconds = 0.0
        self.waiting = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # --- what tests call ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server's address
        return f"http://{host}:{port}"

    def created_sessions(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"]

    def pay(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        """The learner pays on Stripe's page: the session completes with a PaymentIntent and a charge."""
        with self._lock:
            session = self.sessions[session_id]
            n = next(self._ids)
            charge = {
                "id": f"ch_test_{n}",
                "object": "charge",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "payment_intent": f"pi_test_{n}",
                "refunded": False,
                "amount_refunded": 0,
                "receipt_url": f"https://pay.stripe.com/receipts/test_{n}",
            }
            intent = {
                "id": f"pi_test_{n}",
                "object": "payment_intent",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "status": "succeeded" if payment_status == "paid" else "processing",
                "metadata": dict(session["metadata"]),
                "latest_charge": charge["id"],
            }
            self.charges[charge["id"]] = charge
            self.payment_intents[intent["id"]] = intent
            session.update(status="complete", payment_status=payment_status, payment_intent=intent["id"])
            return dict(session)

    def settle(self, session_id: str) -> dict[str, Any]:
        """A delayed payment method finally succeeds."""
        with self._lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid"
            self.payment_intents[session["payment_intent"]]["status"] = "succeeded"
            return dict(session)

    def refund(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            intent = self.payment_intents[self.sessions[session_id]["payment_intent"]]
            charge = self.charges[intent["latest_charge"]]
            charge.update(refunded=True, amount_refunded=charge["amount"])
            return dict(charge)

    def event(self, type_: str, obj: dict[str, Any], *, event_id: str | None = None) -> str:
        """A webhook body, as Stripe serialises it."""
        return json.dumps(
            {
                "id": event_id or f"evt_test_{next(self._ids)}",
                "object": "event",
                "api_version": "2026-10-28.endive",
                "created": int(time.time()),
                "type": type_,
                "livemode": False,
                "data": {"object": obj},
            }
        )

    # --- the HTTP side -----------------------------------------------------------------------------

    def _create_session(self, form: dict[str, str]) -> dict[str, Any]:
        session_id = f"cs_test_{next(self._ids):04d}"
        base = self.checkout_page or f"{self.url}/pay"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "customer_email": form.get("customer_email"),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "url": f"{base}/{session_id}",
        }
        self.sessions[session_id] = session
        return session

    def handle(self, method: str, path: str, query: dict[str, str], form: dict[str, str], key: str | None):
        """(status, body or None to drop the connection)."""
        with self._lock:
            if method == "POST" and path == "/v1/checkout/sessions":
                fingerprint = json.dumps(form, sort_keys=True)
                if key and key in self._by_key:
                    seen_fingerprint, status, body = self._by_key[key]
                    if seen_fingerprint != fingerprint:
                        return 400, _error(
                            "idempotency_error",
                            "Keys for idempotent requests can only be reused with the same parameters.",
                        )  # noqa: E501
                    return status, body
                session = dict(self._create_session(form))
                if key:
                    self._by_key[key] = (fingerprint, 200, session)
                if self.drop_next_create:
                    self.drop_next_create = False
                    return 200, None
                return 200, session
            if match := re.fullmatch(r"/v1/checkout/sessions/([\w]+)/expire", path):
                expiring = self.sessions.get(match[1])
                if expiring is None:
                    return 404, _error("invalid_request_error", "No such checkout.session")
                if expiring["status"] != "open":
                    return 400, _error("invalid_request_error", "Only open sessions can be expired.")
                expiring["status"] = "expired"
                return 200, dict(expiring)
            if match := re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path):
                found = self.sessions.get(match[1])
                return (
                    (200, dict(found)) if found else (404, _error("invalid_request_error", "No such session"))
                )
            if match := re.fullmatch(r"/v1/payment_intents/([\w]+)", path):
                intent = self.payment_intents.get(match[1])
                if intent is None:
                    return 404, _error("invalid_request_error", "No such payment_intent")
                intent = dict(intent)
                if "latest_charge" in query.values():  # expand[0]=latest_charge
                    intent["latest_charge"] = dict(self.charges[intent["latest_charge"]])
                return 200, intent
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                form = dict(parse_qsl(body, keep_blank_values=True))
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                key = self.headers.get("Idempotency-Key")
                if method == "GET" and parts.path.startswith("/pay/"):
                    self._checkout_page(parts.path[5:])
                    return
                fake.requests.append(
                    {
                        "method": method,
                        "path": parts.path,
                        "query": query,
                        "form": form,
                        "idempotency_key": key,
                    }
                )
                if fake.delay_seconds:
                    fake.waiting.set()
                    time.sleep(fake.delay_seconds)
                status, payload = fake.handle(method, parts.path, query, form, key)
                if payload is None:
                    self.close_connection = True
                    self.connection.shutdown(2)  # the answer is lost on the way back
                    return
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_test_{next(fake._ids)}")
                self.end_headers()
                self.wfile.write(data)

            def _checkout_page(self, session_id: str) -> None:
                # Stands in for Stripe's hosted page: the test "pays" by posting the signed webhook.
                session = fake.sessions.get(session_id) or {}
                back = (session.get("success_url") or "").replace("{CHECKOUT_SESSION_ID}", session_id)
                data = (
                    "<!DOCTYPE html><html lang=en><title>Fake Stripe Checkout</title><main>"
                    f"<h1>Fake Stripe Checkout</h1><p>{session.get('amount_total')} "
                    f"{session.get('currency')}</p>"
                    f'<a href="{html.escape(back)}">Return to the merchant</a></main></html>'
                ).encode()
                self.send_response(200 if session else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _error(type_: str, message: str) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message}}


@contextlib.contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
