"""What the API reads: pages of completion records, people, courses and organisations, within a token's scope.

Every list is keyset-paginated by id (cursor = the last id sent) and fetches one row more than asked,
so the last page says so without an extra query. One or two statements per page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organisation, User, UserRole
from app.api.schemas import (
    CompletionPage,
    CompletionQuery,
    CompletionRecordOut,
    CourseOut,
    CoursePage,
    CourseQuery,
    ListQuery,
    OrganisationOut,
    OrganisationPage,
    UserOut,
    UserPage,
    UserQuery,
    encode_cursor,
)
from app.core.errors import NotFound
from app.core.i18n import _
from app.courses.models import Course, Programme
from app.reports.completions import iter_completion_records
from app.reports.scope import ReportScope

Row = TypeVar("Row")


def _cut(rows: Sequence[Row], limit: int, id_of: Callable[[Row], int]) -> tuple[list[Row], str | None]:
    """The first `limit` rows, and a cursor after the last of them when one more row was found."""
    if len(rows) > limit:
        return list(rows[:limit]), encode_cursor(id_of(rows[limit - 1]))
    return list(rows), None


def completion_page(
    session: Session, *, scope: ReportScope, query: CompletionQuery, locale: str, base_url: str
) -> CompletionPage:
    records = list(
        iter_completion_records(
            session,
            filters=query.filters(),
            scope=scope,
            locale=locale,
            base_url=base_url,
            after_record_id=query.after_id,
            limit=query.limit + 1,
        )
    )
    records, cursor = _cut(records, query.limit, lambda record: record.record_id)
    return CompletionPage(data=[CompletionRecordOut.from_record(record) for record in records], next_cursor=cursor)


# --- people ------------------------------------------------------------------------------------------


def user_page(session: Session, *, scope: ReportScope, query: UserQuery) -> UserPage:
    statement = select(User).options(selectinload(User.roles)).order_by(User.id).limit(query.limit + 1)
    organisation_id = scope.organisation_filter(query.organisation)
    if organisation_id is not None:
        statement = statement.where(User.organisation_id == organisation_id)
    if query.role is not None:
        statement = statement.where(
            exists().where(UserRole.user_id == User.id, UserRole.role == query.role.value).correlate(User)
        )
    if query.active is not None:
        statement = statement.where(User.is_active.is_(query.active))
    if query.after_id is not None:
        statement = statement.where(User.id > query.after_id)
    users, cursor = _cut(list(session.scalars(statement)), query.limit, lambda user: user.id)
    return UserPage(data=[UserOut.from_user(user) for user in users], next_cursor=cursor)


def user_detail(session: Session, *, scope: ReportScope, user_id: int) -> UserOut:
    statement = select(User).options(selectinload(User.roles)).where(User.id == user_id)
    if scope.organisation_id is not None:
        statement = statement.where(User.organisation_id == scope.organisation_id)
    user = session.scalar(statement)
    if user is None:
        raise NotFound(_("This person was not found."))
    return UserOut.from_user(user)


# --- courses -----------------------------------------------------------------------------------------


def course_page(session: Session, *, query: CourseQuery, locale: str, base_url: str) -> CoursePage:
    statement = (
        select(Course, Programme).join(Programme, Programme.id == Course.programme_id).order_by(Course.id)
    ).limit(query.limit + 1)
    if query.programme:
        statement = statement.where(Programme.code == query.programme.upper())
    if query.after_id is not None:
        statement = statement.where(Course.id > query.after_id)
    rows, cursor = _cut(session.execute(statement).all(), query.limit, lambda row: row[0].id)
    return CoursePage(
        data=[CourseOut.from_course(course, programme, locale=locale, base_url=base_url) for course, programme in rows],
        next_cursor=cursor,
    )


def course_detail(session: Session, *, code: str, locale: str, base_url: str) -> CourseOut:
    row = session.execute(
        select(Course, Programme)
        .join(Programme, Programme.id == Course.programme_id)
        .where(Course.code == code.upper())
    ).one_or_none()
    if row is None:
        raise NotFound(_("This course was not found."))
    course, programme = row
    return CourseOut.from_course(course, programme, locale=locale, base_url=base_url)


# --- organisations -----------------------------------------------------------------------------------


def organisation_page(session: Session, *, scope: ReportScope, query: ListQuery, locale: str) -> OrganisationPage:
    statement = select(Organisation).order_by(Organisation.id).limit(query.limit + 1)
    if scope.organisation_id is not None:
        statement = statement.where(Organisation.id == scope.organisation_id)
    if query.after_id is not None:
        statement = statement.where(Organisation.id > query.after_id)
    organisations, cursor = _cut(list(session.scalars(statement)), query.limit, lambda organisation: organisation.id)
    return OrganisationPage(
        data=[OrganisationOut.from_organisation(organisation, locale=locale) for organisation in organisations],
        next_cursor=cursor,
    )


def organisation_detail(session: Session, *, scope: ReportScope, organisation_id: int, locale: str) -> OrganisationOut:
    organisation = session.get(Organisation, organisation_id)
    # A scoped token is told that other organisations do not exist, rather than that it may not see them.
    if organisation is None or scope.organisation_id not in (None, organisation.id):
        raise NotFound(_("This organisation was not found."))
    return OrganisationOut.from_organisation(organisation, locale=locale)
