"""Transcripts (WebVTT, SRT) and JSON chapters become readable text and lists; bad files give nothing."""

import json

import pytest

from episodes.transcripts import (
    Chapter,
    Cue,
    format_time,
    paragraphs,
    parse_chapters,
    parse_srt,
    parse_transcript,
    parse_vtt,
)

VTT = """\ufeffWEBVTT Kind: captions

NOTE written by hand

STYLE
::cue { color: yellow }

intro
00:00:01.000 --> 00:00:04.500 align:start
<v Hank Host>Welcome to <b>Airway Rounds</b>.</v>

00:04.500 --> 00:07.250
<v Hank Host>Today: the cart &amp; the plan.

00:00:07.250 --> 00:00:10.000
<v.loud Grace Guest>Start with plan A.</v>

01:02:03.5 --> 01:02:05.000
<v Grace Guest>Then plan B.</v> <v Hank Host>And plan C?</v>
"""


def test_webvtt_cues_have_times_speakers_and_plain_text():
    cues = parse_vtt(VTT.replace("\n", "\r\n"))
    assert cues[:3] == [
        Cue(1.0, 4.5, "Welcome to Airway Rounds.", "Hank Host"),
        Cue(4.5, 7.25, "Today: the cart & the plan.", "Hank Host"),
        Cue(7.25, 10.0, "Start with plan A.", "Grace Guest"),
    ]
    # Two voices in one cue are two cues; a short fraction is milliseconds padded, not tenths lost.
    assert cues[3:] == [
        Cue(3723.5, 3725.0, "Then plan B.", "Grace Guest"),
        Cue(3723.5, 3725.0, "And plan C?", "Hank Host"),
    ]


def test_consecutive_cues_of_one_speaker_become_one_paragraph():
    result = paragraphs(parse_vtt(VTT))
    assert [(p.speaker, p.text) for p in result] == [
        ("Hank Host", "Welcome to Airway Rounds. Today: the cart & the plan."),
        ("Grace Guest", "Start with plan A. Then plan B."),
        ("Hank Host", "And plan C?"),
    ]
    assert [p.label for p in result] == ["0:01", "0:07", "1:02:03"]
    assert result[1].seconds == 7


def test_srt_cues_with_multiline_text():
    srt = (
        "1\r\n00:00:00,000 --> 00:00:02,500\r\nGood morning,\r\neveryone.\r\n\r\n"
        "2\r\n00:00:02,500 --> 00:00:05,000\r\n<i>Let's begin.</i>\r\n"
    )
    assert parse_srt(srt) == [Cue(0.0, 2.5, "Good morning, everyone."), Cue(2.5, 5.0, "Let's begin.")]
    assert parse_transcript(srt.encode()) == parse_srt(srt)
    # Without speakers the cues still read as one paragraph of text.
    assert [p.text for p in paragraphs(parse_srt(srt))] == ["Good morning, everyone. Let's begin."]


def test_long_unvoiced_text_is_cut_into_paragraphs_at_sentence_ends():
    cues = [Cue(i * 5, i * 5 + 5, "This sentence is about forty-five characters.") for i in range(40)]
    result = paragraphs(cues)
    assert len(result) > 1
    assert all(p.text.endswith(".") for p in result)
    assert " ".join(p.text for p in result) == " ".join(c.text for c in cues)


def test_transcript_kind_is_told_by_content_not_name():
    assert parse_transcript(VTT.encode())[0].speaker == "Hank Host"
    assert parse_vtt("1\n00:00:00,000 --> 00:00:01,000\nSRT text\n") == []  # no WEBVTT header


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"WEBVTT",
        b"WEBVTT\n\n",
        b"\x00\xff\xfe binary \x89PNG\r\n\x1a\n",
        b"WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nbad arrow\n",
        b"WEBVTT\n\n99:99:99.000 --> 00:00:02.000\nimpossible minutes\n",
        "Caf\xe9 in latin-1\n".encode("latin-1"),
        b"{" * 100_000,
    ],
)
def test_bad_transcripts_give_no_cues(data):
    assert paragraphs(parse_transcript(data)) == []


def test_control_characters_and_markup_do_not_survive_into_text():
    cues = parse_vtt("WEBVTT\n\n00:00.000 --> 00:01.000\n<v A\x07>Hi\x00 <script>x</script>there</v>\n")
    assert cues == [Cue(0.0, 1.0, "Hi xthere", "A")]


CHAPTERS = {
    "version": "1.2.0",
    "chapters": [
        {
            "startTime": 95.5,
            "title": "The case",
            "url": "https://example.org/case",
            "img": "https://example.org/c.jpg",
        },
        {"startTime": 0, "title": "Intro"},
        {"startTime": 30, "title": "Hidden from the list", "toc": False},
        {"startTime": 200, "title": "Evil link", "url": "javascript:alert(1)"},
    ],
}


def test_json_chapters_are_sorted_with_safe_links_only():
    chapters = parse_chapters(json.dumps(CHAPTERS).encode())
    assert chapters == [
        Chapter(0.0, "Intro"),
        Chapter(95.5, "The case", "https://example.org/case", "https://example.org/c.jpg"),
        Chapter(200.0, "Evil link"),
    ]
    assert [c.label for c in chapters] == ["0:00", "1:35", "3:20"]
    assert chapters[1].seconds == 95


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2, 3]",
        b'{"chapters": "intro"}',
        b'{"chapters": null}',
        b'{"chapters": [1, "two", null, []]}',
        b'{"chapters": [{"title": "no start"}, {"startTime": -5, "title": "negative"}]}',
        b'{"chapters": [{"startTime": true, "title": "bool"}, {"startTime": "10", "title": "string"}]}',
        b'{"chapters": [{"startTime": 10}, {"startTime": 20, "title": ""}, {"startTime": 30, "title": 7}]}',
        b'{"chapters": [{"startTime": 1e309, "title": "infinite"}]}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_bad_chapters_give_an_empty_list(data):
    assert parse_chapters(data) == []


def test_one_bad_chapter_does_not_hide_the_good_ones():
    data = {"chapters": [{"startTime": "x", "title": "bad"}, {"startTime": 12, "title": "Good\x07 one"}]}
    assert parse_chapters(json.dumps(data)) == [Chapter(12.0, "Good one")]


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00"), (59.9, "0:59"), (61, "1:01"), (3600, "1:00:00")])
def test_times_read_like_a_player_shows_them(seconds, text):
    assert format_time(seconds) == text
