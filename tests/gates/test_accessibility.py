"""Accessibility gate: every page reachable by links passes axe-core (WCAG 2.0/2.1 A and AA) in headless Chromium.

How the crawl works
- `live_server.py` builds a fresh committed SQLite database (partner organisations, one account per role, one
  valid password-reset token) and serves the app with uvicorn on a free loopback port.
- For each visitor (anonymous, learner, trainer, admin, administrator, org-manager) and locale, a fresh browser context signs in through the
  real /login form (except anonymous), opens `/?lang=<locale>` and the visitor's start pages, then follows
  same-origin `<a href>` links and GET `<form>`s (submitted with their default values) breadth-first, at most
  MAX_PAGES_PER_CRAWL checked pages. POST forms are never submitted.
- Skipped: other origins and non-http schemes (mailto:, tel:), `/static/`, paths ending in `/logout`, fragments,
  non-HTML responses, and links to another language: each locale has its own crawl, and for a signed-in
  person `?lang=` also changes the saved preference, which would switch the rest of the crawl's language.
- Pages are deduplicated by route pattern: numeric path segments become `{id}`, long random tokens `{token}`, and
  the query string is ignored (`lang`, the one parameter that changes a page, is fixed per crawl). So
  `/courses/1` and `/courses/2` are checked once. Start pages are always opened, so the valid and the invalid
  password-reset page (both `/reset-password/{token}`) are both checked.

Checks on every HTML page (all problems of one crawl are collected and reported in one assertion)
- zero axe-core violations for the tags wcag2a, wcag2aa, wcag21a, wcag21aa (run at a 1280 px desktop viewport);
- exactly one `<h1>`; `<html lang>` equals the crawl's locale; a non-empty `<title>`;
- no two route patterns share a title within one visitor and locale;
- reflow: resized to 360 px wide, `document.documentElement.scrollWidth <= window.innerWidth`;
- no server error (5xx) anywhere and no 404 behind a link.

Scope, to keep the module near half a minute on 2 cores: the anonymous visitor is crawled in all three locales
(lt, en, nb); signed-in visitors in lt (the default) and en. Signed-in pages share their templates across
languages, so nb there would mostly repeat the same findings.

Prerequisites: Debian's Chromium (/usr/bin/chromium, override with KLASTERIS_CHROMIUM) and axe-core from
`make axe` (var/axe/node_modules/axe-core/axe.min.js, override with KLASTERIS_AXE_JS). Without them the module
skips, except when CI=true, where missing prerequisites fail the run. Playwright never downloads a browser here.

Run: `.venv/bin/python -m pytest tests/gates/test_accessibility.py -q` (add `-m "not browser"` to leave it out).
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import warnings
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest

from app.accounts.service import SESSION_COOKIE
from app.core.access import Role, app_routes
from app.core.config import Settings
from app.main import create_app
from tests.gates.live_server import LiveSite, running_live_site

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # reported by the `browser` fixture, which skips or fails with a clear reason
    sync_playwright = None  # type: ignore[assignment]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_PATH = Path(os.environ.get("KLASTERIS_CHROMIUM", "/usr/bin/chromium"))
AXE_SCRIPT_PATH = Path(os.environ.get("KLASTERIS_AXE_JS", PROJECT_ROOT / "var/axe/node_modules/axe-core/axe.min.js"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
NARROW_VIEWPORT = {"width": 360, "height": 800}
MAX_PAGES_PER_CRAWL = 80
# Redirects to already-checked pages and non-HTML responses cost a navigation without adding a page.
MAX_NAVIGATIONS_PER_CRAWL = 3 * MAX_PAGES_PER_CRAWL
PAGE_TIMEOUT_MS = 15_000
# Enough to locate a problem in the report without drowning it.
MAX_NODES_PER_VIOLATION = 5
MAX_SNIPPET_CHARS = 220

# Route patterns each visitor must reach in every crawled locale. New features add their pages here.
_COURSE_PAGES = {"/courses", "/courses/{code}", "/competencies", "/glossary"}
_QUIZ_PAGES = {
    "/courses/{code}/quiz",
    "/courses/{code}/quiz/attempts/{number}",
    "/courses/{code}/quiz/attempts/{number}/summary",
    "/courses/{code}/quiz/attempts/{number}/review",
}
_QUIZ_TRAINER_PAGES = {
    "/courses/{code}/quiz/settings",
    "/courses/{code}/quiz/questions",
    "/courses/{code}/quiz/grading",
    "/courses/{code}/questions/{question_id}/preview",
    "/courses/{code}/questions",
    "/courses/{code}/questions/new/{question_type}",
    "/courses/{code}/questions/{question_id}/edit",
    "/courses/{code}/questions/import",
    "/courses/{code}/quiz/results",
    "/courses/{code}/quiz/results/{attempt_id}",
    "/courses/{code}/quiz/statistics",
}
_TRAINER_PAGES = {
    "/courses/{code}/learners",
    "/courses/{code}/trainer-notes",
    "/courses/{code}/progress",
} | _QUIZ_TRAINER_PAGES
# The live server's learner has completed SC2, so a certificate exists to list, check and revoke.
_LEARNER_PROGRESS_PAGES = {"/my/learning", "/my/competencies", "/verify"}
_ADMIN_PAGES = {
    "/admin/certificates",
    "/admin/certificates/{certificate_code}/revoke",
    "/verify/{certificate_code}",
    "/admin/courses/{code}/completion",
}
_TOOLKIT_PAGES = {"/toolkits", "/toolkits/{toolkit_id}"}
_TOOLKIT_TRAINER_PAGES = {
    "/courses/{code}/toolkits/upload",
    "/toolkits/{toolkit_id}/versions/new",
    "/toolkits/{toolkit_id}/edit",
    "/toolkits/{toolkit_id}/delete",
}
_TOOLKIT_ADMIN_PAGES = {"/admin/toolkits/deleted", "/programmes/{programme_code}/toolkits/upload"}
_REPORT_PAGES = {"/reports", "/reports/completions", "/reports/indicators"}
_EVENT_PAGES = {"/events", "/events/{event_id:int}"}
_EVENT_TRAINER_PAGES = {
    "/events/new",
    "/events/{event_id:int}/edit",
    "/events/{event_id:int}/cancel",
    "/events/{event_id:int}/attendance",
    "/reports/surveys",
    "/reports/surveys/{target_id:int}",
}
_SURVEY_ADMIN_PAGES = {
    "/admin/surveys",
    "/admin/surveys/new",
    "/admin/surveys/{survey_id:int}",
    "/admin/surveys/{survey_id:int}/edit",
    "/admin/surveys/{survey_id:int}/questions/{survey_question_id:int}/edit",
    "/reports/surveys",
    "/reports/surveys/{target_id:int}",
}
# The administration area has its own crawl (the "administrator" visitor), so that it is not cut short by the
# course pages the "admin" visitor already covers.
_ADMINISTRATION_PAGES = {
    "/admin",
    "/admin/audit",
    "/admin/users",
    "/admin/users/{user_id:int}",
    "/admin/users/{user_id:int}/edit",
    "/admin/users/{user_id}/anonymise",
    "/admin/organisations",
    "/admin/organisations/new",
    "/admin/organisations/{organisation_id:int}/edit",
    "/admin/organisations/{organisation_id:int}/merge",
    "/admin/users/import",
    "/admin/users/imports",
    "/admin/users/import/{import_id:int}",
    "/admin/api-tokens",
    "/admin/api-tokens/revoked",
    "/admin/api-tokens/{token_id}/revoke",
    "/api/v1/docs",
    "/my/data",
} | _REPORT_PAGES
MUST_REACH: dict[str, set[str]] = {
    "anonymous": {"/", "/login", "/register", "/forgot-password", "/reset-password/{token}"}
    | _COURSE_PAGES
    | _EVENT_PAGES,
    "learner": {"/", "/profile", "/profile/password", "/courses/{code}/lessons/{slug}"}
    | _COURSE_PAGES
    | _QUIZ_PAGES
    | _LEARNER_PROGRESS_PAGES
    | _TOOLKIT_PAGES
    | _EVENT_PAGES
    | {"/my/data", "/my/events", "/surveys/{invitation_id:int}"},
    "trainer": {"/", "/profile", "/profile/password"}
    | _TRAINER_PAGES
    | _COURSE_PAGES
    | _TOOLKIT_PAGES
    | _TOOLKIT_TRAINER_PAGES
    | _EVENT_PAGES
    | _EVENT_TRAINER_PAGES,
    "admin": {"/", "/profile", "/profile/password"}
    | _TRAINER_PAGES
    | _COURSE_PAGES
    | _ADMIN_PAGES
    | _TOOLKIT_PAGES
    | _TOOLKIT_TRAINER_PAGES
    | _TOOLKIT_ADMIN_PAGES
    | {"/admin/courses/{code}/trainers", "/admin/courses/{code}/enrol"},
    "administrator": {"/", "/profile"} | _ADMINISTRATION_PAGES | _SURVEY_ADMIN_PAGES,
    "org-manager": {"/", "/profile", "/my/data"} | _REPORT_PAGES,
}


@dataclass(frozen=True)
class Visitor:
    name: str
    roles: frozenset[Role]  # empty for the anonymous visitor
    locales: tuple[str, ...]
    # Opened after `/?lang=<locale>` and before the link crawl; `{valid_reset_token}` and
    # `{unknown_reset_token}` are filled in at run time.
    start_paths: tuple[str, ...]

    @property
    def signs_in(self) -> bool:
        return bool(self.roles)


VISITORS = (
    Visitor(
        "anonymous",
        frozenset(),
        ("lt", "en", "nb"),
        ("/reset-password/{valid_reset_token}", "/reset-password/{unknown_reset_token}"),
    ),
    Visitor("learner", frozenset({Role.LEARNER}), ("lt", "en"), ("/profile",)),
    Visitor("trainer", frozenset({Role.TRAINER, Role.LEARNER}), ("lt", "en"), ("/profile",)),
    Visitor("admin", frozenset({Role.ADMIN, Role.TRAINER, Role.LEARNER}), ("lt", "en"), ("/profile",)),
    Visitor("administrator", frozenset({Role.ADMIN}), ("lt", "en"), ("/admin",)),
    Visitor("org-manager", frozenset({Role.ORG_MANAGER, Role.LEARNER}), ("lt", "en"), ("/profile",)),
)
CRAWLS = [
    pytest.param(visitor, locale, id=f"{visitor.name}-{locale}") for visitor in VISITORS for locale in visitor.locales
]

# Same-origin links and GET forms, resolved by the browser. A form's own `action`/`method` properties can be
# shadowed by fields of that name, so the attributes are read instead.
COLLECT_TARGETS_JS = """
() => {
  const targets = Array.from(document.querySelectorAll("a[href]"), (link) => link.href);
  for (const form of document.querySelectorAll("form")) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "get") continue;
    const target = new URL(form.getAttribute("action") || document.URL, document.baseURI);
    // Pressing Enter submits with the first submit button, whose name=value is part of the query.
    const button = form.querySelector('button:not([type]), button[type="submit"], input[type="submit"]');
    let data;
    try { data = new FormData(form, button); } catch { data = new FormData(form); }
    const query = new URLSearchParams();
    for (const [name, value] of data) {
      if (typeof value === "string") query.append(name, value);
    }
    target.search = query.toString();
    target.hash = "";
    targets.push(target.href);
  }
  return targets;
}
"""
PAGE_FACTS_JS = """
() => ({
  lang: document.documentElement.getAttribute("lang"),
  title: document.title.trim(),
  h1Count: document.querySelectorAll("h1").length,
})
"""
# Also names the widest elements, so a failure says what to fix.
REFLOW_JS = """
() => {
  const limit = window.innerWidth;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + Array.from(el.classList, (name) => "." + name).join("");
  const offenders = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > limit + 0.5) {
      offenders.push(`${describe(el)} (right edge ${Math.round(box.right)} px)`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: limit, offenders: offenders.slice(0, 5)};
}
"""
RUN_AXE_JS = "(options) => axe.run(document, options)"


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    url: str
    check: str
    detail: str


@dataclass(frozen=True)
class CheckedPage:
    url: str
    pattern: str
    status: int
    title: str


@dataclass
class CrawlResult:
    visitor: str
    locale: str
    pages: list[CheckedPage] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def patterns(self) -> set[str]:
        return {page.pattern for page in self.pages}

    def report(self) -> str:
        lines = [f"{len(self.problems)} accessibility problem(s) for role={self.visitor} locale={self.locale}:"]
        for problem in self.problems:
            lines.append(f"- {problem.url} [role={self.visitor} locale={self.locale}] {problem.check}")
            lines.extend(f"    {line}" for line in problem.detail.splitlines())
        lines.append(f"Pages checked: {', '.join(page.url for page in self.pages) or 'none'}")
        return "\n".join(lines)


# --- URLs ------------------------------------------------------------------------------------


def _is_random_token(segment: str) -> bool:
    """Long URL-safe strings with a digit, capital or underscore: reset tokens, digests, UUIDs; not word slugs."""
    return (
        len(segment) >= 20
        and all(char.isascii() and (char.isalnum() or char in "-_") for char in segment)
        and any(char.isdigit() or char.isupper() or char == "_" for char in segment)
    )


@functools.cache
def _route_templates() -> list[tuple[re.Pattern[str], str]]:
    """The app's own GET route paths as regular expressions, so "/courses/SC1" counts as "/courses/{code}"."""
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    templates = []
    for route in app_routes(app):
        if "GET" in route.methods and "{" in route.path:
            # `{id:int}` matches digits only, so that /admin/users/import is not taken for a person's page.
            regex = re.sub(r"\\{\w+:int\\}", r"\\d+", re.escape(route.path))
            regex = re.sub(r"\\{\w+\\}", "[^/]+", regex)
            templates.append((re.compile(f"^{regex}$"), route.path))
    return templates


