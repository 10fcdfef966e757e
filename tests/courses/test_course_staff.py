"""Administrators' course staff pages: assigning and removing trainers, enrolling people in bulk."""

from __future__ import annotations

import itertools

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User, UserRole
from app.accounts.service import SESSION_COOKIE, start_session
from app.audit.service import AuditAction, SystemActor, entries_for, record
from app.core.access import Role
from app.core.config import Settings
from app.core.db import utcnow
from app.courses.models import Course, CourseRole, Enrolment, Programme
from tests.factories import csrf_from, make_user
from tests.gates.queries import assert_constant_queries

_numbers = itertools.count(1)


def signed_in(app: FastAPI, db: Session, settings: Settings, user: User) -> TestClient:
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    token = start_session(db, settings=settings, user=user, ip_address="127.0.0.1", user_agent="tests")
    db.commit()
    client.cookies.set(SESSION_COOKIE, token)
    return client


def post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/profile").text)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


@pytest.fixture
def admin(db: Session) -> User:
    # English pages: the assertions read the messages' English text.
    return make_user(db, roles={Role.ADMIN, Role.LEARNER}, locale="en")


@pytest.fixture
def browser(app: FastAPI, db: Session, settings: Settings, admin: User) -> TestClient:
    return signed_in(app, db, settings, admin)


@pytest.fixture
def course(db: Session) -> Course:
    programme = Programme(
        code="ST", slug="staff-programme", title={"lt": "Programa", "en": "Programme"}, description={}, content_hash="x"
    )
    db.add(programme)
    db.flush()
    created = Course(
        code="ST1", slug="staff-course", programme_id=programme.id, title={"lt": "Kursas", "en": "Course"},
        summary={}, outcomes={}, estimated_hours=2, content_hash="x",
    )  # fmt: skip
    db.add(created)
    db.commit()
    return created


def place_of(db: Session, user: User, course: Course) -> Enrolment | None:
    db.expire_all()
    return db.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id))


def places_in(db: Session, course: Course) -> int:
    return db.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id)) or 0


def site_roles(db: Session, user: User) -> set[str]:
    return set(db.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))


def new_organisation(db: Session) -> Organisation:
    number = next(_numbers)
    organisation = Organisation(slug=f"staff-org-{number}", name_lt=f"Įstaiga {number}", name_en=f"Body {number}")
    db.add(organisation)
    db.commit()
    return organisation


# --- trainers ---------------------------------------------------------------------------------------


def test_trainers_page_lists_the_courses_trainers_only(browser: TestClient, db: Session, course: Course) -> None:
    trainer = make_user(db, full_name="Tomas Treneris", roles={Role.TRAINER})
    learner = make_user(db, full_name="Lina Besimokanti")
    db.add_all(
        [
            Enrolment(user_id=trainer.id, course_id=course.id, role=CourseRole.TRAINER),
            Enrolment(user_id=learner.id, course_id=course.id, role=CourseRole.LEARNER),
        ]
    )
    db.commit()
    page = browser.get("/admin/courses/ST1/trainers")
    assert page.status_code == 200
    assert "Tomas Treneris" in page.text and "Lina Besimokanti" not in page.text
    assert f'action="/admin/courses/ST1/trainers/{trainer.id}/remove"' in page.text
    assert 'action="/admin/courses/ST1/trainers"' in page.text


def test_assigning_a_person_without_a_place_makes_them_trainer(
    browser: TestClient, db: Session, course: Course
) -> None:
    person = make_user(db, email_address="new.trainer@example.lt", roles={Role.LEARNER})
    response = post(browser, "/admin/courses/ST1/trainers", {"email": " New.Trainer@Example.lt "})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/courses/ST1/trainers?notice=trainer-assigned"
    place = place_of(db, person, course)
    assert place is not None and place.role == CourseRole.TRAINER
    assert site_roles(db, person) == {"learner", "trainer"}
    (entry,) = entries_for(db, action=AuditAction.COURSE_TRAINER_ASSIGNED)
    assert (entry.target_type, entry.target_id) == ("course", "ST1")
    assert entry.details["user_id"] == person.id and entry.details["site_role_added"] is True
    assert entry.details["previous_course_role"] is None
    assert "The trainer has been assigned" in browser.get(response.headers["location"]).text


