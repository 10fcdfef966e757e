"""Completion records exports: filters checked against the database, the page's preview, the audit entry, the files.

Every format is written from `iter_completion_records`, a batch of rows at a time, so 100,000 records never
sit in memory together: CSV and xAPI are encoded as they are read, XLSX goes through openpyxl's write-only
workbook into a temporary file that is then sent in chunks and deleted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.audit.service import Actor, AuditAction, SystemActor, record
from app.core.forms import FormInvalid
from app.core.i18n import _, collation_key, pick
from app.core.spreadsheets import spreadsheet_safe
from app.courses.models import Course, Programme
from app.progress.models import CompletionState
from app.progress.report import state_labels
from app.reports import xapi
from app.reports.completions import (
    BATCH_SIZE,
    CompletionFilters,
    CompletionRecord,
    count_completion_records,
    iter_completion_records,
)
from app.reports.schemas import CompletionQuery, ExportFormat, completion_query_string
from app.reports.scope import ReportScope

PREVIEW_SIZE = 50
CHUNK_BYTES = 64 * 1024

# The plain CSV is for scripts and HR systems: its header and state values never change with the language.
MACHINE_HEADER = (
    "learner_id",
    "full_name",
    "email",
    "organisation",
    "job_title",
    "programme",
    "course_code",
    "course_title",
    "enrolled_at",
    "completed_at",
    "state",
    "quiz_grade",
    "hours",
    "certificate_code",
    "certificate_url",
)
_XLSX_WIDTHS = (11, 28, 32, 40, 26, 34, 12, 44, 21, 21, 14, 12, 8, 18, 52)
_HEADER_FILL = PatternFill(fill_type="solid", start_color="DCE6F1", end_color="DCE6F1")

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.CSV_EXCEL: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.XAPI: "application/json",
}
_FILE_SUFFIXES = {
    ExportFormat.CSV: ".csv",
    ExportFormat.CSV_EXCEL: "-excel.csv",
    ExportFormat.XLSX: ".xlsx",
    ExportFormat.XAPI: "-xapi.json",
}


@dataclass(frozen=True)
class ExportLabels:
    header: tuple[str, ...]
    states: Mapping[CompletionState, str]
    # Chosen where the language is known: the writers may run in another thread while the response streams.
    sheet_title: str


def machine_labels() -> ExportLabels:
    return ExportLabels(
        header=MACHINE_HEADER, states={state: state.value for state in CompletionState}, sheet_title="completions"
    )


def reader_labels() -> ExportLabels:
    """The header and states in the current language, for people opening the file in a spreadsheet."""
    header = (
        _("Learner ID"),
        _("Full name"),
        _("Email"),
        _("Organisation"),
        _("Job title"),
        _("Programme"),
        _("Course code"),
        _("Course title"),
        _("Enrolled at (UTC)"),
        _("Completed at (UTC)"),
        _("State"),
        _("Quiz grade (%)"),
        _("Hours"),
        _("Certificate code"),
        _("Certificate URL"),
    )
    # Excel allows at most 31 characters in a sheet name.
    return ExportLabels(header=header, states=state_labels(), sheet_title=_("Completion records")[:31])


def labels_for(export_format: ExportFormat) -> ExportLabels:
    return machine_labels() if export_format is ExportFormat.CSV else reader_labels()


def export_filename(export_format: ExportFormat, day: dt.date) -> str:
    return f"completions-{day.isoformat()}{_FILE_SUFFIXES[export_format]}"


# --- filters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    programmes: list[tuple[str, str]]
    courses: list[tuple[str, str]]
    # Administrators: every organisation; an organisation manager: only their own, shown fixed.
    organisations: list[tuple[int, str]]


def filter_choices(session: Session, *, scope: ReportScope, locale: str) -> FilterChoices:
    programmes = [
        (code, f"{code} · {pick(title, locale)}")
        for code, title in session.execute(select(Programme.code, Programme.title).order_by(Programme.position))
    ]
    courses = [
        (code, f"{code} · {pick(title, locale)}")
        for code, title in session.execute(
            select(Course.code, Course.title)
            .join(Programme, Programme.id == Course.programme_id)
            .order_by(Programme.position, Course.position, Course.code)
        )
    ]
    statement = select(Organisation.id, Organisation.name_lt, Organisation.name_en)
    if not scope.is_everything:
        statement = statement.where(Organisation.id == scope.organisation_id)
    organisations = sorted(
        ((id_, (name_lt if locale == "lt" else name_en)) for id_, name_lt, name_en in session.execute(statement)),
        key=lambda item: collation_key(item[1], locale),
    )
    return FilterChoices(programmes=programmes, courses=courses, organisations=organisations)


def find_organisation(session: Session, key: str) -> int | None:
    """An organisation by its slug or its number (what the command line accepts)."""
    key = key.strip()
    if key.isascii() and key.isdigit() and len(key) <= 10:
        found = session.scalar(select(Organisation.id).where(Organisation.id == int(key)))
        if found is not None:
            return found
    return session.scalar(select(Organisation.id).where(Organisation.slug == key.lower()))


def resolve_filters(session: Session, *, query: CompletionQuery, scope: ReportScope) -> CompletionFilters:
    """The filters with codes as stored, after checking that they exist.

    Raises NotFound when an organisation manager asks for another organisation, and FormInvalid with a
    message per field for codes or organisations that do not exist.
    """
    organisation_id = scope.organisation_filter(query.organisation)
    errors: dict[str, str] = {}
    programme = course = None
    if query.programme:
        programme = session.scalar(select(Programme.code).where(func.upper(Programme.code) == query.programme.upper()))
        if programme is None:
            errors["programme"] = _("There is no programme with the code %(code)s.", code=query.programme)
    if query.course:
        course = session.scalar(select(Course.code).where(func.upper(Course.code) == query.course.upper()))
        if course is None:
            errors["course"] = _("There is no course with the code %(code)s.", code=query.course)
    if scope.is_everything and organisation_id is not None:
        if session.scalar(select(Organisation.id).where(Organisation.id == organisation_id)) is None:
            errors["organisation"] = _("Choose one of the options.")
    if errors:
        raise FormInvalid(errors)
    return CompletionFilters(
        programme_code=programme,
        course_code=course,
        organisation_id=organisation_id,
        state=query.state,
        completed_from=query.date_from,
        completed_to=query.date_to,
    )


# --- the page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionReport:
    choices: FilterChoices
    # None while the filters are not valid: nothing is counted or listed then.
    filters: CompletionFilters | None
    total: int
    preview: list[CompletionRecord]

    def query_string(self, **extra: str) -> str:
        return completion_query_string(self.filters or CompletionFilters(), **extra)


def completion_report(
    session: Session, *, filters: CompletionFilters | None, scope: ReportScope, locale: str, base_url: str
) -> CompletionReport:
    """The filter form's choices, how many records match, and the first of them (a fixed number of queries)."""
    choices = filter_choices(session, scope=scope, locale=locale)
    if filters is None:
        return CompletionReport(choices=choices, filters=None, total=0, preview=[])
    total = count_completion_records(session, filters=filters, scope=scope)
    preview = list(
        iter_completion_records(
            session, filters=filters, scope=scope, locale=locale, base_url=base_url, limit=PREVIEW_SIZE
        )
    )
    return CompletionReport(choices=choices, filters=filters, total=total, preview=preview)


