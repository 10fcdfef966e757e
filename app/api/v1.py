"""The read-only JSON API, version 1: completion records, people, courses and organisations, for API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.routing import APIRoute

from app.api import queries
from app.api.auth import ApiClientDep
from app.api.docs import router as docs_router
from app.api.schemas import (
    N_,
    ApiError,
    ApiValidationError,
    CompletionPage,
    CompletionQuery,
    CourseOut,
    CoursePage,
    CourseQuery,
    ListQuery,
    OrganisationOut,
    OrganisationPage,
    UserOut,
    UserPage,
    UserQuery,
)
from app.core.deps import SessionDep, SettingsDep
from app.core.forms import MAX_DB_ID
from app.core.i18n import get_locale

API_PREFIX = "/api/v1"


def _operation_id(route: APIRoute) -> str:
    return route.name


router = APIRouter(prefix=API_PREFIX, generate_unique_id_function=_operation_id)

_COUNT = {"schema": {"type": "integer", "minimum": 0}}
RATE_HEADERS: dict[str, Any] = {
    "X-RateLimit-Limit": {**_COUNT, "description": N_("Requests this token may make per minute.")},
    "X-RateLimit-Remaining": {**_COUNT, "description": N_("Requests left in the current minute.")},
    "X-RateLimit-Reset": {**_COUNT, "description": N_("Seconds until the current minute's window ends.")},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"description": N_("The request succeeded."), "headers": RATE_HEADERS},
    401: {
        "model": ApiError,
        "description": N_("No token was sent, or it is unknown or revoked."),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": N_("Always Bearer.")}},
    },
    422: {"model": ApiValidationError, "description": N_("A parameter is not valid.")},
    429: {
        "model": ApiError,
        "description": N_("This token made too many requests in the current minute."),
        "headers": {
            "Retry-After": {**_COUNT, "description": N_("Seconds to wait before the next request.")},
            "X-RateLimit-Limit": RATE_HEADERS["X-RateLimit-Limit"],
            "X-RateLimit-Remaining": RATE_HEADERS["X-RateLimit-Remaining"],
        },
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ApiError, "description": N_("Not found, or outside the token's organisation.")}
}
RowId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description=N_("The id."))]
CourseCode = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9.-]+$", max_length=20, description=N_("The course's code, e.g. SC1."))
]


@router.get(
    "/completions",
    name="list_completions",
    summary=N_("Completion records"),
    description=N_(
        "One record per learner and course they are enrolled in, with the completion state, the quiz grade, "
        "the credited hours and the certificate. A token limited to one organisation sees only its learners."
    ),
    responses={**ERRORS, **NOT_FOUND},
)
def list_completions(
    query: Annotated[CompletionQuery, Query()], session: SessionDep, settings: SettingsDep, client: ApiClientDep
) -> CompletionPage:
    return queries.completion_page(
        session, scope=client.scope, query=query, locale=get_locale(), base_url=settings.base_url
    )


@router.get(
    "/users",
    name="list_users",
    summary=N_("People"),
    description=N_(
        "Accounts with their organisation and roles; never passwords. People whose data was erased are listed "
        "with empty personal fields. A token limited to one organisation sees only its people."
    ),
    responses={**ERRORS, **NOT_FOUND},
)
def list_users(query: Annotated[UserQuery, Query()], session: SessionDep, client: ApiClientDep) -> UserPage:
    return queries.user_page(session, scope=client.scope, query=query)


@router.get(
    "/users/{user_id}",
    name="get_user",
    summary=N_("One person"),
    description=N_("One account by its id."),
    responses={**ERRORS, **NOT_FOUND},
)
def get_user(user_id: RowId, session: SessionDep, client: ApiClientDep) -> UserOut:
    return queries.user_detail(session, scope=client.scope, user_id=user_id)


@router.get(
    "/courses",
    name="list_courses",
    summary=N_("Courses"),
    description=N_("Every course, including removed (archived) ones, with its programme and hours."),
    responses=ERRORS,
)
def list_courses(
    query: Annotated[CourseQuery, Query()], session: SessionDep, settings: SettingsDep, _client: ApiClientDep
) -> CoursePage:
    return queries.course_page(session, query=query, locale=get_locale(), base_url=settings.base_url)


@router.get(
    "/courses/{code}",
    name="get_course",
    summary=N_("One course"),
    description=N_("One course by its code."),
    responses={**ERRORS, **NOT_FOUND},
)
def get_course(code: CourseCode, session: SessionDep, settings: SettingsDep, _client: ApiClientDep) -> CourseOut:
    return queries.course_detail(session, code=code, locale=get_locale(), base_url=settings.base_url)


@router.get(
    "/organisations",
    name="list_organisations",
    summary=N_("Organisations"),
    description=N_("The partner organisations; a token limited to one organisation sees only that one."),
    responses=ERRORS,
)
def list_organisations(
    query: Annotated[ListQuery, Query()], session: SessionDep, client: ApiClientDep
) -> OrganisationPage:
    return queries.organisation_page(session, scope=client.scope, query=query, locale=get_locale())


@router.get(
    "/organisations/{organisation_id}",
    name="get_organisation",
    summary=N_("One organisation"),
    description=N_("One organisation by its id."),
    responses={**ERRORS, **NOT_FOUND},
)
def get_organisation(organisation_id: RowId, session: SessionDep, client: ApiClientDep) -> OrganisationOut:
    return queries.organisation_detail(
        session, scope=client.scope, organisation_id=organisation_id, locale=get_locale()
    )


# The schema and its reference page live under the same prefix, outside the schema itself.
router.include_router(docs_router)
