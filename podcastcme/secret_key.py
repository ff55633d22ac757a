"""Whether a SECRET_KEY is random enough for production (sessions, password resets, signed links)."""

import math
from collections import Counter

MIN_LENGTH = 50
MIN_DISTINCT = 20
# Shannon entropy of the key's own characters, in bits: 60 copies of one letter have 0; a key from
# secrets.token_urlsafe(64) about 470, Django's get_random_secret_key() about 240 (never below 210 in
# 20,000 tries).
MIN_ESTIMATED_BITS = 180
KNOWN_PREFIXES = ("dev-", "test-", "django-insecure", "changeme", "change-me", "secret", "insecure")


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` is not fit for production, in words that never repeat the key; None when it is."""
    if not key:
        return "it is not set"
    if len(key) < MIN_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_LENGTH}"
    if key.lower().startswith(KNOWN_PREFIXES):
        return "it starts like a development or example key"
    if len(set(key)) < MIN_DISTINCT:
        return f"it uses only {len(set(key))} different characters"
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if bits < MIN_ESTIMATED_BITS:
        return "it is too predictable"
    for period in range(1, len(key) // 2 + 1):  # "abc...xyz" twice is long and varied, not random
        if all(key[i] == key[i % period] for i in range(len(key))):
            return "it repeats a pattern"
    return None
