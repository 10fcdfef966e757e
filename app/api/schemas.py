"""Pydantic models of the API: query parameters, response bodies and the token form, kept apart from the tables.

Descriptions are English msgids marked with N_ (extracted by Babel); the OpenAPI document and the docs page
translate them for the reader's language when they are shown.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from app.accounts.models import Organisation, User
from app.core.access import Role
from app.core.forms import MAX_DB_ID, ChoiceId
from app.core.i18n import _, pick
from app.courses.models import Course, Programme
from app.progress.models import CompletionState
from app.reports.completions import CompletionFilters, CompletionRecord

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_CURSOR_VERSION = "v1:"


def N_(message: str) -> str:
    """Marks a description for translation without translating it now (it is translated when shown)."""
    return message


# --- cursors -----------------------------------------------------------------------------------------


def encode_cursor(last_id: int) -> str:
    """Opaque to clients: base64url of the last row id they received, without padding."""
    return base64.urlsafe_b64encode(f"{_CURSOR_VERSION}{last_id}".encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_VERSION)
    if not text.startswith(_CURSOR_VERSION) or not (number.isascii() and number.isdigit()) or len(number) > 10:
        raise PydanticCustomError("klasteris_cursor", _("This cursor is not valid: pass next_cursor unchanged."))
    value = int(number)
    if not 1 <= value <= MAX_DB_ID:
        raise PydanticCustomError("klasteris_cursor", _("This cursor is not valid: pass next_cursor unchanged."))
    return value


def _checked_cursor(cursor: str | None) -> str | None:
    if cursor is not None:
        decode_cursor(cursor)
    return cursor


CursorText = Annotated[
    str | None, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", max_length=32), AfterValidator(_checked_cursor)
]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.-]+$", min_length=1, max_length=20)]


# --- query parameters --------------------------------------------------------------------------------


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cursor: CursorText = Field(
        default=None,
        description=N_("Where to continue: the next_cursor of the previous page. Leave it out for the first page."),
    )
    limit: int = Field(
        default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=N_("How many items to return, from 1 to 500.")
    )

    @property
    def after_id(self) -> int | None:
        return decode_cursor(self.cursor) if self.cursor else None


class CompletionQuery(ListQuery):
    programme: Code | None = Field(default=None, description=N_("Only courses of this programme (its code, e.g. SC)."))
    course: Code | None = Field(default=None, description=N_("Only this course (its code, e.g. SC1)."))
    organisation: int | None = Field(
        default=None, ge=1, le=MAX_DB_ID, description=N_("Only learners of this organisation (its id).")
    )
    state: CompletionState | None = Field(default=None, description=N_("Only records in this completion state."))
    completed_from: dt.date | None = Field(
        default=None, description=N_("Only records completed on or after this day (UTC), as YYYY-MM-DD.")
    )
    completed_to: dt.date | None = Field(
        default=None, description=N_("Only records completed on or before this day (UTC), as YYYY-MM-DD.")
    )

    @model_validator(mode="after")
    def _check_dates(self) -> CompletionQuery:
        if self.completed_to is not None and self.completed_to >= dt.date.max:
            raise PydanticCustomError("klasteris_date", _("Give a date before the year 9999 ends."))
        if self.completed_from and self.completed_to and self.completed_from > self.completed_to:
            raise PydanticCustomError("klasteris_date", _("The start date must not be after the end date."))
        return self

    def filters(self) -> CompletionFilters:
        return CompletionFilters(
            programme_code=self.programme.upper() if self.programme else None,
            course_code=self.course.upper() if self.course else None,
            organisation_id=self.organisation,
            state=self.state,
            completed_from=self.completed_from,
            completed_to=self.completed_to,
        )


class UserQuery(ListQuery):
    organisation: int | None = Field(
        default=None, ge=1, le=MAX_DB_ID, description=N_("Only people of this organisation (its id).")
    )
    role: Role | None = Field(default=None, description=N_("Only people who have this role."))
    active: bool | None = Field(
        default=None, description=N_("true: only accounts that may sign in; false: only deactivated ones.")
    )


class CourseQuery(ListQuery):
    programme: Code | None = Field(default=None, description=N_("Only courses of this programme (its code, e.g. SC)."))


# --- response bodies ---------------------------------------------------------------------------------


class ApiModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class ApiError(ApiModel):
    detail: str = Field(description=N_("What went wrong, in the language asked for with Accept-Language."))


class ParameterProblem(ApiModel):
    location: str = Field(description=N_("Where the parameter was: query, path or header."))
    parameter: str = Field(description=N_("The parameter's name (empty when the problem is their combination)."))
    message: str = Field(description=N_("What is wrong with it."))


class ApiValidationError(ApiModel):
    detail: str = Field(description=N_("A summary of the problem."))
    errors: list[ParameterProblem] = Field(description=N_("One entry per parameter that is not valid."))


class CompletionRecordOut(ApiModel):
    record_id: int = Field(description=N_("The record's id (the enrolment's): stable, and the order of the list."))
    learner_id: int = Field(description=N_("The learner's user id."))
    full_name: str = Field(description=N_("The learner's name; empty when their personal data was erased."))
    email: str = Field(description=N_("The learner's email address; empty when their personal data was erased."))
    organisation: str = Field(description=N_("The learner's organisation, in the language asked for."))
    job_title: str = Field(description=N_("The learner's job title; empty when unknown or erased."))
    programme_code: str = Field(description=N_("The programme's code."))
    programme_title: str = Field(description=N_("The programme's title, in the language asked for."))
    course_code: str = Field(description=N_("The course's code."))
    course_title: str = Field(description=N_("The course's title, in the language asked for."))
    enrolled_at: dt.datetime = Field(description=N_("When the learner enrolled (ISO 8601, UTC)."))
    completed_at: dt.datetime | None = Field(
        description=N_("When the course was completed (ISO 8601, UTC), if it was.")
    )
    state: CompletionState = Field(description=N_("The completion state."))
    quiz_grade: float | None = Field(description=N_("The best quiz grade in percent, if the learner took the quiz."))
    hours: int | None = Field(description=N_("The course's hours, credited once it is completed."))
    certificate_code: str | None = Field(description=N_("The verification code of the valid certificate, if any."))
    certificate_url: str | None = Field(description=N_("Where anyone can verify the certificate, if there is one."))
    learner_anonymised: bool = Field(description=N_("true when the learner's personal data was erased."))

    @classmethod
    def from_record(cls, record: CompletionRecord) -> CompletionRecordOut:
        erased = record.user_anonymised
        return cls(
            record_id=record.record_id,
            learner_id=record.learner_id,
            full_name="" if erased else record.full_name,
            email="" if erased else record.email,
            organisation=record.organisation,
            job_title="" if erased else record.job_title,
            programme_code=record.programme_code,
            programme_title=record.programme_title,
            course_code=record.course_code,
            course_title=record.course_title,
            enrolled_at=record.enrolled_at,
            completed_at=record.completed_at,
            state=record.state,
            quiz_grade=record.quiz_grade,
            hours=record.hours,
            certificate_code=record.certificate_code,
            certificate_url=record.certificate_url,
            learner_anonymised=erased,
        )


class UserOut(ApiModel):
    id: int = Field(description=N_("The user id."))
    email: str = Field(description=N_("The email address; empty when the person's data was erased."))
    full_name: str = Field(description=N_("The person's name; empty when their data was erased."))
    job_title: str = Field(description=N_("The job title; empty when unknown or erased."))
    organisation_id: int | None = Field(description=N_("The id of the person's organisation, if they have one."))
    locale: str = Field(description=N_("The person's language: lt, en or nb."))
    roles: list[Role] = Field(description=N_("The person's roles."))
    is_active: bool = Field(description=N_("false when the account is deactivated."))
    anonymised: bool = Field(description=N_("true when the person's data was erased; their records stay, nameless."))
    created_at: dt.datetime = Field(description=N_("When the account was made (ISO 8601, UTC)."))
    last_login_at: dt.datetime | None = Field(description=N_("The last sign-in (ISO 8601, UTC), if any."))

    @classmethod
    def from_user(cls, user: User) -> UserOut:
        erased = user.anonymised_at is not None
        return cls(
            id=user.id,
            email="" if erased else user.email,
            full_name="" if erased else user.full_name,
            job_title="" if erased else user.job_title,
            organisation_id=user.organisation_id,
            locale=user.locale,
            roles=sorted(user.role_set),
            is_active=user.is_active,
            anonymised=erased,
            created_at=user.created_at,
            last_login_at=None if erased else user.last_login_at,
        )


class CourseOut(ApiModel):
    id: int = Field(description=N_("The course id."))
    code: str = Field(description=N_("The course's code, stable across content updates."))
    programme_code: str = Field(description=N_("The code of the programme the course belongs to."))
    programme_title: str = Field(description=N_("The programme's title, in the language asked for."))
    title: str = Field(description=N_("The course's title, in the language asked for."))
    summary: str = Field(description=N_("A short summary, in the language asked for."))
    estimated_hours: int = Field(description=N_("The hours a learner is credited for completing it."))
    archived: bool = Field(description=N_("true when the course was removed from the catalogue."))
    url: str = Field(description=N_("The course's page."))

    @classmethod
    def from_course(cls, course: Course, programme: Programme, *, locale: str, base_url: str) -> CourseOut:
        return cls(
            id=course.id,
            code=course.code,
            programme_code=programme.code,
            programme_title=str(pick(programme.title, locale)),
            title=str(pick(course.title, locale)),
            summary=str(pick(course.summary, locale)),
            estimated_hours=course.estimated_hours,
            archived=course.archived_at is not None,
            url=f"{base_url}/courses/{course.code}",
        )


class OrganisationOut(ApiModel):
    id: int = Field(description=N_("The organisation id (the organisation filter takes it)."))
    slug: str = Field(description=N_("A stable short name."))
    name: str = Field(description=N_("The name, in the language asked for."))
    name_lt: str = Field(description=N_("The name in Lithuanian."))
    name_en: str = Field(description=N_("The name in English."))
    country: str = Field(description=N_("The country, as an ISO 3166 code."))
    website: str | None = Field(description=N_("The organisation's website, if known."))

    @classmethod
    def from_organisation(cls, organisation: Organisation, *, locale: str) -> OrganisationOut:
        return cls(
            id=organisation.id,
            slug=organisation.slug,
            name=organisation.name(locale),
            name_lt=organisation.name_lt,
            name_en=organisation.name_en,
            country=organisation.country,
            website=organisation.website,
        )


_NEXT_CURSOR = N_("Pass this as cursor to get the next page; null on the last page.")


class CompletionPage(ApiModel):
    data: list[CompletionRecordOut] = Field(description=N_("The records, in record_id order."))
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class UserPage(ApiModel):
    data: list[UserOut] = Field(description=N_("The people, in id order."))
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class CoursePage(ApiModel):
    data: list[CourseOut] = Field(description=N_("The courses, in id order."))
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class OrganisationPage(ApiModel):
    data: list[OrganisationOut] = Field(description=N_("The organisations, in id order."))
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


# --- the administrators' token form ------------------------------------------------------------------


class TokenForm(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=10_000)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    organisation_id: ChoiceId = None
    # The form's one-time nonce (see tokens.token_for_nonce); anything else is a tampered or broken form.
    nonce: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]
