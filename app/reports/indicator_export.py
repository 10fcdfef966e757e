"""The indicators as an Excel workbook: the dashboard's figures and tables, one sheet each, with the filters.

Also owns the "how counted" wording, shared by the page and the workbook so the two never disagree.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import AuditAction, record
from app.core.db import utcnow
from app.core.i18n import _, pick
from app.core.spreadsheets import spreadsheet_safe
from app.reports.indicators import IndicatorFilters, IndicatorsView, indicators_view
from app.reports.scope import report_scope
from app.surveys.results import MIN_RESPONSES

SHARE_FORMAT = "0.0%"
DAY_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "yyyy-mm"
BOLD = Font(bold=True)
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def how_counted() -> list[tuple[str, str]]:
    """(figure, how it is counted), in the reader's language."""
    return [
        (
            _("Registered learners"),
            _(
                "People with the learner role. With a period: those who registered within it. People whose "
                "personal data were erased still count, as do deactivated accounts."
            ),
        ),
        (
            _("Participants"),
            _(
                "Learners who started at least one course: they ticked a lesson, started a quiz attempt (trainers' "
                "previews excluded) or have a completion record past “not started”. With a period: those whose "
                "first such activity falls within it. People who attended a training event held in the period "
                "count too; someone who did both counts once."
            ),
        ),
        (
            _("Completions"),
            _(
                "Course completions dated within the period, per course and per programme. A learner who completes "
                "two courses counts twice."
            ),
        ),
        (
            _("Completion rate"),
            _(
                "Of a course's participants (their first activity in the course within the period), the share who "
                "had completed the course by the end of the period."
            ),
        ),
        (
            _("Average quiz grade"),
            _(
                "The mean of learners' course quiz grades, each by the quiz's grading method, from finished attempts "
                "only. With a period: learners who finished an attempt within it."
            ),
        ),
        (
            _("Training events held"),
            _(
                "Training events marked as held whose start falls within the period. An organisation filter does "
                "not narrow this count: people of every organisation may attend the same event."
            ),
        ),
        (
            _("Attendance at training events"),
            _(
                "Participants a trainer marked “attended” at those events; someone who attended two events counts "
                "twice. With an organisation filter: the attendance of that organisation's people only."
            ),
        ),
        (
            _("Satisfaction rate (answers of 4 or 5)"),
            _(
                "Of every rating (1 to 5) in the satisfaction survey responses given within the period, for events "
                "and courses together, the share of 4 and 5. Shown from %(num)s responses on; answers are "
                "anonymous and carry no organisation, so with an organisation filter it is not shown.",
                num=MIN_RESPONSES,
            ),
        ),
        (
            _("Period and organisation"),
            _(
                "A period runs from the start date to the end date, both days included, in UTC (Coordinated "
                "Universal Time), as in the completion records export. Organisation is the one in each person's "
                "profile."
            ),
        ),
    ]


def satisfaction_unavailable(filters: IndicatorFilters) -> str:
    """Why the satisfaction rate is not shown (it is None)."""
    if filters.organisation_id is not None:
        return _("Not shown for one organisation: survey answers are anonymous.")
    return _("Not shown: fewer than %(num)s survey responses in this period.", num=MIN_RESPONSES)


@dataclass(frozen=True)
class IndicatorDownload:
    filename: str
    content: bytes


def export_indicators(
    session: Session, *, reader: User, filters: IndicatorFilters, locale: str, ip_address: str
) -> IndicatorDownload:
    """The workbook for the filters, recorded in the audit log with the filters as applied."""
    view = indicators_view(session, scope=report_scope(reader), filters=filters, locale=locale)
    assert view.indicators is not None  # computed whenever filters are given
    applied = view.indicators.filters
    record(
        session,
        actor=reader,
        action=AuditAction.INDICATORS_EXPORTED,
        target_type="indicators",
        details={**applied.as_audit_details(), "format": "xlsx"},
        ip_address=ip_address,
    )
    generated_at = utcnow()
    content = indicators_workbook(view, locale=locale, generated_at=generated_at)
    return IndicatorDownload(filename=f"programme-indicators-{generated_at.date().isoformat()}.xlsx", content=content)


def _text(value: Any) -> Any:
    # Names and titles come from people and content files: never let one become a formula.
    return spreadsheet_safe(value) if isinstance(value, str) else value


