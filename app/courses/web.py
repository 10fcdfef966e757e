"""Course pages: catalogue and search, course outline, lessons, enrolment, completion and learner lists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.accounts.models import User
from app.core.access import PUBLIC, SIGNED_IN, TRAINER
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import NotFound
from app.core.i18n import _, get_locale, pick
from app.core.templating import render
from app.courses import service
from app.courses.content import IMAGE_SUFFIXES
from app.courses.panels import course_panels

router = APIRouter()

OptionalUser = Annotated[User | None, Depends(PUBLIC)]
CurrentUser = Annotated[User, Depends(SIGNED_IN)]
TrainerUser = Annotated[User, Depends(TRAINER)]


@router.get("/courses", name="catalogue")
def catalogue_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    programme = request.query_params.get("programme") or None
    query = (request.query_params.get("q") or "")[:200]
    view = service.catalogue(session, user=user, programme_code=programme, query=query, locale=get_locale())
    return render(
        request,
        "courses/catalogue.html",
        {"view": view, "programme": programme, "query": query, "programme_choices": service.programme_codes(session)},
    )


@router.get("/competencies", name="competency_model")
def competency_model_page(request: Request, session: SessionDep, _user: OptionalUser) -> Response:
    return render(request, "courses/competencies.html", {"model": service.competency_model(session)})


@router.get("/glossary", name="glossary")
def glossary_page(request: Request, session: SessionDep, _user: OptionalUser) -> Response:
    return render(request, "courses/glossary.html", {"terms": service.glossary(session, locale=get_locale())})


@router.get("/courses/{code}", name="course")
def course_page(request: Request, code: str, session: SessionDep, user: OptionalUser) -> Response:
    outline = service.course_outline(session, code=code, user=user)
    return render(
        request,
        "courses/course.html",
        {
            "outline": outline,
            "resume_id": service.next_lesson_id(outline),
            "panels": course_panels(session, course=outline.course, user=user),
        },
    )


@router.post("/courses/{code}/enrol", name="course_enrol")
def enrol(code: str, session: SessionDep, user: CurrentUser) -> Response:
    service.enrol(session, code=code, user=user)
    return RedirectResponse(f"/courses/{code}", status_code=303)


@router.get("/courses/{code}/lessons/{slug}", name="lesson")
def lesson_page(request: Request, code: str, slug: str, session: SessionDep, user: CurrentUser) -> Response:
    page = service.lesson_page(session, code=code, slug=slug, user=user, locale=get_locale())
    return render(request, "courses/lesson.html", {"page": page})


@router.post("/courses/{code}/lessons/{slug}/complete", name="lesson_complete")
def complete_lesson(code: str, slug: str, session: SessionDep, user: CurrentUser) -> Response:
    service.complete_lesson(session, code=code, slug=slug, user=user)
    return RedirectResponse(f"/courses/{code}/lessons/{slug}", status_code=303)


@router.get("/courses/{code}/learners", name="course_learners")
def learners_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    course, rows, total = service.course_learners(session, code=code, user=user)
    return render(request, "courses/learners.html", {"course": course, "rows": rows, "total": total})


@router.get("/courses/{code}/trainer-notes", name="trainer_notes")
def trainer_notes_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    course = service.taught_course(session, code=code, user=user)
    return render(
        request, "courses/trainer_notes.html", {"course": course, "notes": pick(course.trainer_notes, get_locale())}
    )


@router.get("/courses/{code}/media/{name}", name="course_media")
def course_media(code: str, name: str, session: SessionDep, settings: SettingsDep, _user: CurrentUser) -> Response:
    programme_slug, course_slug = service.course_folder_parts(session, code=code)
    folder = (settings.content_dir / programme_slug / course_slug).resolve()
    path = (folder / name).resolve()
    # Only image files directly beside the lessons; the name never becomes a path elsewhere.
    if path.parent != folder or Path(name).suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
        raise NotFound(_("The page you are looking for does not exist."))
    return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})
