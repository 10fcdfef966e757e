"""Administrators' pages for a course's trainers and bulk enrolment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.accounts.deps import AdminUser
from app.accounts.service import list_organisations
from app.core.deps import FormData, SessionDep
from app.core.errors import DomainError
from app.core.forms import MAX_DB_ID, FormInvalid, errors_from, form_id, parse_form
from app.core.i18n import get_locale
from app.core.notices import with_notice
from app.core.templating import render
from app.courses import staff
from app.courses.models import Course

router = APIRouter()

UserId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def _uploaded_list(request: Request) -> staff.UploadedList | None:
    """The CSV file of the enrolment form, if one was chosen (the form's text fields come from FormData)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return None
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    # One byte more than allowed tells a file that is too large from one that just fits.
    return staff.UploadedList(file_name=upload.filename, content=await upload.read(staff.MAX_FILE_BYTES + 1))


UploadedList = Annotated[staff.UploadedList | None, Depends(_uploaded_list)]


# --- pages -------------------------------------------------------------------------------------------


def _trainers_page(
    request: Request,
    session: Session,
    course: Course,
    values: Mapping[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "courses/staff/trainers.html",
        {
            "course": course,
            "trainers": staff.course_trainers(session, course=course),
            "values": values,
            "errors": errors,
        },
        status_code=status,
    )


@router.get("/admin/courses/{code}/trainers", name="course_trainers")
def trainers_page(request: Request, code: str, session: SessionDep, _user: AdminUser) -> Response:
    course = staff.course_for_staff(session, code=code)
    return _trainers_page(request, session, course, {}, {})


def _enrol_page(
    request: Request,
    session: Session,
    course: Course,
    values: Mapping[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    locale = get_locale()
    result = staff.bulk_result(session, course=course, entry_id=form_id(request.query_params.get("result")))
    return render(
        request,
        "courses/staff/enrol.html",
        {
            "course": course,
            "organisation_choices": [(org.id, org.name(locale)) for org in list_organisations(session)],
            "values": values,
            "errors": errors,
            "result": None if errors else result,
        },
        status_code=status,
    )


@router.get("/admin/courses/{code}/enrol", name="course_bulk_enrol_form")
def enrol_page(request: Request, code: str, session: SessionDep, _user: AdminUser) -> Response:
    course = staff.course_for_staff(session, code=code)
    return _enrol_page(request, session, course, {}, {})


# --- changes (registered after the pages) ------------------------------------------------------------


@router.post("/admin/courses/{code}/trainers", name="course_trainer_assign")
def trainer_assign(request: Request, code: str, session: SessionDep, user: AdminUser, form: FormData) -> Response:
    course = staff.course_for_staff(session, code=code)
    try:
        data = parse_form(staff.TrainerForm, form)
        outcome = staff.assign_trainer(
            session, course=course, email=data.email, by=user, ip_address=_client_ip(request)
        )
    except FormInvalid as invalid:
        return _trainers_page(request, session, course, form, invalid.errors, status=422)
    except DomainError as error:
        return _trainers_page(request, session, course, form, errors_from(error), status=error.status_code)
    return RedirectResponse(
        with_notice(f"/admin/courses/{course.code}/trainers", f"trainer-{outcome}"), status_code=303
    )


@router.post("/admin/courses/{code}/trainers/{user_id:int}/remove", name="course_trainer_remove")
def trainer_remove(request: Request, code: str, user_id: UserId, session: SessionDep, user: AdminUser) -> Response:
    course = staff.course_for_staff(session, code=code)
    removed = staff.unassign_trainer(session, course=course, user_id=user_id, by=user, ip_address=_client_ip(request))
    notice = "trainer-removed" if removed else "trainer-not-assigned"
    return RedirectResponse(with_notice(f"/admin/courses/{course.code}/trainers", notice), status_code=303)


@router.post("/admin/courses/{code}/enrol", name="course_bulk_enrol")
def enrol_submit(
    request: Request, code: str, session: SessionDep, user: AdminUser, form: FormData, upload: UploadedList
) -> Response:
    course = staff.course_for_staff(session, code=code)
    try:
        data = parse_form(staff.EnrolForm, form)
        entry = staff.enrol_in_bulk(
            session, course=course, form=data, upload=upload, by=user, ip_address=_client_ip(request)
        )
    except FormInvalid as invalid:
        return _enrol_page(request, session, course, form, invalid.errors, status=422)
    except DomainError as error:
        return _enrol_page(request, session, course, form, errors_from(error), status=error.status_code)
    return RedirectResponse(f"/admin/courses/{course.code}/enrol?result={entry.id}", status_code=303)