def _sheet_name(title: str) -> str:
    return _SHEET_NAME_FORBIDDEN.sub("-", title)[:31] or "-"


def _fill(
    sheet: Worksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    formats: dict[int, str] | None = None,
    widths: Sequence[int] = (),
) -> None:
    """A table: bold frozen header row, typed cells, number formats per column (0-based index)."""
    sheet.append([_text(title) for title in header])
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_text(value) for value in row])
    for index, number_format in (formats or {}).items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cell.number_format = number_format
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _share(value: float | None) -> float | None:
    return round(value, 6) if value is not None else None


def indicators_workbook(view: IndicatorsView, *, locale: str, generated_at: dt.datetime) -> bytes:
    indicators = view.indicators
    assert indicators is not None
    filters = indicators.filters
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = _sheet_name(_("Summary"))
    average = indicators.average_grade
    _fill(
        summary,
        [_("Item"), _("Value")],
        [
            [_("Period from"), filters.date_from or _("No start date")],
            [_("Period to"), filters.date_to or _("No end date")],
            [_("Organisation"), view.organisation_name or _("All organisations")],
            # Excel cannot store a time zone: the time is written in UTC and the label says so.
            [_("Generated (UTC)"), generated_at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)],
            [_("Registered learners"), indicators.registered_learners],
            [_("Participants"), indicators.participants],
            [_("Completions"), indicators.completions],
            [_("Average quiz grade"), _share(average / 100) if average is not None else None],
            [_("Training events held"), indicators.training_events],
            [_("Attendance at training events"), indicators.event_attendance],
            [
                _("Satisfaction rate (answers of 4 or 5)"),
                _share(indicators.satisfaction_rate)
                if indicators.satisfaction_rate is not None
                else satisfaction_unavailable(filters),
            ],
        ],
        widths=(36, 40),
    )
    for row in (2, 3):
        if isinstance(summary.cell(row=row, column=2).value, dt.date):
            summary.cell(row=row, column=2).number_format = DAY_FORMAT
    summary.cell(row=5, column=2).number_format = "yyyy-mm-dd hh:mm"
    summary.cell(row=9, column=2).number_format = SHARE_FORMAT
    summary.cell(row=12, column=2).number_format = SHARE_FORMAT  # satisfaction rate (text when not shown)

    _fill(
        workbook.create_sheet(_sheet_name(_("Courses"))),
        [
            _("Programme"),
            _("Course code"),
            _("Course"),
            _("Participants"),
            _("Participants who completed"),
            _("Completion rate"),
            _("Completions in the period"),
            _("Learners with a quiz grade"),
            _("Average quiz grade"),
        ],
        [
            [
                course.programme_code,
                course.code,
                pick(course.title, locale),
                course.participants,
                course.completed_participants,
                _share(course.completion_rate),
                course.completions,
                course.graded_learners,
                _share(course.average_grade / 100) if course.average_grade is not None else None,
            ]
            for course in indicators.courses
        ],
        formats={5: SHARE_FORMAT, 8: SHARE_FORMAT},
        widths=(12, 12, 48, 14, 14, 14, 14, 14, 14),
    )
    _fill(
        workbook.create_sheet(_sheet_name(_("Programmes"))),
        [_("Programme code"), _("Programme"), _("Completions in the period")],
        [[programme.code, pick(programme.title, locale), programme.completions] for programme in indicators.programmes],
        widths=(16, 48, 16),
    )
    _fill(
        workbook.create_sheet(_sheet_name(_("Organisations"))),
        [_("Organisation"), _("Registered learners"), _("Participants"), _("Completions")],
        [
            [row.name(locale), row.registered_learners, row.participants, row.completions]
            for row in view.organisation_rows
        ],
        widths=(56, 16, 16, 16),
    )
    by_year = indicators.registrations_by == "year"
    _fill(
        workbook.create_sheet(_sheet_name(_("Registrations"))),
        [_("Year") if by_year else _("Month"), _("Registered learners")],
        [[period.start.year if by_year else period.start, period.count] for period in indicators.registrations],
        formats={} if by_year else {0: MONTH_FORMAT},
        widths=(16, 20),
    )
    _fill(
        workbook.create_sheet(_sheet_name(_("How counted"))),
        [_("Figure"), _("How it is counted")],
        how_counted(),
        widths=(32, 120),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
