"""Bulk user import, first half: reading an uploaded CSV/XLSX list of people and checking every row."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any

import openpyxl
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.access import Role
from app.core.config import SUPPORTED_LOCALES
from app.core.errors import Unprocessable
from app.core.i18n import _, format_number, get_locale, ngettext

MAX_ROWS = 5_000
# Enough for any real list; a sheet declaring thousands of columns is read no further than this.
MAX_COLUMNS = 64
# Stored cell values are cut here; longer values are reported as errors before they are cut.
MAX_CELL = 300
# An XLSX of 2 MB can unpack to gigabytes; a genuine list of 5,000 people unpacks to a few megabytes.
MAX_UNPACKED_XLSX = 64 * 1024 * 1024
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx"})
SEPARATORS = (";", ",", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel (.xls) format
_CONTROL = dict.fromkeys([*range(0, 9), *range(14, 28), 0x7F])

# Row statuses, stored in user_imports.rows.
NEW, EXISTS, ERROR = "new", "exists", "error"


# --- columns -------------------------------------------------------------------------------------


def heading_key(text: str) -> str:
    """Headings and words compared loosely: case, dots, dashes, underscores and extra spaces do not matter."""
    folded = unicodedata.normalize("NFC", text).casefold().strip(" :*")
    for mark in "._-":
        folded = folded.replace(mark, " ")
    return " ".join(folded.split())


@dataclass(frozen=True)
class Column:
    key: str
    # The heading the downloadable templates use, per language; every one of them is also accepted.
    headings: dict[str, str]
    other_headings: tuple[str, ...]
    required: bool
    max_length: int

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset(heading_key(text) for text in (*self.headings.values(), *self.other_headings))


COLUMNS: tuple[Column, ...] = (
    Column(
        "email",
        {"en": "email", "lt": "el. paštas", "nb": "e-post"},
        ("e-mail", "email address", "el. pašto adresas", "elektroninis paštas", "e-paštas", "e-postadresse"),
        required=True,
        max_length=254,
    ),
    Column(
        "full_name",
        {"en": "full name", "lt": "vardas ir pavardė", "nb": "fullt navn"},
        ("name", "vardas, pavardė", "vardas pavardė", "navn"),
        required=True,
        max_length=200,
    ),
    Column(
        "organisation",
        {"en": "organisation", "lt": "organizacija", "nb": "organisasjon"},
        ("organization", "institution", "įstaiga", "virksomhet"),
        required=False,
        max_length=255,
    ),
    Column(
        "job_title",
        {"en": "job title", "lt": "pareigos", "nb": "stilling"},
        ("position", "stillingstittel"),
        required=False,
        max_length=200,
    ),
    Column("role", {"en": "role", "lt": "rolė", "nb": "rolle"}, ("roles", "rolės", "roller"), False, 100),
    Column("locale", {"en": "locale", "lt": "kalba", "nb": "språk"}, ("language",), required=False, max_length=40),
)
COLUMN_BY_HEADING = {heading: column for column in COLUMNS for heading in column.accepted}

# Role words people write, in English, Lithuanian and Norwegian (compared with heading_key).
ROLE_WORDS: dict[str, Role] = {
    **dict.fromkeys(("learner", "student", "participant", "besimokantysis", "besimokanti", "dalyvis"), Role.LEARNER),
    **dict.fromkeys(
        ("trainer", "teacher", "lecturer", "lektorius", "lektorė", "dėstytojas", "kursholder"), Role.TRAINER
    ),
    # Only explicit words: this role opens a whole organisation's reports, so "manager" alone is not enough.
    **dict.fromkeys(
        ("org manager", "organisation manager", "organization manager", "organizacijos vadovas", "organisasjonsleder"),
        Role.ORG_MANAGER,
    ),
}
ADMIN_WORDS = frozenset({"admin", "administrator", "administratorius", "administratorė", "administrators"})
LOCALE_WORDS: dict[str, str] = {
    **{code: code for code in SUPPORTED_LOCALES},
    **dict.fromkeys(("lietuvių", "lietuviu", "lithuanian", "litauisk"), "lt"),
    **dict.fromkeys(("english", "anglų", "anglu", "engelsk"), "en"),
    **dict.fromkeys(("no", "norsk", "norsk bokmål", "bokmål", "norwegian", "norvegų", "norvegu"), "nb"),
}
# A person may get several roles in one cell: "trainer, org_manager".
_ROLE_SEPARATORS = re.compile(r"[,;/+|]")


# --- reading the file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One non-blank row below the heading row: its row number in the file and its cells by column key."""

    line: int
    cells: dict[str, str]


def _file_error(message: str) -> Unprocessable:
    return Unprocessable(message, field="file")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps every number as a float: 7 must not become "7.0"
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)