def test_assigning_a_learner_of_the_course_turns_their_place_into_a_trainers(
    browser: TestClient, db: Session, course: Course
) -> None:
    person = make_user(db, email_address="learner@example.lt", roles={Role.LEARNER, Role.TRAINER})
    db.add(Enrolment(user_id=person.id, course_id=course.id, role=CourseRole.LEARNER))
    db.commit()
    response = post(browser, "/admin/courses/ST1/trainers", {"email": "learner@example.lt"})
    assert response.headers["location"].endswith("notice=trainer-promoted")
    place = place_of(db, person, course)
    assert place is not None and place.role == CourseRole.TRAINER
    assert places_in(db, course) == 1
    (entry,) = entries_for(db, action=AuditAction.COURSE_TRAINER_ASSIGNED)
    assert entry.details["previous_course_role"] == "learner" and entry.details["site_role_added"] is False


def test_assigning_a_trainer_again_changes_nothing(browser: TestClient, db: Session, course: Course) -> None:
    make_user(db, email_address="twice@example.lt")
    assert post(browser, "/admin/courses/ST1/trainers", {"email": "twice@example.lt"}).status_code == 303
    again = post(browser, "/admin/courses/ST1/trainers", {"email": "twice@example.lt"})
    assert again.headers["location"].endswith("notice=trainer-already")
    assert "already is a trainer" in browser.get(again.headers["location"]).text
    assert places_in(db, course) == 1
    assert len(entries_for(db, action=AuditAction.COURSE_TRAINER_ASSIGNED)) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("nobody@example.lt", "No account uses this email address"),
        ("not an address", "Enter a valid email address"),
        ("gone@example.lt", "This account is deactivated"),
    ],
)
def test_assigning_an_unusable_address_redisplays_it_with_a_message(
    browser: TestClient, db: Session, course: Course, typed: str, message: str
) -> None:
    gone = make_user(db, email_address="gone@example.lt")
    gone.is_active = False
    db.commit()
    response = post(browser, "/admin/courses/ST1/trainers", {"email": typed})
    assert response.status_code == 422
    assert message in response.text
    assert f'value="{typed}"' in response.text
    assert places_in(db, course) == 0
    assert "trainer" not in site_roles(db, gone)


def test_removing_a_trainer_keeps_their_site_role(browser: TestClient, db: Session, course: Course) -> None:
    trainer = make_user(db, roles={Role.TRAINER, Role.LEARNER})
    db.add(Enrolment(user_id=trainer.id, course_id=course.id, role=CourseRole.TRAINER))
    db.commit()
    response = post(browser, f"/admin/courses/ST1/trainers/{trainer.id}/remove")
    assert response.status_code == 303
    assert response.headers["location"].endswith("notice=trainer-removed")
    assert place_of(db, trainer, course) is None
    assert "trainer" in site_roles(db, trainer)
    (entry,) = entries_for(db, action=AuditAction.COURSE_TRAINER_UNASSIGNED)
    assert entry.details["user_id"] == trainer.id and entry.target_id == "ST1"
    again = post(browser, f"/admin/courses/ST1/trainers/{trainer.id}/remove")
    assert again.headers["location"].endswith("notice=trainer-not-assigned")
    assert len(entries_for(db, action=AuditAction.COURSE_TRAINER_UNASSIGNED)) == 1


def test_removing_does_not_touch_a_learners_place(browser: TestClient, db: Session, course: Course) -> None:
    learner = make_user(db)
    db.add(Enrolment(user_id=learner.id, course_id=course.id, role=CourseRole.LEARNER))
    db.commit()
    response = post(browser, f"/admin/courses/ST1/trainers/{learner.id}/remove")
    assert response.headers["location"].endswith("notice=trainer-not-assigned")
    assert place_of(db, learner, course) is not None


def test_unknown_course_or_person_is_not_found(browser: TestClient, course: Course) -> None:
    assert browser.get("/admin/courses/NOPE/trainers").status_code == 404
    assert browser.get("/admin/courses/NOPE/enrol").status_code == 404
    assert post(browser, "/admin/courses/NOPE/trainers", {"email": "a@example.lt"}).status_code == 404
    assert post(browser, "/admin/courses/NOPE/enrol", {"source": "list", "emails": "a@example.lt"}).status_code == 404
    assert post(browser, "/admin/courses/ST1/trainers/987654/remove").status_code == 404


