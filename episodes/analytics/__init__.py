"""Download counting after the IAB Podcast Measurement Guidelines (see docs/download-counting.md).

Every audio request is logged (one small insert); a download is counted when one client (hashed
IP + user agent) has fetched, within 24 hours, distinct bytes of one episode that cover the file's
header plus 60 seconds of audio (or the whole file when it is shorter).

- Only GET answered 200 or 206 with a body can count: never HEAD, 304, 412 or 416.
- A request for fewer than ``PROBE_BYTES`` (Apple's ``bytes=0-1`` probe and the like) never
  completes a download on its own.
- Ranges are merged, so a client that re-fetches the same bytes gains nothing and one that splits
  the file into several ranges is counted once, when they cover the threshold together.
- Once counted, the same client gets no further count for that episode for 24 hours.
- IPv6 addresses are cut to their /64 before hashing; addresses are never stored, only keyed hashes.
- Bots and requests without a user agent are logged but never counted (episodes/user_agents.py).

The modules, each importing only those above it:

- ``identity``: who the client is (keyed hashes of the address and user agent, the app, bots).
- ``thresholds``: how many bytes of a file count as a download (header + 60 s of audio).
- ``recording``: the log and the counting rules, for one request or a batch.
- ``buffer``: the hook the audio views attach, the per-process buffer and its writer thread.

A client's byte ranges are merged by ``episodes/intervals.py``; the host dashboard's reads are in
``episodes/selectors.py`` (daily totals only, never the log).
"""
