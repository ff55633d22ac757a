"""The Content-Security-Policy in a real browser: injected inline code does not run, and is reported."""

from django.urls import reverse


def test_an_injected_inline_script_and_handler_are_blocked(page, show):
    page.goto(reverse("episodes:show", args=[show.slug]))
    ran = page.evaluate(
        """() => {
            window.injected = false;
            const script = document.createElement("script");
            script.textContent = "window.injected = true;";
            document.body.appendChild(script);
            const image = document.createElement("img");
            image.setAttribute("onerror", "window.injected = true;");
            image.src = "/no-such-image.png";
            document.body.appendChild(image);
            return new Promise((resolve) => setTimeout(() => resolve(window.injected), 500));
        }"""
    )
    assert ran is False
    # The browser reported the blocked code; the page fixture fails a test on any such report,
    # so this test empties the list after checking it.
    assert any("Content Security Policy" in text for text in page.policy_errors)
    page.policy_errors.clear()
