"""Inclusive byte ranges ``[first, last]`` of one file: merged, measured, tested for containment.

The one implementation for counting downloads (a client's coverage) and for the listening evidence
of a learner's podcast app (credits.selectors), so both measure "bytes fetched" the same way.
"""


def union_byte_ranges(ranges: list[list[int]]) -> tuple[list[list[int]], int]:
    """Inclusive byte ranges, merged into sorted disjoint ones; and the number of bytes they cover."""
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged, sum(last - first + 1 for first, last in merged)


def merge_range(ranges: list[list[int]], start: int, end: int) -> tuple[list[list[int]], int]:
    """Add the inclusive range start-end to sorted, disjoint ranges; return them and the bytes covered."""
    return union_byte_ranges([*ranges, [start, end]])


def ranges_contain(ranges: list[list[int]], start: int, end: int) -> bool:
    """Whether one of the merged ranges already holds every byte of start-end."""
    return any(first <= start and end <= last for first, last in ranges)
