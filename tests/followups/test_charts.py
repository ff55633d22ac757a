"""The barrier chart (followups/charts.py horizontal_bar_chart): seven long labels, none overlapping,
each inside the chart; the page draws it with the learners' barriers."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from followups.charts import CHAR_W, horizontal_bar_chart
from followups.models import Barrier
from testkit import factories
from testkit.outcomes import claims_of, make_plan, practice

SVG = "{http://www.w3.org/2000/svg}"
FONT = 12


def _boxes(svg: str) -> tuple[list[tuple[float, float, float, float, str]], float, float]:
    """Each <text>'s bounding box (left, top, right, bottom, text), estimated generously from its
    baseline, start and characters; and the viewBox width and height."""
    root = ET.fromstring(svg)
    _x, _y, width, height = (float(v) for v in root.attrib["viewBox"].split())
    boxes = []
    for text in root.iter(f"{SVG}text"):
        assert text.get("text-anchor") in (None, "start") and text.get("transform") is None
        x, y, content = float(text.attrib["x"]), float(text.attrib["y"]), text.text or ""
        boxes.append((x, y - FONT, x + len(content) * CHAR_W, y + 3, content))
    return boxes, width, height


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_seven_long_barrier_labels_do_not_overlap_and_stay_inside_the_chart():
    labels = [
        f"{label} — and a long explanation of what exactly got in the way at the practice, number {n}"
        for n, (_code, label) in enumerate(Barrier.choices, start=1)
    ]
    assert len(labels) == 7
    svg = str(horizontal_bar_chart([(label, 3 * n) for n, label in enumerate(labels)], title="Barriers",
                                   chart_id="chart-barriers"))  # fmt: skip
    boxes, width, height = _boxes(svg)
    # Every word of every label is drawn (wrapped onto lines of its own), and each value.
    drawn = " ".join(b[4] for b in boxes)
    assert all(word in drawn for label in labels for word in label.split())
    assert len(boxes) > 2 * 7  # the long labels were wrapped: more than one line each
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= width and 0 <= a[1] and a[3] <= height, a
        for b in boxes[i + 1 :]:
            assert not _overlap(a, b), (a, b)
    # Rows go down the page in order: each label's first line is below the previous row's bar.
    firsts = [next(b[1] for b in boxes if b[4] and label.startswith(b[4])) for label in labels]
    assert firsts == sorted(firsts) and len(set(firsts)) == 7
    # The bars do not cover a label either.
    root = ET.fromstring(svg)
    for rect in root.iter(f"{SVG}rect"):
        x, y = float(rect.attrib["x"]), float(rect.attrib["y"])
        bar = (x, y, x + float(rect.attrib["width"]), y + float(rect.attrib["height"]))
        assert not any(_overlap(bar, b) for b in boxes if not re.fullmatch(r"\d+", b[4]))


def test_the_chart_escapes_labels_and_names_itself():
    svg = str(horizontal_bar_chart([("<b>cost</b> & time", 2)], title="Barriers <x>", chart_id="c"))
    assert "<b>" not in svg and "&lt;b&gt;cost&lt;/b&gt; &amp; time" in svg
    assert 'role="img"' in svg and 'aria-describedby="c-desc"' in svg and "Barriers &lt;x&gt;" in svg
    ET.fromstring(svg)  # well-formed


@pytest.fixture
def cohort(activity):
    factories.add_prior_claims(activity, 2, prefix="cohort")
    make_plan(activity, new_question=True)
    return claims_of(activity)


@pytest.mark.django_db
def test_the_outcomes_page_draws_the_seven_barriers_as_rows(coordinator_client, activity, cohort):
    practice(cohort[0], changed="no", barriers=[code for code, _label in Barrier.choices])
    page = coordinator_client.get(reverse("followups:outcomes", args=[activity.pk])).content.decode()
    start = page.index("<svg", page.index("What got in the way"))
    boxes, _w, _h = _boxes(page[start : page.index("</svg>", start) + len("</svg>")])
    assert {str(label) for _code, label in Barrier.choices} <= {b[4] for b in boxes}
    for i, a in enumerate(boxes):
        assert not any(_overlap(a, b) for b in boxes[i + 1 :]), a
