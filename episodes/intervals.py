"""Merging [start, end] intervals along an episode's audio: bytes a podcast app fetched, seconds played.

One implementation for both. What differs is a rule each caller states: how far apart two
intervals may be and still join (``join_within``), and how the result is measured. Inclusive byte
ranges join when they touch ([0, 99] and [100, 199] are one) and count ``last - first + 1``; the
web player's played seconds join across a pause of up to a second (credits.services).
"""

from typing import TypeVar

N = TypeVar("N", int, float)


def merge_intervals(intervals: list[list[N]], *, join_within: N) -> list[list[N]]:
    """Sorted, disjoint intervals covering the given ones; the input is left as it was.

    An interval joins the one before it when it starts at most ``join_within`` after that one ends.
    """
    merged: list[list[N]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + join_within:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def union_byte_ranges(ranges: list[list[int]]) -> tuple[list[list[int]], int]:
    """Inclusive byte ranges, merged into sorted disjoint ones; and the number of bytes they cover."""
    merged = merge_intervals(ranges, join_within=1)  # inclusive: the next byte continues a range
    return merged, sum(last - first + 1 for first, last in merged)


def merge_range(ranges: list[list[int]], start: int, end: int) -> tuple[list[list[int]], int]:
    """Add the inclusive range start-end to sorted, disjoint ranges; return them and the bytes covered."""
    return union_byte_ranges([*ranges, [start, end]])


def ranges_contain(ranges: list[list[int]], start: int, end: int) -> bool:
    """Whether one of the merged ranges already holds every byte of start-end."""
    return any(first <= start and end <= last for first, last in ranges)
