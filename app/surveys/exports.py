"""Survey results as CSV (for Excel: BOM, `;`, decimal commas) and XLSX: the page's aggregates, never a person's row."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.core.i18n import _, pick
from app.core.spreadsheets import spreadsheet_safe
from app.surveys.results import LIKERT_VALUES, SurveyResults, below_threshold_message

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
SHARE_FORMAT = "0.0%"
MEAN_FORMAT = "0.0"


def export_filename(results: SurveyResults, extension: str) -> str:
    return f"survey-results-{results.target_id}.{extension}"


def _period_text(results: SurveyResults) -> tuple[str, str]:
    period = results.period
    return (
        period.date_from.isoformat() if period.date_from else _("No start date"),
        period.date_to.isoformat() if period.date_to else _("No end date"),
    )


def _rows(results: SurveyResults, locale: str) -> list[list[Any]]:
    """The workbook's and the CSV's content as typed cells: summary, one row per rating question, comments."""
    start, end = _period_text(results)
    rows: list[list[Any]] = [
        [_("Survey"), pick(results.survey.title, locale)],
        [_("Evaluated"), results.name],
        [_("Period from"), start],
        [_("Period to"), end],
        [_("Invitations"), results.invitations],
        [_("Responses"), results.responses],
    ]
    if not results.shown:
        rows.append([below_threshold_message()])
        return rows
    rows += [
        [_("Response rate"), ("share", results.response_rate)],
        [_("Satisfaction rate (answers of 4 or 5)"), ("share", results.satisfaction_rate)],
        [],
        [
            _("Question"),
            _("Answers"),
            *(str(value) for value in LIKERT_VALUES),
            _("Mean"),
            _("Satisfaction rate (answers of 4 or 5)"),
        ],
    ]
    for result in results.likert:
        rows.append(
            [
                pick(result.question.text, locale),
                result.answers,
                *(result.counts.get(value, 0) for value in LIKERT_VALUES),
                ("mean", round(result.mean, 1) if result.mean is not None else None),
                ("share", result.satisfaction_rate),
            ]
        )
    for comment_result in results.comments:
        rows += [[], [_("Comments"), pick(comment_result.question.text, locale)]]
        rows += [[comment] for comment in comment_result.comments]
    return rows


def _csv_cell(value: Any) -> str:
    if isinstance(value, tuple):
        kind, number = value
        if number is None:
            return ""
        text = f"{number * 100:.1f}" if kind == "share" else f"{number:.1f}"
        return text.replace(".", ",")  # the decimal comma Excel expects with Lithuanian settings
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return str(value)


def results_csv(results: SurveyResults, *, locale: str) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in _rows(results, locale):
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode()


def _xlsx_row(values: Sequence[Any]) -> tuple[list[Any], dict[int, str]]:
    cells: list[Any] = []
    formats: dict[int, str] = {}
    for index, value in enumerate(values, start=1):
        if isinstance(value, tuple):
            kind, number = value
            cells.append(number)
            formats[index] = SHARE_FORMAT if kind == "share" else MEAN_FORMAT
        elif isinstance(value, str):
            cells.append(spreadsheet_safe(ILLEGAL_CHARACTERS_RE.sub("", value)))
        else:
            cells.append(value)
    return cells, formats


def results_xlsx(results: SurveyResults, *, locale: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Survey results")[:31]
    for values in _rows(results, locale):
        cells, formats = _xlsx_row(values)
        sheet.append(cells)
        for column, number_format in formats.items():
            sheet.cell(row=sheet.max_row, column=column).number_format = number_format
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        if cell.value is not None and cell.row <= 6:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 40
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