def test_trainers_page_query_count_does_not_grow(browser: TestClient, db: Session, course: Course) -> None:
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            trainer = make_user(db, roles={Role.TRAINER})
            db.add(Enrolment(user_id=trainer.id, course_id=course.id, role=CourseRole.TRAINER))
        db.commit()

    # session with user, roles and organisation; the course; its trainers with their organisations
    assert_constant_queries(browser, db, "/admin/courses/ST1/trainers", grow, budget=3)


# --- bulk enrolment ---------------------------------------------------------------------------------


def test_enrolling_an_organisation_enrols_its_active_people_once(
    browser: TestClient, db: Session, course: Course
) -> None:
    organisation = new_organisation(db)
    active = [make_user(db, organisation=organisation) for _ in range(3)]
    gone = make_user(db, organisation=organisation)
    gone.is_active = False
    erased = make_user(db, organisation=organisation)
    erased.anonymised_at = utcnow()
    outsider = make_user(db)
    db.add(Enrolment(user_id=active[0].id, course_id=course.id, role=CourseRole.LEARNER))
    db.commit()
    form = browser.get("/admin/courses/ST1/enrol")
    assert form.status_code == 200
    data = {"csrf_token": csrf_from(form.text), "source": "organisation", "organisation_id": str(organisation.id)}
    response = browser.post("/admin/courses/ST1/enrol", data=data)
    assert response.status_code == 303
    assert all(place_of(db, person, course) is not None for person in active)
    assert place_of(db, gone, course) is None and place_of(db, erased, course) is None
    assert place_of(db, outsider, course) is None
    result = browser.get(response.headers["location"]).text
    assert "2 people enrolled." in result and "1 person already had a place." in result
    (entry,) = entries_for(db, action=AuditAction.COURSE_BULK_ENROLLED)
    assert entry.details["organisation"]["id"] == organisation.id
    assert (entry.details["enrolled"], entry.details["already_enrolled"]) == (2, 1)

    again = browser.post("/admin/courses/ST1/enrol", data=data)
    assert "0 people enrolled." in browser.get(again.headers["location"]).text
    assert places_in(db, course) == 3


def test_enrolling_a_pasted_list_reports_unknown_deactivated_and_invalid_addresses(
    browser: TestClient, db: Session, course: Course
) -> None:
    ona = make_user(db, email_address="ona@example.lt")
    jonas = make_user(db, email_address="jonas@example.lt")
    gone = make_user(db, email_address="gone@example.lt")
    gone.is_active = False
    db.commit()
    pasted = "ona@example.lt\nJONAS@example.lt; nobody@example.lt, not-an-address\n\nona@example.lt;gone@example.lt"
    response = post(browser, "/admin/courses/ST1/enrol", {"source": "list", "emails": pasted})
    assert response.status_code == 303
    assert place_of(db, ona, course) is not None and place_of(db, jonas, course) is not None
    assert place_of(db, gone, course) is None
    html = browser.get(response.headers["location"]).text
    assert "2 people enrolled." in html
    assert "1 address has no account: nobody@example.lt" in html
    assert "1 account is deactivated: gone@example.lt" in html
    assert "1 entry is not an email address: not-an-address" in html
    (entry,) = entries_for(db, action=AuditAction.COURSE_BULK_ENROLLED)
    assert entry.details["unknown"] == ["nobody@example.lt"] and entry.details["enrolled"] == 2

    again = post(browser, "/admin/courses/ST1/enrol", {"source": "list", "emails": pasted})
    assert "2 people already had a place." in browser.get(again.headers["location"]).text
    assert places_in(db, course) == 2


def test_enrolling_a_semicolon_csv_file_with_a_byte_order_mark(
    browser: TestClient, db: Session, course: Course
) -> None:
    ruta = make_user(db, full_name="Rūta Žemaitė", email_address="ruta@example.lt")
    egle = make_user(db, full_name="Eglė Šimkutė", email_address="egle@example.lt")
    content = "Vardas ir pavardė;El. paštas;Pareigos\r\nRūta Žemaitė;ruta@example.lt;Vedėja\r\nEglė Šimkutė;EGLE@example.lt;Specialistė\r\n"
    files = {"file": ("žmonės.csv", ("\ufeff" + content).encode("utf-8"), "text/csv")}
    response = post(browser, "/admin/courses/ST1/enrol", {"source": "list"}, files=files)
    assert response.status_code == 303
    assert place_of(db, ruta, course) is not None and place_of(db, egle, course) is not None
    (entry,) = entries_for(db, action=AuditAction.COURSE_BULK_ENROLLED)
    assert entry.details["file_name"] == "žmonės.csv"
    assert (entry.details["enrolled"], entry.details["invalid_count"]) == (2, 0)
    again = post(browser, "/admin/courses/ST1/enrol", {"source": "list"}, files=files)
    assert again.status_code == 303
    assert places_in(db, course) == 2


