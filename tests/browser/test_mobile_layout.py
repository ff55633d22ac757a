"""At 390 px (a phone) no page of the demo scrolls sideways, for any role (issue 15, item 4).

The pages are every page of the demo that each role (anonymous, learner, host, coordinator) reaches
by following links; ``demo_audit`` (tests/browser/conftest.py) seeds the demo and visits them once.
A screenshot of each page at 390 px is kept in test-artifacts/390px/.
"""

from testkit.site_pages import ARTIFACTS, ROLES


def test_every_demo_page_for_every_role_is_reached(demo_audit):
    pages = demo_audit["pages"]
    for role in ROLES:
        print(f"{role}: {len(pages[role])} pages", *pages[role], sep="\n  ")
    assert {"/", "/search/?q=airway", "/topics/airway/", "/shows/airway-rounds/"} <= set(pages["anonymous"])
    assert {"/learning/", "/account/", "/account/profile/"} <= set(pages["learner"])
    assert "/host/" in pages["host"] and "/coordinator/" in pages["coordinator"]
    assert any(url.endswith("/report/") for url in pages["coordinator"])
    broken = [
        f"{role} {visit['url']}: {visit['status']}"
        for role in ROLES
        for visit in demo_audit["results"][role][390]
        if visit["status"] is None or visit["status"] >= 500
    ]
    assert broken == []


def test_no_page_scrolls_sideways_at_390_px(demo_audit):
    visits = [(role, v) for role in ROLES for v in demo_audit["results"][role][390]]
    visits.append(("learner", demo_audit["flash"]))
    failures = [
        f"{role} {v['url']}: {v['scrollWidth']} px wide > {v['width']} px {v['culprits']}"
        for role, v in visits
        if v["scrollWidth"] > v["width"]
    ]
    (ARTIFACTS / "390px" / "sideways-scroll.txt").write_text("".join(f"{f}\n" for f in failures))
    assert failures == [], "pages that scroll sideways at 390 px:\n" + "\n".join(failures)


def test_the_post_test_call_to_action_is_in_the_first_screen_at_390_px(demo_audit):
    # The demo's CME episode, as a visitor (log in to take the post-test) and as the learner.
    found = {
        (role, v["url"]): v["ctaScreens"]
        for role in ("anonymous", "learner")
        for v in demo_audit["results"][role][390]
        if v["ctaScreens"] is not None
    }
    assert any(role == "anonymous" for role, _ in found) and any(role == "learner" for role, _ in found)
    late = {page: round(screens, 2) for page, screens in found.items() if screens > 1}
    assert late == {}, f"the call to action is below the first screen (in screens): {late}"


def test_download_certificate_needs_no_sideways_scroll_on_my_learning(demo_audit):
    my_learning = next(v for v in demo_audit["results"]["learner"][390] if v["url"] == "/learning/")
    assert my_learning["downloads"], "My learning shows the demo learner's certificate"
    for link in my_learning["downloads"]:
        assert not link["inScroller"] and 0 <= link["left"] and link["right"] <= my_learning["width"], link


def test_a_long_doi_link_in_show_notes_wraps_at_390_px(page, show):
    from episodes.text import render_notes
    from testkit.factories import make_episode

    doi = "https://doi.org/10.1002/14651858.CD011136.pub3.supplementaryappendixS1difficultairwayguideline"
    notes = f"Read [{doi}]({doi}) and the bare address {doi}."
    episode = make_episode(show, notes=notes, notes_html=render_notes(notes))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(episode.get_absolute_url())
    page.get_by_role("link", name=doi).first.wait_for()
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")