def record_export(
    session: Session,
    *,
    actor: Actor | SystemActor,
    export_format: ExportFormat,
    filters: CompletionFilters,
    scope: ReportScope,
    ip_address: str = "",
    rows: int | None = None,
) -> int:
    """The audit entry of one export (who, format, filters, how many records); returns the record count."""
    if rows is None:
        rows = count_completion_records(session, filters=filters, scope=scope)
    record(
        session,
        actor=actor,
        action=AuditAction.COMPLETIONS_EXPORTED,
        target_type="export",
        target_id="completions",
        details={"format": export_format.value, **filters.as_audit_details(), "rows": rows},
        ip_address=ip_address,
    )
    return rows


# --- writers -------------------------------------------------------------------------------------------


def iso_moment(moment: dt.datetime | None) -> str:
    """ISO 8601 in UTC with its offset, to the second: 2026-11-23T09:30:00+00:00."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment is not None else ""


def export_grade(grade: float | None) -> float | None:
    return round(grade, 2) if grade is not None else None


def _number_text(value: float | int | None, *, decimal_comma: bool) -> str:
    if value is None:
        return ""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if decimal_comma else text


def text_row(record: CompletionRecord, labels: ExportLabels, *, decimal_comma: bool = False) -> list[str]:
    """One record as CSV cells; text that a spreadsheet could run as a formula is neutralised."""
    return [
        str(record.learner_id),
        spreadsheet_safe(record.full_name),
        spreadsheet_safe(record.email),
        spreadsheet_safe(record.organisation),
        spreadsheet_safe(record.job_title),
        spreadsheet_safe(record.programme_title),
        spreadsheet_safe(record.course_code),
        spreadsheet_safe(record.course_title),
        iso_moment(record.enrolled_at),
        iso_moment(record.completed_at),
        labels.states[record.state],
        _number_text(export_grade(record.quiz_grade), decimal_comma=decimal_comma),
        _number_text(record.hours, decimal_comma=decimal_comma),
        spreadsheet_safe(record.certificate_code or ""),
        spreadsheet_safe(record.certificate_url or ""),
    ]


def csv_chunks(records: Iterable[CompletionRecord], labels: ExportLabels, *, excel: bool) -> Iterator[bytes]:
    """CSV in UTF-8; for Excel: a byte-order mark, `;` between cells and decimal commas (Lithuanian settings)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    if excel:
        buffer.write("\ufeff")
    writer.writerow([spreadsheet_safe(title) for title in labels.header])
    for item in records:
        writer.writerow(text_row(item, labels, decimal_comma=excel))
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _sheet_text(ws: Any, value: str) -> str | WriteOnlyCell:
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith("="):
        # openpyxl stores text starting with "=" as a formula; keep it text.
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        return cell
    return text


