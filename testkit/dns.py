"""A scripted name resolver for tests of the pinned request (episodes/pinned_http.py): it answers
one address per look-up, so a test can make a name rebind between the check and the connection."""

import socket

# A public internet address for a name to answer. Tests never reach it: they intercept the connect
# or expect a refusal before any.
PUBLIC_ADDRESS = "93.184.215.14"


def scripted_getaddrinfo(*addresses: str):
    """A ``socket.getaddrinfo`` answering ``addresses`` in turn, one per call (the last one from then
    on). ``.calls`` lists the hosts asked for."""
    calls: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        address = addresses[min(len(calls), len(addresses)) - 1]
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    getaddrinfo.calls = calls  # type: ignore[attr-defined]
    return getaddrinfo


def intercepted_connects(monkeypatch) -> list[tuple]:
    """Every ``socket.connect`` is recorded and refused (there is no internet in tests): the list of
    the addresses dialled, to assert a connection went to the checked address and nowhere else."""
    dialled: list[tuple] = []

    def connect(sock, sockaddr):
        dialled.append(sockaddr)
        raise ConnectionRefusedError("intercepted: no internet in tests")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return dialled
