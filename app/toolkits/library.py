"""Listing toolkits: the library with search and filters, a course's toolkits, and the deleted ones."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.accounts.models import User
from app.courses.models import Course, Programme
from app.toolkits.models import Toolkit, ToolkitLanguage, ToolkitVersion
from app.toolkits.schemas import LibraryFilters
from app.toolkits.service import readable_by

PAGE_SIZE = 20
PURGE_AFTER_DAYS = 30

Translations = dict[str, str]


@dataclass(frozen=True)
class ToolkitRow:
    toolkit: Toolkit
    latest: ToolkitVersion
    programme_code: str
    programme_title: Translations
    course_code: str | None
    course_title: Translations | None


def _rows_statement() -> Select[tuple[Toolkit, ToolkitVersion, str, Translations, str | None, Translations | None]]:
    owning_course = aliased(Course)
    return (
        select(Toolkit, ToolkitVersion, Programme.code, Programme.title, owning_course.code, owning_course.title)
        .join(
            ToolkitVersion,
            and_(ToolkitVersion.toolkit_id == Toolkit.id, ToolkitVersion.number == Toolkit.version_count),
        )
        .outerjoin(owning_course, owning_course.id == Toolkit.course_id)
        .join(Programme, Programme.id == func.coalesce(Toolkit.programme_id, owning_course.programme_id))
        # Course by course in the catalogue's order, each programme's programme-wide toolkits after its courses.
        .order_by(Programme.position, owning_course.position.is_(None), owning_course.position, Toolkit.id)
    )


def _rows(
    session: Session,
    statement: Select[tuple[Toolkit, ToolkitVersion, str, Translations, str | None, Translations | None]],
) -> list[ToolkitRow]:
    return [
        ToolkitRow(
            toolkit=row[0],
            latest=row[1],
            programme_code=row[2],
            programme_title=row[3],
            course_code=row[4],
            course_title=row[5],
        )
        for row in session.execute(statement)
    ]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filters(filters: LibraryFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        conditions.append(Toolkit.search_text.like(f"%{_escape_like(filters.q.casefold())}%", escape="\\"))
    if filters.course:
        in_course = Toolkit.course_id.in_(select(Course.id).where(Course.code == filters.course))
        in_programme = Toolkit.programme_id.in_(select(Programme.id).where(Programme.code == filters.course))
        conditions.append(or_(in_course, in_programme))
    if filters.language is not None:
        languages = (
            [filters.language]
            if filters.language == ToolkitLanguage.BOTH
            else [filters.language, ToolkitLanguage.BOTH]  # a bilingual toolkit serves readers of either
        )
        conditions.append(Toolkit.language.in_(languages))
    if filters.kind is not None:
        conditions.append(Toolkit.kind == filters.kind)
    return conditions


@dataclass(frozen=True)
class OwnerOption:
    value: str  # a course code, or a programme code for programme-wide toolkits
    programme_title: Translations
    course_title: Translations | None


@dataclass(frozen=True)
class Library:
    rows: list[ToolkitRow]
    total: int
    page: int
    pages: int
    owners: list[OwnerOption]


def library(session: Session, *, user: User, filters: LibraryFilters) -> Library:
    conditions = [Toolkit.deleted_at.is_(None), readable_by(user), *_filters(filters)]
    total = session.scalar(select(func.count()).select_from(Toolkit).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    rows = _rows(session, _rows_statement().where(*conditions).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return Library(rows=rows, total=total, page=page, pages=pages, owners=owner_options(session))


def owner_options(session: Session) -> list[OwnerOption]:
    """Every programme followed by its courses, for the library's filter."""
    options: list[OwnerOption] = []
    courses = session.execute(
        select(Course.code, Course.title, Course.programme_id)
        .where(Course.archived_at.is_(None))
        .order_by(Course.position, Course.code)
    ).all()
    for programme in session.scalars(select(Programme).order_by(Programme.position, Programme.code)):
        options.append(OwnerOption(programme.code, programme.title, None))
        options.extend(
            OwnerOption(code, programme.title, title)
            for code, title, programme_id in courses
            if programme_id == programme.id
        )
    return options


def course_toolkits(session: Session, *, course_id: int, programme_id: int, user: User) -> list[ToolkitRow]:
    """What the course page lists: the course's own toolkits and its programme's, as far as the person may see."""
    return _rows(
        session,
        _rows_statement().where(
            Toolkit.deleted_at.is_(None),
            readable_by(user),
            or_(Toolkit.course_id == course_id, Toolkit.programme_id == programme_id),
        ),
    )


@dataclass(frozen=True)
class DeletedRow:
    row: ToolkitRow
    deleted_by: str
    purge_after: dt.datetime


def deleted_toolkits(session: Session) -> list[DeletedRow]:
    """The recycle bin for administrators, most recently deleted first."""
    deleter = aliased(User)
    statement = (
        _rows_statement()
        .add_columns(deleter.full_name)
        .outerjoin(deleter, deleter.id == Toolkit.deleted_by_id)
        .where(Toolkit.deleted_at.is_not(None))
        .order_by(None)
        .order_by(Toolkit.deleted_at.desc(), Toolkit.id.desc())
    )
    found: list[DeletedRow] = []
    for row in session.execute(statement):
        toolkit_row = ToolkitRow(row[0], row[1], row[2], row[3], row[4], row[5])
        deleted_at = row[0].deleted_at
        assert deleted_at is not None  # filtered above
        found.append(DeletedRow(toolkit_row, row[6] or "", deleted_at + dt.timedelta(days=PURGE_AFTER_DAYS)))
    return found
