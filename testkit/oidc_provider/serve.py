"""Start the test identity provider: ``python -m testkit.oidc_provider.serve <port>``.

Migrates its SQLite file (OIDC_PROVIDER_DB) when it is new, then serves on 127.0.0.1:<port> with a
threaded WSGI server until it is terminated. testkit/oidc.py starts it once per test session."""

import os
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _exit_with_parent() -> None:
    """Stop when the test process that started us is gone (killed before it could stop us)."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def main() -> None:
    port = int(sys.argv[1])
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testkit.oidc_provider.settings")
    # Imported here: Django reads the settings module named above when it is set up.
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0, interactive=False)
    server = make_server("127.0.0.1", port, get_wsgi_application(), _ThreadingServer, _QuietHandler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
