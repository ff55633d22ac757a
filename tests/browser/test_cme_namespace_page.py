"""The CME namespace document (/ns/cme/1.0) on a phone: no sideways scroll, nothing axe-core rates
serious or critical, no policy violation (the page fixture checks the CSP)."""

from testkit.site_pages import AXE_JS, OVERFLOW, RUN_AXE


def test_the_namespace_document_reads_on_a_phone_and_passes_axe(page, db):
    page.context.add_init_script(AXE_JS)
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto("/ns/cme/1.0")
    assert response is not None and response.status == 200
    page.get_by_role("heading", name="The CME credit namespace 1.0").wait_for()
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["width"], layout["culprits"]
    serious = [v for v in page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
    assert serious == []
