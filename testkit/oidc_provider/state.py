"""What a test has asked the provider to do differently, held in memory (one process, many threads).

- ``discovery_issuer``: the ``issuer`` its discovery document states (None: its real one);
- ``token_issuer``: the ``iss`` its ID tokens carry (None: its real one);
- ``deny``: the next authorizations answer ``error=access_denied`` (the user said no);
- ``claims``: per username, the ``email`` and ``email_verified`` claims released.
"""

import threading

lock = threading.RLock()
overrides: dict = {"discovery_issuer": None, "token_issuer": None, "deny": False}
claims: dict[str, dict] = {}


def reset() -> None:
    with lock:
        overrides.update(discovery_issuer=None, token_issuer=None, deny=False)