def clean_text(value: str) -> str:
    """Trimmed, runs of white space (also non-breaking spaces and line breaks) made one space, controls gone."""
    return " ".join(unicodedata.normalize("NFC", value).translate(_CONTROL).split())


def _decode(data: bytes) -> str:
    try:
        # Excel's "Unicode text" is UTF-16 with a byte-order mark; everything else must be UTF-8.
        text = data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error(
            _(
                "The file is not in UTF-8, so letters such as ą, č or ž would be lost. "
                "In Excel, save it as “CSV UTF-8 (Comma delimited)”, or upload the .xlsx file itself."
            )
        ) from None
    if "\x00" in text:
        raise _file_error(_("The file does not look like a CSV file. Upload a .csv or .xlsx file."))
    return text


def separator_of(header_line: str) -> str:
    """The separator used most in the heading line, outside quotes (`;` from Excel in Lithuanian, `,`, tab)."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = _decode(data)
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator_of(header_line))
    try:
        yield from reader
    except csv.Error as error:
        raise _file_error(
            _("Row %(line)s of the file cannot be read: check its quotation marks.", line=reader.line_num)
        ) from error


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        raise _file_error(_("The file cannot be read as an Excel workbook (.xlsx).")) from None
    if unpacked > MAX_UNPACKED_XLSX:
        raise _file_error(_("The workbook is too large. Keep only the list of people in it, or save it as CSV."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - a damaged workbook fails in many ways (zip, XML, missing parts): all unreadable
        raise _file_error(_("The file cannot be read as an Excel workbook (.xlsx).")) from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        try:
            for values in sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True):
                yield [_cell_text(value) for value in values]
        except Exception:  # noqa: BLE001 - as above, for damage found while reading the rows
            raise _file_error(_("The file cannot be read as an Excel workbook (.xlsx).")) from None
    finally:
        workbook.close()


def _file_rows(data: bytes, file_name: str) -> Iterator[list[str]]:
    suffix = PureWindowsPath(file_name).suffix.lower()
    if suffix == ".xls" or data.startswith(_OLE_MAGIC):
        raise _file_error(_("This is an old Excel file (.xls). Save it as .xlsx or as “CSV UTF-8” and upload that."))
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise _file_error(_("Upload a .csv or .xlsx file."))
    if suffix in XLSX_SUFFIXES or data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data)
    return _csv_rows(data)


def _heading_columns(headings: Sequence[str]) -> dict[int, Column]:
    """Which position holds which column. Unknown headings are extra columns, and ignored."""
    positions: dict[int, Column] = {}
    seen: dict[str, str] = {}
    for position, heading in enumerate(headings):
        column = COLUMN_BY_HEADING.get(heading_key(heading))
        if column is None:
            continue
        if column.key in seen:
            raise _file_error(
                _(
                    "The columns “%(first)s” and “%(second)s” mean the same thing. Keep one of them.",
                    first=seen[column.key],
                    second=clean_text(heading),
                )
            )
        seen[column.key] = clean_text(heading)
        positions[position] = column
    return positions


def _missing_columns_message(positions: dict[int, Column], headings: Sequence[str]) -> str | None:
    present = {column.key for column in positions.values()}
    locale = get_locale()
    missing = [
        column.headings.get(locale, column.headings["en"])
        for column in COLUMNS
        if column.required and column.key not in present
    ]
    if not missing:
        return None
    if not present:
        found = ", ".join(f"“{clean_text(text)}”" for text in headings if text.strip())[:300]
        return _(
            "The first row must name the columns (email, full name, …) as in the template. It says: %(found)s.",
            found=found,
        )
    return ngettext(
        "The file has no column for %(columns)s. Add it, with its name in the first row.",
        "The file has no columns for %(columns)s. Add them, with their names in the first row.",
        len(missing),
        columns=", ".join(missing),
    )


def read_records(data: bytes, file_name: str) -> list[Record]:
    """The rows of a CSV or XLSX list of people under its heading row; blank rows are skipped.

    Raises Unprocessable (field "file") when the file as a whole cannot be used.
    """
    if not data.strip():
        raise _file_error(_("The file is empty."))
    headings: list[str] | None = None
    positions: dict[int, Column] = {}
    records: list[Record] = []
    for line, values in enumerate(_file_rows(data, file_name), start=1):
        if not any(value.strip() for value in values):
            continue
        if headings is None:
            headings = values
            positions = _heading_columns(headings)
            message = _missing_columns_message(positions, headings)
            if message:
                raise _file_error(message)
            continue
        cells = {
            column.key: values[position] if position < len(values) else "" for position, column in positions.items()
        }
        if not any(value.strip() for value in cells.values()):
            continue  # only extra columns are filled in: not a person
        if len(records) == MAX_ROWS:
            raise _file_error(
                _(
                    "The file has more than %(count)s people. Split it into several files.",
                    count=format_number(MAX_ROWS),
                )
            )
        records.append(Record(line=line, cells=cells))
    if headings is None:
        raise _file_error(_("The file is empty."))
    if not records:
        raise _file_error(_("The file has a heading row but no people under it."))
    return records


# --- checking the rows ---------------------------------------------------------------------------


def organisation_key(text: str) -> str:
    """Organisations are found by slug or name regardless of case and spaces."""
    return "".join(unicodedata.normalize("NFC", text).casefold().split())


def _organisation_index(session: Session) -> dict[str, int]:
    index: dict[str, int] = {}
    for organisation in session.scalars(select(Organisation).order_by(Organisation.id)):
        for name in (organisation.slug, organisation.name_lt, organisation.name_en):
            index.setdefault(organisation_key(name), organisation.id)
    return index


def existing_emails(session: Session, emails: Iterable[str]) -> set[str]:
    wanted = sorted(set(emails))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # old SQLite allows 999 parameters per statement
        found.update(session.scalars(select(User.email).where(User.email.in_(wanted[start : start + 500]))))
    return found


def _roles_of(text: str, problems: list[dict[str, Any]]) -> list[str]:
    roles = {Role.LEARNER}  # everyone imported can take courses, as registered people can
    for word in _ROLE_SEPARATORS.split(text):
        key = heading_key(word)
        if not key:
            continue
        if key in ADMIN_WORDS:
            problems.append({"code": "role_admin"})
        elif key in ROLE_WORDS:
            roles.add(ROLE_WORDS[key])
        else:
            problems.append({"code": "role_unknown", "value": clean_text(word)[:MAX_CELL]})
    return sorted(roles)


def _locale_of(text: str, problems: list[dict[str, Any]]) -> str | None:
    key = heading_key(text)
    if not key:
        return "lt"
    locale = LOCALE_WORDS.get(key)
    if locale is None and " " in key:
        locale = LOCALE_WORDS.get(key.split(" ")[0])  # "lt-LT", "nb_NO", "en-GB": the language part decides
    if locale is None:
        problems.append({"code": "locale_unknown"})
    return locale


def _check_lengths(cells: dict[str, str], problems: list[dict[str, Any]]) -> None:
    for column in COLUMNS:
        if len(cells[column.key]) > column.max_length:
            problems.append({"code": "too_long", "column": column.key, "limit": column.max_length})


def check_record(record: Record, *, organisations: dict[str, int]) -> dict[str, Any]:
    """One row as stored for the preview: its values, what they resolve to, and its problems."""
    cells = {column.key: clean_text(record.cells.get(column.key, "")) for column in COLUMNS}
    problems: list[dict[str, Any]] = []
    _check_lengths(cells, problems)
    email = cells["email"].lower()
    if not email:
        problems.append({"code": "email_missing"})
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            problems.append({"code": "email_invalid"})
    if not cells["full_name"]:
        problems.append({"code": "name_missing"})
    organisation_id = None
    if cells["organisation"]:
        organisation_id = organisations.get(organisation_key(cells["organisation"]))
        if organisation_id is None:
            problems.append({"code": "organisation_unknown"})
    roles = _roles_of(cells["role"], problems)
    if Role.ORG_MANAGER in roles and not cells["organisation"]:
        problems.append({"code": "manager_without_organisation"})
    locale = _locale_of(cells["locale"], problems)
    return {
        "line": record.line,
        "email": email[:MAX_CELL],
        "full_name": cells["full_name"][:MAX_CELL],
        "organisation": cells["organisation"][:MAX_CELL],
        "organisation_id": organisation_id,
        "job_title": cells["job_title"][:MAX_CELL],
        "role": cells["role"][:MAX_CELL],
        "roles": roles,
        "language": cells["locale"][:MAX_CELL],
        "locale": locale,
        "status": ERROR if problems else NEW,
        "problems": problems,
    }


def check_records(session: Session, records: Sequence[Record]) -> list[dict[str, Any]]:
    """Every row checked: errors first, then addresses that already have an account, the rest are new."""
    organisations = _organisation_index(session)
    rows = [check_record(record, organisations=organisations) for record in records]
    first_line: dict[str, int] = {}
    for row in rows:
        if any(problem["code"] in ("email_missing", "email_invalid") for problem in row["problems"]):
            continue
        if row["email"] in first_line:
            row["problems"].append({"code": "email_duplicate", "line": first_line[row["email"]]})
            row["status"] = ERROR
        else:
            first_line[row["email"]] = row["line"]
    taken = existing_emails(session, (row["email"] for row in rows if row["status"] == NEW))
    for row in rows:
        if row["status"] == NEW and row["email"] in taken:
            row["status"] = EXISTS
    return rows