@functools.cache
def _static_paths() -> frozenset[str]:
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    return frozenset(route.path for route in app_routes(app) if "GET" in route.methods and "{" not in route.path)


def route_pattern(url: str) -> str:
    """The page's route template (ids, codes and tokens as placeholders); the query string does not count."""
    path = urlsplit(url).path or "/"
    if path in _static_paths():
        return path
    for regex, template in _route_templates():
        if regex.match(path):
            return template

    def placeholder(segment: str) -> str:
        if segment.isdigit():
            return "{id}"
        if _is_random_token(segment):
            return "{token}"
        return segment

    return "/".join(placeholder(segment) for segment in path.split("/"))


def crawlable_url(href: str, origin: str, locale: str) -> str | None:
    """The URL to open for a link or GET form target, or None when the crawler must not follow it."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    path = parts.path or "/"
    if path.startswith("/static/") or path.rstrip("/").endswith("/logout"):
        return None
    # The app reads the first `lang` value; another language belongs to another crawl.
    requested_locale = parse_qs(parts.query).get("lang", [locale])[0]
    if requested_locale != locale:
        return None
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- checks ----------------------------------------------------------------------------------


def _node_summary(node: dict[str, Any]) -> str:
    target = " >> ".join(str(selector) for selector in node.get("target", []))
    snippet = " ".join(str(node.get("html", "")).split())
    if len(snippet) > MAX_SNIPPET_CHARS:
        snippet = snippet[:MAX_SNIPPET_CHARS] + "…"
    checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
    reason = next((check["message"] for check in checks if check.get("message")), "")
    return f"{target}  {snippet}" + (f"\n      why: {reason}" if reason else "")


def axe_problems(url: str, violations: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    for violation in violations:
        nodes = violation.get("nodes", [])
        lines = [f"{violation.get('help', '')} ({violation.get('helpUrl', '')})"]
        lines.extend(f"  - {_node_summary(node)}" for node in nodes[:MAX_NODES_PER_VIOLATION])
        if len(nodes) > MAX_NODES_PER_VIOLATION:
            lines.append(f"  … and {len(nodes) - MAX_NODES_PER_VIOLATION} more element(s)")
        check = f"axe rule={violation.get('id')} impact={violation.get('impact')}"
        problems.append(Problem(url, check, "\n".join(lines)))
    return problems


def structure_problems(url: str, locale: str, facts: dict[str, Any]) -> list[Problem]:
    problems = []
    if facts["h1Count"] != 1:
        problems.append(Problem(url, "heading", f"expected exactly one <h1>, found {facts['h1Count']}"))
    if facts["lang"] != locale:
        problems.append(Problem(url, "html-lang", f'<html lang="{facts["lang"]}"> but the crawl asked for "{locale}"'))
    if not facts["title"]:
        problems.append(Problem(url, "title", "the <title> is empty"))
    return problems


def reflow_problems(page: Page, url: str) -> list[Problem]:
    """WCAG 1.4.10: at a phone-sized width the page must not scroll sideways."""
    page.set_viewport_size(NARROW_VIEWPORT)
    try:
        reflow = page.evaluate(REFLOW_JS)
    finally:
        page.set_viewport_size(DESKTOP_VIEWPORT)
    if reflow["scrollWidth"] <= reflow["innerWidth"]:
        return []
    detail = (
        f"horizontal scroll at {NARROW_VIEWPORT['width']} px: scrollWidth {reflow['scrollWidth']} > "
        f"innerWidth {reflow['innerWidth']}; widest elements: {', '.join(reflow['offenders']) or 'not found'}"
    )
    return [Problem(url, "reflow-360px", detail)]


def duplicate_title_problems(pages: list[CheckedPage]) -> list[Problem]:
    patterns_by_title: dict[str, dict[str, str]] = defaultdict(dict)
    for page in pages:
        if page.title:
            patterns_by_title[page.title].setdefault(page.pattern, page.url)
    return [
        Problem(", ".join(urls.values()), "duplicate-title", f'{len(urls)} different pages are all titled "{title}"')
        for title, urls in patterns_by_title.items()
        if len(urls) > 1
    ]


# --- crawling --------------------------------------------------------------------------------


def sign_in(page: Page, site: LiveSite, visitor: Visitor, locale: str) -> None:
    """Through the real form, as a person would; the page already carries the CSRF token."""
    account = site.accounts[visitor.name]
    page.goto(f"{site.base_url}/login?lang={locale}")
    form = page.locator('form:has([name="password"])')
    form.locator('[name="email"]').fill(account.email)
    form.locator('[name="password"]').fill(account.password)
    with page.expect_navigation():
        form.locator('[type="submit"]').click()
    if not any(cookie["name"] == SESSION_COOKIE for cookie in page.context.cookies()):
        pytest.fail(f"{visitor.name} could not sign in through /login (now on {page.url})", pytrace=False)


def start_urls(site: LiveSite, visitor: Visitor, locale: str) -> list[str]:
    tokens = {"valid_reset_token": site.reset_token, "unknown_reset_token": secrets.token_urlsafe(32)}
    # The first page sets the language (a cookie, and the saved preference when signed in); the rest inherit it.
    return [f"{site.base_url}/?lang={locale}"] + [site.base_url + path.format(**tokens) for path in visitor.start_paths]


def check_page(page: Page, url: str, locale: str, axe_script: Path) -> tuple[dict[str, Any], list[Problem]]:
    facts = page.evaluate(PAGE_FACTS_JS)
    problems = structure_problems(url, locale, facts)
    page.add_script_tag(path=str(axe_script))
    problems += axe_problems(url, page.evaluate(RUN_AXE_JS, AXE_OPTIONS)["violations"])
    problems += reflow_problems(page, url)
    return facts, problems


def crawl_site(browser: Browser, site: LiveSite, visitor: Visitor, locale: str, axe_script: Path) -> CrawlResult:
    result = CrawlResult(visitor.name, locale)
    # The site's CSP (script-src 'self') blocks the inline <script> that add_script_tag creates for axe-core;
    # bypassing CSP in this test-only context is the documented way to inject it.
    context: BrowserContext = browser.new_context(bypass_csp=True, viewport=DESKTOP_VIEWPORT)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        page = context.new_page()
        if visitor.signs_in:
            sign_in(page, site, visitor, locale)
        # Start pages are opened once each even when they share a route pattern (valid and unknown reset token).
        queue: deque[tuple[str, bool]] = deque((url, True) for url in start_urls(site, visitor, locale))
        seen_patterns: set[str] = set()
        navigations = 0
        while queue and len(result.pages) < MAX_PAGES_PER_CRAWL and navigations < MAX_NAVIGATIONS_PER_CRAWL:
            url, is_start = queue.popleft()
            if not is_start and route_pattern(url) in seen_patterns:
                continue
            navigations += 1
            try:
                response = page.goto(url, wait_until="load")
            except PlaywrightError as error:
                if "Download is starting" not in error.message:  # a file download is simply not a page
                    result.problems.append(Problem(url, "navigation", error.message.splitlines()[0]))
                continue
            final_url = page.url
            pattern = route_pattern(final_url)
            if response is None or origin_of(final_url) != site.base_url:
                continue
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            if not is_start and pattern in seen_patterns:  # redirected to a page already checked
                continue
            seen_patterns.add(pattern)
            if response.status >= 500 or (response.status == 404 and not is_start):
                result.problems.append(Problem(final_url, "http-status", f"the page answered {response.status}"))
            facts, problems = check_page(page, final_url, locale, axe_script)
            result.problems += problems
            result.pages.append(CheckedPage(final_url, pattern, response.status, facts["title"]))
            for target in page.evaluate(COLLECT_TARGETS_JS):
                next_url = crawlable_url(target, site.base_url, locale)
                if next_url is not None and route_pattern(next_url) not in seen_patterns:
                    queue.append((next_url, False))
        unvisited = {route_pattern(url) for url, _ in queue} - seen_patterns
        if unvisited:
            warnings.warn(
                f"{visitor.name}/{locale}: the crawl stopped at {len(result.pages)} pages with {len(unvisited)} "
                f"page(s) unvisited, e.g. {sorted(unvisited)[:3]}; raise MAX_PAGES_PER_CRAWL",
                stacklevel=1,
            )
        result.problems += duplicate_title_problems(result.pages)
    finally:
        context.close()
    return result


# --- fixtures --------------------------------------------------------------------------------


def skip_or_fail(reason: str) -> NoReturn:
    """A developer without Chromium gets a skip; CI must not silently pass a gate it never ran."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true, so this is a failure rather than a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE_SCRIPT_PATH.is_file():
        skip_or_fail(f"axe-core not found at {AXE_SCRIPT_PATH}; run `make axe`")
    return AXE_SCRIPT_PATH


