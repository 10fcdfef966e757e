"""Form models of the event pages: the list's filters, an event's details, and a cancellation's reason."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.accounts.schemas import normalise_email
from app.core.forms import DbId
from app.core.i18n import _
from app.events.models import EventFormat
from app.events.times import COUNTRY_ZONES, VENUE_ZONES, NonexistentLocalTime, default_zone, to_utc

MAX_CAPACITY = 10_000
MAX_TRAINERS = 20
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_EMAIL_SEPARATORS = re.compile(r"[\s,;]+")

Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _checkbox(value: object) -> object:
    # A ticked box sends "on"; an unticked one sends nothing at all.
    return value in ("on", "true", "1", True)


class EventFilters(BaseModel):
    """The list's filters from the query string; an empty select means "all"."""

    model_config = ConfigDict(extra="ignore")

    course: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2)] = ""
    month: Annotated[str, StringConstraints(strip_whitespace=True, max_length=7)] = ""
    past: Annotated[bool, BeforeValidator(_checkbox)] = False
    page: Annotated[int, BeforeValidator(lambda value: value or 1), Field(ge=1, le=100_000)] = 1

    @field_validator("month")
    @classmethod
    def _month_shape(cls, value: str) -> str:
        if value and not _MONTH.fullmatch(value):
            raise PydanticCustomError("klasteris_month", _("Choose a month, for example 2027-03."))
        return value


class EventForm(BaseModel):
    """An event as organisers type it: times are wall times at the venue, converted to UTC once valid."""

    model_config = ConfigDict(extra="ignore")

    title_lt: Title = ""
    title_en: Title = ""
    description_lt: Description = ""
    description_en: Description = ""
    course_ids: list[DbId] = Field(default_factory=list, max_length=200)
    format: EventFormat
    venue: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    country: Literal[tuple(COUNTRY_ZONES)]  # type: ignore[valid-type]
    time_zone: Literal[VENUE_ZONES]  # type: ignore[valid-type]
    start_date: dt.date
    start_time: dt.time
    end_date: dt.date
    end_time: dt.time
    deadline_date: Annotated[dt.date | None, BeforeValidator(_blank_is_none)] = None
    deadline_time: Annotated[dt.time | None, BeforeValidator(_blank_is_none)] = None
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY)]
    counts_toward_completion: Annotated[bool, BeforeValidator(_checkbox)] = False
    trainer_emails: Annotated[str, StringConstraints(max_length=5000)] = ""

    _starts_at: dt.datetime = PrivateAttr()
    _ends_at: dt.datetime = PrivateAttr()
    _deadline: dt.datetime = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _zone_from_country(cls, data: object) -> object:
        """No zone chosen: the venue's country's own (Vilnius for Lithuania, Oslo for Norway)."""
        if isinstance(data, dict) and not data.get("time_zone") and data.get("country") in COUNTRY_ZONES:
            return {**data, "time_zone": default_zone(str(data["country"]))}
        return data

    @field_validator("start_date", "end_date", "deadline_date")
    @classmethod
    def _plausible_year(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not 2000 <= value.year <= 2100:
            raise PydanticCustomError("klasteris_year", _("Enter a date between the years 2000 and 2100."))
        return value

    @field_validator("trainer_emails")
    @classmethod
    def _addresses(cls, value: str) -> str:
        """Addresses separated by spaces, commas or lines, normalised and without repeats."""
        addresses: list[str] = []
        for part in _EMAIL_SEPARATORS.split(value):
            address = normalise_email(part) if part else ""
            if address and address not in addresses:
                addresses.append(address)
        if len(addresses) > MAX_TRAINERS:
            raise PydanticCustomError("klasteris_trainers", _("Name at most %(count)s trainers.", count=MAX_TRAINERS))
        return " ".join(addresses)

    @model_validator(mode="after")
    def _times_in_order(self) -> EventForm:
        if not (self.title_lt or self.title_en):
            raise PydanticCustomError(
                "klasteris_title", _("Enter a title in at least one language."), {"field": "title_lt"}
            )
        if not self.course_ids:
            raise PydanticCustomError(
                "klasteris_courses", _("Choose at least one course the event belongs to."), {"field": "course_ids"}
            )
        self._starts_at = _venue_moment(self.start_date, self.start_time, self.time_zone, "start_time")
        self._ends_at = _venue_moment(self.end_date, self.end_time, self.time_zone, "end_time")
        if self._ends_at <= self._starts_at:
            raise PydanticCustomError("klasteris_end", _("The event must end after it starts."), {"field": "end_time"})
        if (self.deadline_date is None) != (self.deadline_time is None):
            field = "deadline_time" if self.deadline_time is None else "deadline_date"
            raise PydanticCustomError(
                "klasteris_deadline",
                _("Enter both the date and the time of the deadline, or neither."),
                {"field": field},
            )
        if self.deadline_date is not None and self.deadline_time is not None:
            self._deadline = _venue_moment(self.deadline_date, self.deadline_time, self.time_zone, "deadline_time")
            if self._deadline > self._starts_at:
                raise PydanticCustomError(
                    "klasteris_deadline",
                    _("The registration deadline cannot be after the event starts."),
                    {"field": "deadline_date"},
                )
        else:
            self._deadline = self._starts_at
        return self

    @property
    def starts_at(self) -> dt.datetime:
        return self._starts_at

    @property
    def ends_at(self) -> dt.datetime:
        return self._ends_at

    @property
    def registration_deadline(self) -> dt.datetime:
        return self._deadline

    def trainer_addresses(self) -> list[str]:
        return [address for address in self.trainer_emails.split() if address]


def _venue_moment(day: dt.date, time: dt.time, zone: str, field: str) -> dt.datetime:
    try:
        return to_utc(day, time.replace(second=0, microsecond=0), zone)
    except NonexistentLocalTime:
        raise PydanticCustomError(
            "klasteris_nonexistent_time",
            _("This time does not exist at the venue: the clocks move forward an hour that night. Choose another."),
            {"field": field},
        ) from None


class CancelForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class StatusForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action: Literal["open", "close", "held"]
