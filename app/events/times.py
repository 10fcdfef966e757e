"""Event times: venues' time zones, local wall time to UTC (with DST gaps and overlaps), and their display."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location

from app.core.i18n import get_locale

# The zones an organiser may choose for a venue; stored as IANA names, shown with their city.
VENUE_ZONES = (
    "Europe/Vilnius",
    "Europe/Oslo",
    "Europe/Riga",
    "Europe/Tallinn",
    "Europe/Warsaw",
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Europe/Copenhagen",
    "Europe/Berlin",
    "UTC",
)
# The countries offered for a venue (Lithuania and Norway first), each with the zone the form proposes.
COUNTRY_ZONES = {
    "LT": "Europe/Vilnius",
    "NO": "Europe/Oslo",
    "LV": "Europe/Riga",
    "EE": "Europe/Tallinn",
    "PL": "Europe/Warsaw",
    "SE": "Europe/Stockholm",
    "FI": "Europe/Helsinki",
    "DK": "Europe/Copenhagen",
    "DE": "Europe/Berlin",
}
_TIME_FORMAT = "HH:mm"  # 24-hour clock in every language: the programme's countries all use it


class NonexistentLocalTime(ValueError):
    """The clock skips this wall time (the spring change to summer time)."""


def default_zone(country: str) -> str:
    return COUNTRY_ZONES.get(country, "UTC")


def to_utc(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """A wall time at the venue as a UTC moment. In the autumn overlap the first occurrence is meant."""
    local = dt.datetime.combine(day, time, tzinfo=ZoneInfo(zone)).replace(fold=0)
    moment = local.astimezone(dt.UTC)
    # A time inside the spring gap does not survive the round trip: it comes back an hour later.
    if moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentLocalTime(f"{day} {time} does not exist in {zone}")
    return moment


def at_venue(moment: dt.datetime, zone: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(zone))


def zone_city(zone: str, locale: str | None = None) -> str:
    """The zone's city in the reader's language ("Vilnius", "Oslas"); "UTC" for UTC."""
    if zone == "UTC":
        return "UTC"
    return get_timezone_location(ZoneInfo(zone), locale=locale or get_locale(), return_city=True)


def utc_offset(local: dt.datetime) -> str:
    offset = local.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label(moment: dt.datetime, zone: str, locale: str | None = None) -> str:
    """ "EET (Vilnius, UTC+02:00)": the abbreviation in force at that moment, the city and the offset."""
    local = at_venue(moment, zone)
    if zone == "UTC":
        return "UTC"
    return f"{local.tzname()} ({zone_city(zone, locale)}, {utc_offset(local)})"


def format_moment(moment: dt.datetime, zone: str, locale: str | None = None) -> str:
    """One moment at the venue with its zone: "March 12, 2027, 10:00 EET (Vilnius, UTC+02:00)"."""
    locale = locale or get_locale()
    local = at_venue(moment, zone)
    day = format_date(local.date(), "long", locale=locale)
    return f"{day}, {format_time(local, _TIME_FORMAT, locale=locale)} {zone_label(moment, zone, locale)}"


def format_span(starts_at: dt.datetime, ends_at: dt.datetime, zone: str, locale: str | None = None) -> str:
    """An event's time at the venue: one day as "day, 10:00–16:00 EET (…)", several days with both dates."""
    locale = locale or get_locale()
    start, end = at_venue(starts_at, zone), at_venue(ends_at, zone)
    start_time = format_time(start, _TIME_FORMAT, locale=locale)
    end_time = format_time(end, _TIME_FORMAT, locale=locale)
    first_day = format_date(start.date(), "long", locale=locale)
    if start.date() == end.date():
        return f"{first_day}, {start_time}–{end_time} {zone_label(starts_at, zone, locale)}"
    last_day = format_date(end.date(), "long", locale=locale)
    return f"{first_day}, {start_time} – {last_day}, {end_time} {zone_label(starts_at, zone, locale)}"


def month_in_zone(month: str, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC moments where a calendar month "YYYY-MM" begins and ends at a venue in `zone`."""
    year, number = (int(part) for part in month.split("-"))
    first = dt.date(year, number, 1)
    after = dt.date(year + number // 12, number % 12 + 1, 1)
    return to_utc(first, dt.time(0), zone), to_utc(after, dt.time(0), zone)