@pytest.fixture(scope="module")
def browser(axe_script: Path) -> Iterator[Browser]:
    if sync_playwright is None:
        skip_or_fail("playwright is not installed; run `make install-dev`")
    if not CHROMIUM_PATH.is_file():
        skip_or_fail(f"Chromium not found at {CHROMIUM_PATH}; install Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def live_site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    # Depends on `browser` so that a missing browser skips before any server starts.
    accounts = {visitor.name: set(visitor.roles) for visitor in VISITORS if visitor.signs_in}
    with running_live_site(tmp_path_factory.mktemp("accessibility"), accounts) as site:
        yield site


@pytest.fixture(scope="module")
def crawl(browser: Browser, live_site: LiveSite, axe_script: Path) -> Callable[[Visitor, str], CrawlResult]:
    """Crawls the shared live site as one visitor in one locale."""

    def crawl_as(visitor: Visitor, locale: str) -> CrawlResult:
        return crawl_site(browser, live_site, visitor, locale, axe_script)

    return crawl_as


# --- tests -----------------------------------------------------------------------------------


# One test per crawl, so that under pytest-xdist each crawl runs once (two tests reading the same crawl could
# land on different workers, and each worker would crawl again).
@pytest.mark.browser
@pytest.mark.parametrize(("visitor", "locale"), CRAWLS)
def test_every_crawled_page_is_accessible_and_the_known_pages_are_reached(
    crawl: Callable[[Visitor, str], CrawlResult], visitor: Visitor, locale: str
) -> None:
    result = crawl(visitor, locale)
    failures = [result.report()] if result.problems else []
    missing = MUST_REACH[visitor.name] - result.patterns
    if missing:
        failures.append(
            f"role={visitor.name} locale={locale}: the crawler did not reach {sorted(missing)}; "
            f"it checked {sorted(result.patterns)}"
        )
    assert not failures, "\n\n".join(failures)
