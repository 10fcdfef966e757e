"""Trainers' pages of a training event: the attendance sheet and the printable sign-in sheet (PDF)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.deps import TrainerUser
from app.accounts.models import User
from app.core.deps import FormData, SessionDep
from app.core.errors import DomainError
from app.core.forms import MAX_DB_ID, FormInvalid, errors_from
from app.core.i18n import get_locale
from app.core.notices import with_notice
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.events import attendance
from app.events.signin_sheet import sign_in_sheet_pdf

router = APIRouter()

EventId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def _sheet_page(
    request: Request,
    session: Session,
    user: User,
    event_id: int,
    values: Mapping[str, object] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    sheet = attendance.attendance_sheet(session, event_id=event_id, user=user, locale=get_locale())
    if values is None:
        values = {attendance.mark_field(person.user_id): person.attendance or "" for person in sheet.participants}
    return render(
        request,
        "events/attendance/sheet.html",
        {
            "sheet": sheet,
            "values": values,
            "errors": errors or {},
            "labels": attendance.attendance_labels(),
            "mark_field": attendance.mark_field,
            "mark_rest": attendance.MARK_REST_ATTENDED,
        },
        status_code=status,
    )


@router.get("/events/{event_id:int}/attendance", name="event_attendance")
def attendance_page(request: Request, event_id: EventId, session: SessionDep, user: TrainerUser) -> Response:
    return _sheet_page(request, session, user, event_id)


@router.post("/events/{event_id:int}/attendance", name="event_attendance_save")
def attendance_save(
    request: Request, event_id: EventId, session: SessionDep, user: TrainerUser, form: FormData
) -> Response:
    try:
        data = attendance.parse_attendance_form(form)
        saved = attendance.save_attendance(
            session, event_id=event_id, user=user, marks=data.marks, mark_rest_attended=data.mark_rest_attended
        )
    except FormInvalid as invalid:
        return _sheet_page(request, session, user, event_id, form, invalid.errors, status=422)
    except DomainError as error:
        if error.status_code != 422:
            raise
        return _sheet_page(request, session, user, event_id, form, errors_from(error), status=422)
    notice = "attendance-saved" if saved.changed else "attendance-unchanged"
    return RedirectResponse(with_notice(f"/events/{event_id}/attendance", notice), status_code=303)


@router.get("/events/{event_id:int}/sign-in-sheet.pdf", name="event_sign_in_sheet")
def sign_in_sheet(request: Request, event_id: EventId, session: SessionDep, user: TrainerUser) -> Response:
    locale = get_locale()
    sheet = attendance.attendance_sheet(session, event_id=event_id, user=user, locale=locale)
    return Response(
        sign_in_sheet_pdf(sheet, locale=locale),
        media_type="application/pdf",
        headers={"content-disposition": attachment_disposition(f"sign-in-sheet-event-{event_id}.pdf")},
    )