def _naive_utc(moment: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: cells hold UTC, as the header says.
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment is not None else None


def write_xlsx(records: Iterable[CompletionRecord], target: Path, labels: ExportLabels) -> int:
    """An XLSX workbook of typed cells written row by row (openpyxl write-only mode); returns the row count."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=labels.sheet_title)
    for index, width in enumerate(_XLSX_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    header = []
    for title in labels.header:
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", title))
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        header.append(cell)
    ws.append(header)
    rows = 0
    for item in records:
        ws.append(
            [
                item.learner_id,
                _sheet_text(ws, item.full_name),
                _sheet_text(ws, item.email),
                _sheet_text(ws, item.organisation),
                _sheet_text(ws, item.job_title),
                _sheet_text(ws, item.programme_title),
                _sheet_text(ws, item.course_code),
                _sheet_text(ws, item.course_title),
                _naive_utc(item.enrolled_at),
                _naive_utc(item.completed_at),
                labels.states[item.state],
                export_grade(item.quiz_grade),
                item.hours,
                _sheet_text(ws, item.certificate_code or ""),
                _sheet_text(ws, item.certificate_url or ""),
            ]
        )
        rows += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(labels.header))}{rows + 1}"
    workbook.save(target)
    return rows


def xlsx_chunks(records: Iterable[CompletionRecord], labels: ExportLabels) -> Iterator[bytes]:
    """The workbook written to a temporary file, then sent in chunks; the file is deleted in every case."""
    handle, name = tempfile.mkstemp(prefix="klasteris-completions-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        write_xlsx(records, path, labels)
        with path.open("rb") as file:
            while chunk := file.read(CHUNK_BYTES):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def _counted(records: Iterable[CompletionRecord], advance: Callable[[int], None]) -> Iterator[CompletionRecord]:
    """The records, telling `advance` how many went by (in batches: a progress bar need not hear of each)."""
    pending = 0
    for item in records:
        yield item
        pending += 1
        if pending == BATCH_SIZE:
            advance(pending)
            pending = 0
    if pending:
        advance(pending)


@dataclass(frozen=True)
class ExportRequest:
    """What to export, in which format and language, for whom: shared by the download, the command line, the bench."""

    export_format: ExportFormat
    filters: CompletionFilters
    scope: ReportScope
    locale: str
    base_url: str
    labels: ExportLabels


def _records(session: Session, request: ExportRequest) -> Iterator[CompletionRecord]:
    return iter_completion_records(
        session, filters=request.filters, scope=request.scope, locale=request.locale, base_url=request.base_url
    )


def export_chunks(
    session: Session, request: ExportRequest, *, advance: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The export file's bytes, produced while the records are read (nothing is queried before the first `next`)."""
    records: Iterable[CompletionRecord] = _records(session, request)
    if advance is not None:
        records = _counted(records, advance)
    if request.export_format is ExportFormat.XLSX:
        yield from xlsx_chunks(records, request.labels)
    elif request.export_format is ExportFormat.XAPI:
        names = xapi.course_names(session)
        yield from xapi.statement_chunks(
            records, base_url=request.base_url, course_names=names, language=request.locale
        )
    else:
        yield from csv_chunks(records, request.labels, excel=request.export_format is ExportFormat.CSV_EXCEL)


def write_export(
    session: Session, request: ExportRequest, target: Path, *, advance: Callable[[int], None] | None = None
) -> int:
    """The export written to `target` (the command line's temporary file); returns how many records it holds."""
    written = 0

    def count(rows: int) -> None:
        nonlocal written
        written += rows
        if advance is not None:
            advance(rows)

    if request.export_format is ExportFormat.XLSX:
        write_xlsx(_counted(_records(session, request), count), target, request.labels)
        return written
    with target.open("wb") as file:
        for chunk in export_chunks(session, request, advance=count):
            file.write(chunk)
    return written