def test_a_csv_file_without_headings_is_read_from_its_first_column(
    browser: TestClient, db: Session, course: Course
) -> None:
    person = make_user(db, email_address="first.column@example.lt")
    files = {"file": ("list.csv", b"first.column@example.lt,Someone\r\n", "text/csv")}
    assert post(browser, "/admin/courses/ST1/enrol", {"source": "list"}, files=files).status_code == 303
    assert place_of(db, person, course) is not None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source": "list", "emails": "  \n ; "}, "emails"),
        ({"source": "organisation", "organisation_id": ""}, "organisation_id"),
        ({"source": "organisation", "organisation_id": "987654"}, "organisation_id"),
        ({"source": "everyone"}, "source"),
    ],
)
def test_incomplete_enrolment_forms_are_redisplayed(
    browser: TestClient, db: Session, course: Course, data: dict[str, str], field: str
) -> None:
    response = post(browser, "/admin/courses/ST1/enrol", data)
    assert response.status_code == 422
    assert f'href="#field-{field}"' in response.text
    assert places_in(db, course) == 0
    assert entries_for(db, action=AuditAction.COURSE_BULK_ENROLLED) == []


def test_a_file_that_is_not_utf8_is_refused(browser: TestClient, db: Session, course: Course) -> None:
    files = {"file": ("list.csv", "ruta@example.lt;Žemaitė".encode("cp1257"), "text/csv")}
    response = post(browser, "/admin/courses/ST1/enrol", {"source": "list", "emails": "typed@example.lt"}, files=files)
    assert response.status_code == 422
    assert 'href="#field-file"' in response.text
    assert "typed@example.lt" in response.text  # what was typed is kept


def test_only_this_courses_enrolment_results_are_shown(browser: TestClient, db: Session, course: Course) -> None:
    make_user(db, email_address="shown@example.lt")
    other = Course(
        code="ST2", slug="other-staff-course", programme_id=course.programme_id, title={"lt": "Kitas", "en": "Other"},
        summary={}, outcomes={}, estimated_hours=1, content_hash="x",
    )  # fmt: skip
    db.add(other)
    db.commit()
    response = post(browser, "/admin/courses/ST2/enrol", {"source": "list", "emails": "shown@example.lt"})
    other_course_entry = response.headers["location"].rsplit("=", 1)[1]
    assert "<h2>Result</h2>" in browser.get(f"/admin/courses/ST2/enrol?result={other_course_entry}").text
    assert "<h2>Result</h2>" not in browser.get(f"/admin/courses/ST1/enrol?result={other_course_entry}").text
    other_kind = record(db, actor=SystemActor("tests"), action=AuditAction.USER_DEACTIVATED, target_type="course",
                        target_id="ST1")  # fmt: skip
    db.commit()
    assert "<h2>Result</h2>" not in browser.get(f"/admin/courses/ST1/enrol?result={other_kind.id}").text


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [{Role.TRAINER, Role.LEARNER}, {Role.ORG_MANAGER, Role.LEARNER}])
def test_course_staff_pages_are_for_administrators_only(
    app: FastAPI, db: Session, settings: Settings, course: Course, roles: set[Role]
) -> None:
    outsider = make_user(db, roles=roles, email_address=f"outsider{next(_numbers)}@example.lt")
    db.add(Enrolment(user_id=outsider.id, course_id=course.id, role=CourseRole.TRAINER))
    db.commit()
    browser = signed_in(app, db, settings, outsider)
    assert browser.get("/admin/courses/ST1/trainers").status_code == 403
    assert browser.get("/admin/courses/ST1/enrol").status_code == 403
    assert post(browser, "/admin/courses/ST1/trainers", {"email": outsider.email}).status_code == 403
    assert post(browser, f"/admin/courses/ST1/trainers/{outsider.id}/remove").status_code == 403
    assert post(browser, "/admin/courses/ST1/enrol", {"source": "list", "emails": outsider.email}).status_code == 403
    assert places_in(db, course) == 1
