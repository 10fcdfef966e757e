"""Every user-visible string is translated: complete catalogues, and no unwrapped text on any page."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.partners import PARTNER_INSTITUTIONS
from app.core import i18n
from app.core.config import SUPPORTED_LOCALES
from tests.factories import log_in, make_user

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
ANONYMOUS_PAGES = ["/", "/login", "/register", "/forgot-password", "/reset-password/not-a-real-token", "/no-such-page"]
SIGNED_IN_PAGES = ["/", "/profile", "/profile/password"]


def _catalogue(locale: str) -> Catalog:
    with open(ROOT / "app" / "locale" / locale / "LC_MESSAGES" / "messages.po", "rb") as po_file:
        return read_po(po_file, locale=locale)


def _strings(message_string: str | tuple[str, ...]) -> tuple[str, ...]:
    return message_string if isinstance(message_string, tuple) else (message_string,)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalogue_has_no_empty_or_fuzzy_translation(locale: str) -> None:
    catalogue = _catalogue(locale)
    empty = [message.id for message in catalogue if message.id and not all(_strings(message.string))]
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    assert empty == [], f"untranslated in {locale}: {empty}"
    assert fuzzy == [], f"fuzzy in {locale}: {fuzzy}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    broken = []
    for message in _catalogue(locale):
        if not message.id:
            continue
        source = " ".join(_strings(message.id))
        for translated in _strings(message.string):
            if sorted(set(PLACEHOLDER.findall(translated))) != sorted(set(PLACEHOLDER.findall(source))):
                broken.append(message.id)
    assert broken == []


def test_catalogues_contain_every_string_in_the_code(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    # The input path is "." because babel.cfg's patterns (app/**.py, templates/**.html) are relative to it;
    # --ignore-dirs replaces Babel's default, which would skip templates/_macros/.
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "--ignore-dirs=.* node_modules var",
         "--no-location", "-o", str(template), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with open(template, "rb") as pot_file:
        in_code = {message.id for message in read_po(pot_file) if message.id}
    assert len(in_code) > 100, "extraction found almost nothing: check babel.cfg"
    for locale in SUPPORTED_LOCALES:
        in_catalogue = {message.id for message in _catalogue(locale) if message.id}
        missing = in_code - in_catalogue
        assert not missing, f"run `make extract-messages` and translate for {locale}: {sorted(missing, key=str)}"


class _TextCollector(HTMLParser):
    """Collects visible text and accessible-name attributes, skipping elements in another language."""

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self, page_locale: str) -> None:
        super().__init__()
        self.page_locale = page_locale
        self.foreign_depth: list[str] = []
        self.skip_depth: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("script", "style", "title"):
            self.skip_depth.append(tag)
        lang = attributes.get("lang")
        # Autonyms in the language switcher and the product name are marked translate="no" on purpose.
        if tag != "html" and ((lang and lang != self.page_locale) or attributes.get("translate") == "no"):
            self.foreign_depth.append(tag)
        for name in self.ATTRIBUTES:
            if attributes.get(name):
                self.texts.append(attributes[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if self.skip_depth and self.skip_depth[-1] == tag:
            self.skip_depth.pop()
        if self.foreign_depth and self.foreign_depth[-1] == tag:
            self.foreign_depth.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and not self.foreign_depth and data.strip():
            self.texts.append(data.strip())


@pytest.fixture
def pseudo_translations(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every translated string comes out wrapped in ⟦…⟧, so any text without the marks was never translated."""

    class Pseudo(NullTranslations):
        def gettext(self, message: str) -> str:
            return f"⟦{message}⟧"

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            return f"⟦{singular if n == 1 else plural}⟧"

    monkeypatch.setattr(i18n, "translations_for", lambda locale: Pseudo())
    yield


def _untranslated(html: str, allowed_data: set[str]) -> list[str]:
    collector = _TextCollector("lt")
    collector.feed(html)
    leftovers = []
    for text in collector.texts:
        remainder = re.sub(r"⟦.*?⟧", "", text, flags=re.S)
        for data in sorted(allowed_data, key=len, reverse=True):
            remainder = remainder.replace(data, "")
        if re.search(r"[^\W\d_]{2,}", remainder):
            leftovers.append(text)
    return leftovers


def _allowed_data() -> set[str]:
    names = {partner.name_lt for partner in PARTNER_INSTITUTIONS} | {
        partner.name_en for partner in PARTNER_INSTITUTIONS
    }
    # Dates are formatted by Babel per locale rather than by gettext.
    return names | {"Rūta Žemaitė", "pseudo@example.lt"} | {
        "lapkr", "lapkričio", "sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos",
        "rugpjūčio", "rugsėjo", "spalio", "gruodžio", "d", "m", "val",
    }  # fmt: skip


def test_no_page_shows_text_that_bypassed_gettext(client: TestClient, db: Session, pseudo_translations: None) -> None:
    problems: dict[str, list[str]] = {}
    for path in ANONYMOUS_PAGES:
        problems[path] = _untranslated(client.get(path).text, _allowed_data())
    user = make_user(db, email_address="pseudo@example.lt")
    log_in(client, user.email)
    for path in SIGNED_IN_PAGES:
        problems[f"{path} (signed in)"] = _untranslated(client.get(path).text, _allowed_data())
    assert {path: texts for path, texts in problems.items() if texts} == {}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_page_renders_in_every_locale(client: TestClient, db: Session, locale: str) -> None:
    user = make_user(db)
    for path in ANONYMOUS_PAGES:
        response = client.get(f"{path}?lang={locale}")
        assert f'<html lang="{locale}">' in response.text, path
    log_in(client, user.email)
    for path in SIGNED_IN_PAGES:
        response = client.get(f"{path}?lang={locale}")
        assert response.status_code == 200
        assert f'<html lang="{locale}">' in response.text, path


def test_lithuanian_is_the_default(client: TestClient) -> None:
    assert '<html lang="lt">' in client.get("/").text


def test_accept_language_is_honoured(client: TestClient) -> None:
    assert '<html lang="nb">' in client.get("/", headers={"accept-language": "no-NO,no;q=0.9,en;q=0.5"}).text
    assert '<html lang="en">' in client.get("/", headers={"accept-language": "de-DE, en;q=0.8"}).text
    assert '<html lang="lt">' in client.get("/", headers={"accept-language": "de-DE"}).text


def test_switcher_choice_is_remembered_in_a_cookie(client: TestClient) -> None:
    client.get("/?lang=en")
    assert '<html lang="en">' in client.get("/login").text


def test_account_preference_wins_over_cookie_and_browser(client: TestClient, db: Session) -> None:
    user = make_user(db, locale="nb")
    client.get("/?lang=en")
    log_in(client, user.email)
    assert '<html lang="nb">' in client.get("/", headers={"accept-language": "en"}).text


def test_switching_language_while_signed_in_updates_the_preference(client: TestClient, db: Session) -> None:
    user = make_user(db, locale="lt")
    log_in(client, user.email)
    client.get("/profile?lang=en")
    db.refresh(user)
    assert user.locale == "en"
    assert '<html lang="en">' in client.get("/").text


def test_dates_are_formatted_per_locale() -> None:
    import datetime as dt

    moment = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    with i18n.using_locale("lt"):
        lithuanian = i18n.format_date_local(moment)
    with i18n.using_locale("en"):
        english = i18n.format_date_local(moment)
    assert "2026" in lithuanian and "Nov" in english and lithuanian != english
