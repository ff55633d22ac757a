"""A tiny SMTP server on 127.0.0.1 for Django's real SMTP backend: it can be up, down, or refusing."""

import email
import email.policy
import socketserver
import threading
from email.message import EmailMessage


class FakeSMTP:
    """Keeps every message it accepted. ``stop()`` closes the port (connection refused) and
    ``start()`` opens the same port again; ``refuse = True`` answers "421" and hangs up instead."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.port = 0
        self._server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> "FakeSMTP":
        if self._server is not None:
            return self  # already up
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                if fake.refuse:
                    self.reply("421 4.3.2 Service not available, closing transmission channel")
                    return
                self.reply("220 fake.smtp.test ESMTP")
                while line := self.rfile.readline():
                    verb = line[:4].decode("ascii", "replace").upper()
                    if verb == "EHLO":
                        self.reply("250-fake.smtp.test")
                        self.reply("250 8BITMIME")
                    elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = bytearray()
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        fake.messages.append(
                            email.message_from_bytes(bytes(data), policy=email.policy.default)
                        )
                        self.reply("250 OK: queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def texts(self, to: str) -> list[str]:
        """The plain-text bodies of the messages sent to ``to``."""
        texts = []
        for message in self.messages:
            if to in (message["To"] or ""):
                body = message.get_body(("plain",))
                assert body is not None, f"no plain-text part in {message['Subject']!r}"
                texts.append(body.get_content())
        return texts
