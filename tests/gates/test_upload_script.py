"""The upload form's script in Chromium: files go in the background with a progress bar, errors stay on the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Request

from tests.gates.live_server import LiveSite
from tests.gates.test_accessibility import (  # noqa: F401 - the browser and live-site fixtures are shared
    VISITORS,
    axe_script,
    browser,
    live_site,
    sign_in,
)
from tests.toolkits.page_setup import ELF, pdf_bytes

TRAINER = next(visitor for visitor in VISITORS if visitor.name == "trainer")
UPLOAD_PATH = "/courses/SC1/toolkits/upload"


@pytest.mark.browser
def test_the_script_sends_the_files_in_the_background_and_lands_on_the_new_toolkit(
    browser: Browser,  # noqa: F811 - the imported fixture, requested by name
    live_site: LiveSite,  # noqa: F811
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, live_site, TRAINER, "en")
        background: list[Request] = []
        page.on("request", lambda request: background.append(request) if request.resource_type == "xhr" else None)
        page.goto(f"{live_site.base_url}{UPLOAD_PATH}")
        page.fill("#field-title_en", "Evaluation form")
        page.set_input_files(
            "#field-files", files=[{"name": "evaluation.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("js")}]
        )
        with page.expect_navigation(url="**/toolkits/*?notice=toolkit-uploaded"):
            page.click("form[data-upload-progress] button[type=submit]")
        assert [request.method for request in background if request.url.endswith(UPLOAD_PATH)] == ["POST"]
        assert page.locator("h1").inner_text() == "Evaluation form"
        assert "evaluation.pdf" in page.content()
    finally:
        context.close()


@pytest.mark.browser
def test_a_refused_file_shows_the_form_again_in_place_with_the_reason(
    browser: Browser,  # noqa: F811 - the imported fixture, requested by name
    live_site: LiveSite,  # noqa: F811
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, live_site, TRAINER, "en")
        page.goto(f"{live_site.base_url}{UPLOAD_PATH}")
        page.set_input_files(
            "#field-files", files=[{"name": "program.pdf", "mimeType": "application/pdf", "buffer": ELF}]
        )
        page.click("form[data-upload-progress] button[type=submit]")
        page.locator(".refused-list").wait_for()
        assert "program.pdf" in page.locator(".refused-list").inner_text()
        assert page.url.endswith(UPLOAD_PATH)
        assert page.evaluate("document.activeElement.id") == "error-summary"
        # The form shown again is enhanced too: a second try goes through the script as well.
        assert page.locator("form[data-upload-progress] #field-files").count() == 1
    finally:
        context.close()
