"""Merging intervals: a podcast app's byte ranges (inclusive, touching ones join) and played seconds."""

from episodes.intervals import merge_intervals, merge_range, ranges_contain, union_byte_ranges


def test_byte_ranges_that_touch_join_and_a_missing_byte_keeps_them_apart():
    assert union_byte_ranges([[100, 199], [0, 99]]) == ([[0, 199]], 200)
    assert union_byte_ranges([[0, 99], [101, 199]]) == ([[0, 99], [101, 199]], 199)


def test_a_range_inside_another_adds_no_bytes():
    ranges, covered = merge_range([[0, 999]], 10, 20)
    assert (ranges, covered) == ([[0, 999]], 1000)
    assert ranges_contain(ranges, 10, 20) and not ranges_contain(ranges, 990, 1000)


def test_seconds_join_across_a_pause_of_up_to_the_allowed_gap():
    assert merge_intervals([[11.0, 20.0], [0.0, 10.0]], join_within=1.0) == [[0.0, 20.0]]
    assert merge_intervals([[0.0, 10.0], [11.5, 20.0]], join_within=1.0) == [[0.0, 10.0], [11.5, 20.0]]


def test_the_given_intervals_are_left_as_they_were():
    given = [[5, 9], [0, 6]]
    assert merge_intervals(given, join_within=1) == [[0, 9]]
    assert given == [[5, 9], [0, 6]]
