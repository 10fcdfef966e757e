"""Report filters as typed in a query string or on the command line: period, organisation, course and state.

`ReportPeriodQuery` (organisation and date range) is shared by every report; the completion records
export adds the programme, the course and the completion state, and its download the file format.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlencode

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.core.forms import ChoiceId
from app.core.i18n import _
from app.progress.models import CompletionState
from app.reports.completions import CompletionFilters

# Programme and course codes as the content files write them (SC1, AC2, XP10…).
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")


class ExportFormat(StrEnum):
    CSV = "csv"
    CSV_EXCEL = "csv-excel"
    XLSX = "xlsx"
    XAPI = "xapi"


def _report_date(value: object) -> object:
    """A calendar day written YYYY-MM-DD, what `<input type="date">` sends (and what a script would type)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise PydanticCustomError("klasteris_date", _("Enter a date like 2026-11-23 (year, month, day)."))


def _code(kind: str) -> BeforeValidator:
    def check(value: object) -> object:
        if not isinstance(value, str):
            return value
        if not _CODE.fullmatch(value.strip()):
            if kind == "course":
                raise PydanticCustomError("klasteris_code", _("There is no course with this code."))
            raise PydanticCustomError("klasteris_code", _("There is no programme with this code."))
        return value.strip()

    return BeforeValidator(check)


ReportDate = Annotated[dt.date | None, BeforeValidator(_report_date)]


class ReportPeriodQuery(BaseModel):
    """Organisation and inclusive date range; an empty field means "any"."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    organisation: ChoiceId = None
    date_from: ReportDate = Field(default=None, alias="from")
    date_to: ReportDate = Field(default=None, alias="to")

    @model_validator(mode="before")
    @classmethod
    def blank_means_any(cls, data: object) -> object:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value not in ("", None)}
        return data

    @model_validator(mode="after")
    def range_in_order(self) -> ReportPeriodQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError(
                "klasteris_date_range", _("The end date must not be before the start date."), {"field": "to"}
            )
        return self


class CompletionQuery(ReportPeriodQuery):
    """The completion records filters. Codes are checked against the database by `exports.resolve_filters`."""

    programme: Annotated[str | None, _code("programme")] = None
    course: Annotated[str | None, _code("course")] = None
    state: CompletionState | None = None

    def filters(self, *, organisation_id: int | None = None) -> CompletionFilters:
        return CompletionFilters(
            programme_code=self.programme,
            course_code=self.course,
            organisation_id=organisation_id if organisation_id is not None else self.organisation,
            state=self.state,
            completed_from=self.date_from,
            completed_to=self.date_to,
        )


class CompletionDownloadQuery(CompletionQuery):
    format: ExportFormat = ExportFormat.CSV


def completion_query_string(filters: CompletionFilters, **extra: str) -> str:
    """The filters as the page's query string (the form's field names), for links that keep them."""
    values = {
        "programme": filters.programme_code or "",
        "course": filters.course_code or "",
        "organisation": str(filters.organisation_id or ""),
        "state": filters.state.value if filters.state else "",
        "from": filters.completed_from.isoformat() if filters.completed_from else "",
        "to": filters.completed_to.isoformat() if filters.completed_to else "",
        **extra,
    }
    return urlencode({key: value for key, value in values.items() if value})
