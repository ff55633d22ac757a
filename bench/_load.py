"""Load for the benches: keep-alive GETs from a few client threads, counted in requests per second."""

import http.client
import threading
import time
from collections.abc import Callable

CLIENT_THREADS = 4


def requests_per_second(
    port: int,
    path: str,
    requests: int,
    *,
    headers: Callable[[int], dict[str, str]],
    status: int,
    length: int | None = None,
    threads: int = CLIENT_THREADS,
) -> float:
    """``requests`` GETs of ``path`` on 127.0.0.1:``port``, one keep-alive connection per thread.

    ``headers(thread)`` gives each request's headers (called per request, so a thread may change
    them); every answer must have ``status`` and, when ``length`` is given, that many body bytes.
    """
    per_thread = requests // threads
    errors: list[str] = []
    barrier = threading.Barrier(threads + 1)

    def worker(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        for _ in range(per_thread):
            conn.request("GET", path, headers=headers(number))
            response = conn.getresponse()
            body = response.read()
            if response.status != status or (length is not None and len(body) != length):
                errors.append(f"{path}: {response.status}, {len(body)} bytes")
                break
        conn.close()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(errors[0])
    return per_thread * threads / elapsed
