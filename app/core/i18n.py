"""Translations (gettext via Babel), the request's locale, and locale-aware formatting."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from babel.support import LazyProxy, NullTranslations, Translations
from babel.units import format_unit

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
DISPLAY_TIMEZONE = "Europe/Vilnius"

_current_locale: ContextVar[str] = ContextVar("klasteris_locale", default="lt")
T = TypeVar("T")


@cache
def translations_for(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)


def set_locale(locale: str) -> None:
    _current_locale.set(locale)


def get_locale() -> str:
    return _current_locale.get()


def gettext(message: str, **variables: Any) -> str:
    text = translations_for(get_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations_for(get_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def unformatted_gettext(message: str) -> str:
    """For Jinja's newstyle gettext, which substitutes the variables itself."""
    return translations_for(get_locale()).gettext(message)


def unformatted_ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(get_locale()).ngettext(singular, plural, n)


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """For module-level strings, translated when they are shown rather than at import."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


_ = gettext


def negotiate_locale(accept_language: str | None, available: tuple[str, ...]) -> str | None:
    """Pick the first supported language from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        weighted.append((-quality, position, tag.strip().lower()))
    for _q, _pos, tag in sorted(weighted):
        primary = tag.split("-")[0]
        # Norwegian Bokmål is commonly sent as "no" or "nb".
        if primary in ("no", "nn"):
            primary = "nb"
        if primary in available:
            return primary
    return None


def pick(translations: Mapping[str, T], locale: str | None = None) -> T | str:
    """The value in the locale; otherwise English for non-Lithuanian readers, then Lithuanian."""
    for candidate in (locale or get_locale(), "en", "lt"):
        value = translations.get(candidate)
        if value:
            return value
    return ""


def language_name(locale: str) -> str:
    """The language's own name ("lietuvių", "English", "norsk bokmål"), for the switcher."""
    return Locale.parse(locale).get_display_name(locale) or locale


def format_date_local(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, format=fmt, tzinfo=DISPLAY_TIMEZONE, locale=get_locale())
    return format_date(value, format=fmt, locale=get_locale())


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar day in Lithuania of a UTC moment (now when none is given): what certificates print."""
    zone = ZoneInfo(DISPLAY_TIMEZONE)
    return (moment.astimezone(zone) if moment is not None else dt.datetime.now(zone)).date()


# Alphabetical order per language: Lithuanian puts ą after a, č after c, y right after į, ž last;
# Norwegian puts æ, ø, å after z. English needs no table.
_ALPHABETS = {
    "lt": "aąbcčdeęėfghiįyjklmnopqrsštuųūvwxzž",
    "nb": "abcdefghijklmnopqrstuvwxyzæøå",
    "en": "abcdefghijklmnopqrstuvwxyz",
}


def collation_key(text: str, locale: str | None = None) -> tuple[tuple[int, ...], str]:
    """A sort key ordering names and titles as readers of the locale expect (a small stand-in for ICU).

    Letters compare by their place in the language's alphabet; spaces and punctuation come before letters;
    a letter the alphabet lacks (é in Lithuanian) counts as its base letter, and only breaks ties.
    """
    alphabet = _ALPHABETS.get(locale or get_locale(), _ALPHABETS["en"])
    folded = unicodedata.normalize("NFC", text).casefold()
    primary = []
    for char in folded:
        if char in alphabet:
            primary.append(alphabet.index(char) + 1)
        elif char.isalpha():
            base = unicodedata.normalize("NFD", char)[0]
            primary.append(alphabet.index(base) + 1 if base in alphabet else len(alphabet) + 1)
        else:
            primary.append(0)
    return tuple(primary), folded


def format_day(moment: dt.datetime | None) -> str:
    """Only the calendar day of a moment, in Lithuania: completion dates are days, not times."""
    return format_date_local(local_date(moment)) if moment is not None else ""


def format_number(value: float | int) -> str:
    return format_decimal(value, locale=get_locale())


_SIZE_UNITS = (("digital-gigabyte", 1024**3), ("digital-megabyte", 1024**2), ("digital-kilobyte", 1024))


def format_file_size(size: int) -> str:
    """A file size in the largest unit that fits ("2,5 MB" in Lithuanian), counted in powers of 1024."""
    for unit, factor in _SIZE_UNITS:
        if size >= factor:
            return format_unit(round(size / factor, 1), unit, length="short", locale=get_locale())
    return format_unit(size, "digital-byte", length="short", locale=get_locale())


def format_share(value: float) -> str:
    return format_percent(value, locale=get_locale())


class using_locale:  # noqa: N801 - used like a function: `with using_locale("en"):`
    """Temporarily switch locale, e.g. to write an email in the recipient's language."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._token: Any = None

    def __enter__(self) -> None:
        self._token = _current_locale.set(self.locale)

    def __exit__(self, *_exc: object) -> None:
        _current_locale.reset(self._token)
