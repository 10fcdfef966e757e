"""The privacy pages in a real browser with axe-core, including the states the crawl never reaches by links.

The gate's crawl opens pages by following links and never submits POST forms; here the anonymisation form is
submitted wrongly (the re-displayed form with its error summary) and rightly (the result page), and the
verification page of the erased person's certificate is checked too. Skips like the gate without Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.access import Role
from app.core.db import make_engine, make_sessionmaker, session_scope
from app.progress.models import Certificate
from tests.gates.live_server import LiveSite, running_live_site
from tests.gates.test_accessibility import (  # noqa: F401 - module fixtures shared with the gate
    DESKTOP_VIEWPORT,
    Visitor,
    axe_script,
    browser,
    check_page,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ADMIN = Visitor("admin", frozenset({Role.ADMIN, Role.TRAINER, Role.LEARNER}), ("en",), ())
LEARNER = Visitor("learner", frozenset({Role.LEARNER}), ("en",), ())


@pytest.fixture(scope="module")
def privacy_site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:  # noqa: F811
    accounts = {visitor.name: set(visitor.roles) for visitor in (ADMIN, LEARNER)}
    with running_live_site(tmp_path_factory.mktemp("privacy-a11y"), accounts) as site:
        yield site


def learner_and_certificate(site: LiveSite) -> tuple[int, str]:
    engine = make_engine(site.settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            learner = session.scalar(select(User).where(User.email == site.accounts["learner"].email))
            assert learner is not None
            code = session.scalar(select(Certificate.code).where(Certificate.user_id == learner.id))
            assert code is not None, "the live site's learner has no certificate"
            return learner.id, code
    finally:
        engine.dispose()


def assert_accessible(page: Page, axe: Path, status: int, expected_status: int) -> None:
    assert status == expected_status, page.url
    facts, problems = check_page(page, page.url, "en", axe)
    assert facts["h1Count"] == 1 and facts["title"]
    assert problems == [], "\n".join(f"{problem.check}: {problem.detail}" for problem in problems)


def test_privacy_pages_pass_axe_in_every_state(
    browser: Browser,  # noqa: F811
    privacy_site: LiveSite,
    axe_script: Path,  # noqa: F811
) -> None:
    learner_id, certificate_code = learner_and_certificate(privacy_site)
    base = privacy_site.base_url
    for visitor in (LEARNER, ADMIN):
        context = browser.new_context(bypass_csp=True, viewport=DESKTOP_VIEWPORT)
        try:
            page = context.new_page()
            sign_in(page, privacy_site, visitor, "en")
            response = page.goto(f"{base}/my/data?lang=en")
            assert response is not None
            assert_accessible(page, axe_script, response.status, 200)
            if visitor is not ADMIN:
                continue
            response = page.goto(f"{base}/admin/users/{learner_id}/anonymise")
            assert response is not None
            assert_accessible(page, axe_script, response.status, 200)

            page.fill('[name="confirm_email"]', "not-the-address@example.lt")
            with page.expect_navigation() as wrong:
                page.click('button[type="submit"].button--danger')
            assert wrong.value is not None
            assert_accessible(page, axe_script, wrong.value.status, 422)

            page.fill('[name="confirm_email"]', privacy_site.accounts["learner"].email)
            with page.expect_navigation():
                page.click('button[type="submit"].button--danger')
            assert page.url.endswith(f"/admin/users/{learner_id}/anonymise")
            assert_accessible(page, axe_script, 200, 200)
            assert "Personal data erased" in page.content()

            response = page.goto(f"{base}/verify/{certificate_code}")
            assert response is not None
            assert_accessible(page, axe_script, response.status, 200)
            assert "Learner Testaitė" not in page.content()
        finally:
            context.close()
