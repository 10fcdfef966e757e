"""The attendance sheet: who may open it, when, what it lists, saving marks (idempotent), bad input, queries."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import Role
from app.core.config import Settings
from app.core.events import LearnerProgressChanged
from app.events import attendance as attendance_service
from app.events.models import Attendance, EventStatus, RegistrationStatus, TrainingEvent
from tests.accounts.admin_setup import post, signed_in
from tests.events.attendance_setup import course_by_code, make_event, person, register, registration_of
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import extra_course, page_text

ATTENDED, ABSENT, EXCUSED = Attendance.ATTENDED.value, Attendance.ABSENT.value, Attendance.EXCUSED.value


@pytest.fixture
def trainer(db: Session) -> User:
    return person(db, "Tomas Treneris", roles={Role.TRAINER, Role.LEARNER})


@pytest.fixture
def event(db: Session, trainer: User) -> TrainingEvent:
    return make_event(db, trainers=[trainer])


@pytest.fixture
def browser(app: FastAPI, db: Session, settings: Settings, trainer: User) -> TestClient:
    return signed_in(app, db, settings, trainer)


def url(event: TrainingEvent) -> str:
    return f"/events/{event.id}/attendance"


def save(browser: TestClient, event: TrainingEvent, marks: dict[int, str], action: str = "save"):
    data = {f"attendance-{user_id}": value for user_id, value in marks.items()}
    return post(browser, url(event), {**data, "action": action})


# --- who may open it ----------------------------------------------------------------------------------


def test_the_events_trainer_and_administrators_open_the_sheet_others_do_not_see_it(
    app: FastAPI, db: Session, settings: Settings, browser: TestClient, event: TrainingEvent
) -> None:
    assert browser.get(url(event)).status_code == 200
    admin = person(db, "Ada Administratorė", roles={Role.ADMIN})
    assert signed_in(app, db, settings, admin).get(url(event)).status_code == 200
    other_trainer = person(db, "Kitas Treneris", roles={Role.TRAINER})
    assert signed_in(app, db, settings, other_trainer).get(url(event)).status_code == 404
    assert signed_in(app, db, settings, other_trainer).get(f"/events/{event.id}/sign-in-sheet.pdf").status_code == 404
    # Learners are stopped by the page's policy (trainers and administrators) before any event is looked up.
    learner = person(db, "Lina Besimokanti")
    register(db, event, learner)
    assert signed_in(app, db, settings, learner).get(url(event)).status_code == 403
    assert browser.get("/events/999999/attendance").status_code == 404
    anonymous = TestClient(app, base_url="http://testserver", follow_redirects=False)
    assert anonymous.get(url(event)).headers["location"].startswith("/login?next=")


def test_another_trainer_cannot_save_marks(app: FastAPI, db: Session, settings: Settings, event: TrainingEvent) -> None:
    participant = person(db, "Rūta Žemaitė")
    register(db, event, participant)
    other_trainer = person(db, "Kitas Treneris", roles={Role.TRAINER})
    response = save(signed_in(app, db, settings, other_trainer), event, {participant.id: ATTENDED})
    assert response.status_code == 404
    assert registration_of(db, event, participant).attendance is None


# --- what it shows --------------------------------------------------------------------------------------


def test_the_sheet_lists_registered_people_by_name_with_their_marks_and_counts(
    app: FastAPI, db: Session, settings: Settings, trainer: User, event: TrainingEvent
) -> None:
    names = ["Žydrūnas Žukas", "Cibulskis Ramūnas", "Čepaitė Aistė", "Ąžuolas Adomaitis", "Adomas Urbonas"]
    people = {name: person(db, name) for name in names}
    for name in names:
        register(db, event, people[name], attendance=EXCUSED if name.startswith("Č") else None)
    register(db, event, person(db, "Laukianti Eilėje"), status=RegistrationStatus.WAITING)
    register(db, event, person(db, "Atšaukusi Registraciją"), status=RegistrationStatus.CANCELLED)
    trainer.locale = "lt"
    db.commit()
    html = signed_in(app, db, settings, trainer).get(url(event)).text
    text = page_text(html)
    # Lithuanian order: a, ą, …, c, č, …, ž.
    positions = [
        text.index(name)
        for name in ["Adomas Urbonas", "Ąžuolas Adomaitis", "Cibulskis Ramūnas", "Čepaitė Aistė", "Žydrūnas Žukas"]
    ]
    assert positions == sorted(positions)
    assert "Laukianti Eilėje" not in text and "Atšaukusi Registraciją" not in text
    excused = people["Čepaitė Aistė"].id
    assert f'id="attendance-{excused}-excused" name="attendance-{excused}" value="excused" checked' in html
    assert html.count(" checked") == 1
    assert html.count('<legend class="visually-hidden">') == 5
    assert "<caption>" in html and 'th scope="row"' in html and html.count("<h1>") == 1


def test_the_sheet_shows_the_time_in_the_venues_zone(browser: TestClient, db: Session, trainer: User) -> None:
    event = make_event(db, trainers=[trainer], time_zone="Europe/Oslo")
    event.starts_at = dt.datetime(2025, 3, 6, 8, 0, tzinfo=dt.UTC)
    event.ends_at = dt.datetime(2025, 3, 6, 15, 30, tzinfo=dt.UTC)
    db.commit()
    text = page_text(browser.get(url(event)).text)
    assert "March 6, 2025, 9:00 AM–4:30 PM (Norway Time)" in text


def test_before_the_event_starts_the_page_says_when_it_opens_and_saving_is_refused(
    browser: TestClient, db: Session, trainer: User
) -> None:
    later = make_event(db, trainers=[trainer], starts_in=dt.timedelta(days=3))
    participant = person(db, "Rūta Žemaitė")
    register(db, later, participant)
    page = browser.get(url(later))
    assert page.status_code == 200
    assert "Attendance can be marked once the event has started" in page.text
    assert 'name="attendance-' not in page.text
    assert save(browser, later, {participant.id: ATTENDED}).status_code == 409
    assert registration_of(db, later, participant).attendance is None


def test_a_cancelled_event_takes_no_marks(browser: TestClient, db: Session, trainer: User) -> None:
    cancelled = make_event(db, trainers=[trainer], status=EventStatus.CANCELLED)
    participant = person(db, "Rūta Žemaitė")
    register(db, cancelled, participant)
    assert "was cancelled" in browser.get(url(cancelled)).text
    assert save(browser, cancelled, {participant.id: ATTENDED}).status_code == 409
    assert registration_of(db, cancelled, participant).attendance is None


# --- saving -----------------------------------------------------------------------------------------


def test_saving_sets_the_marks_who_and_when_and_a_resubmit_changes_nothing(
    browser: TestClient, db: Session, trainer: User, event: TrainingEvent
) -> None:
    came, stayed_away, unmarked = person(db, "Atėjusi Ona"), person(db, "Neatėjęs Jonas"), person(db, "Be žymos")
    for participant in (came, stayed_away, unmarked):
        register(db, event, participant)
    marks = {came.id: ATTENDED, stayed_away.id: ABSENT}
    response = save(browser, event, marks)
    assert response.status_code == 303
    assert response.headers["location"] == f"{url(event)}?notice=attendance-saved"
    first = registration_of(db, event, came)
    assert (first.attendance, first.attendance_marked_by_id) == (ATTENDED, trainer.id)
    assert first.attendance_marked_at is not None
    assert registration_of(db, event, stayed_away).attendance == ABSENT
    assert registration_of(db, event, unmarked).attendance is None

    again = save(browser, event, marks)
    assert again.headers["location"] == f"{url(event)}?notice=attendance-unchanged"
    assert registration_of(db, event, came).attendance_marked_at == first.attendance_marked_at
    page = browser.get(again.headers["location"]).text
    assert "nothing was changed" in page
    assert "Attended: <strong>1</strong>" in page and "Not marked yet: <strong>1</strong>" in page


def test_marking_everyone_not_yet_marked_as_attended_keeps_the_other_marks(
    browser: TestClient, db: Session, event: TrainingEvent
) -> None:
    excused, absent_now, rest = person(db, "Pateisinta Ona"), person(db, "Dabar Nėra"), person(db, "Likęs Petras")
    register(db, event, excused, attendance=EXCUSED)
    register(db, event, absent_now)
    register(db, event, rest)
    response = save(browser, event, {absent_now.id: ABSENT}, action="mark-rest-attended")
    assert response.status_code == 303
    assert registration_of(db, event, excused).attendance == EXCUSED
    assert registration_of(db, event, absent_now).attendance == ABSENT
    assert registration_of(db, event, rest).attendance == ATTENDED


@pytest.mark.usefixtures("synced")
def test_progress_is_told_only_about_people_whose_attended_state_changed(
    browser: TestClient, db: Session, trainer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[LearnerProgressChanged] = []
    monkeypatch.setattr(attendance_service, "publish", lambda _session, change: published.append(change))
    linked = [course_by_code(db, "SC9"), extra_course(db)]
    event = make_event(db, courses=linked, trainers=[trainer])
    absent_first, excused_first = person(db, "Pirma Nėra"), person(db, "Pirma Pateisinta")
    register(db, event, absent_first, attendance=ABSENT)
    register(db, event, excused_first, attendance=EXCUSED)
    save(browser, event, {absent_first.id: EXCUSED})  # absent → excused: still not attended
    assert published == []
    save(browser, event, {absent_first.id: ATTENDED, excused_first.id: EXCUSED})
    assert published == [LearnerProgressChanged(absent_first.id, course.id) for course in linked]
    published.clear()
    save(browser, event, {absent_first.id: ATTENDED})
    assert published == []
    save(browser, event, {absent_first.id: ABSENT})
    assert published == [LearnerProgressChanged(absent_first.id, course.id) for course in linked]


# --- bad input --------------------------------------------------------------------------------------


def test_a_mark_for_someone_not_registered_shows_the_form_again_and_saves_nothing(
    browser: TestClient, db: Session, event: TrainingEvent
) -> None:
    participant, waiting = person(db, "Rūta Žemaitė"), person(db, "Laukianti Eilėje")
    register(db, event, participant)
    register(db, event, waiting, status=RegistrationStatus.WAITING)
    for stranger in (waiting.id, 2_000_000_000):
        response = save(browser, event, {participant.id: ATTENDED, stranger: ATTENDED})
        assert response.status_code == 422
        assert "not registered for this event" in response.text
        assert f'name="attendance-{participant.id}" value="attended" checked' in response.text
    assert registration_of(db, event, participant).attendance is None
    assert registration_of(db, event, waiting).attendance is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attendance-{id}", "present"),
        ("attendance-{id}", ""),
        ("attendance-abc", "attended"),
        ("attendance-99999999999999999999", "attended"),
        ("action", "delete-everything"),
    ],
)
def test_values_that_are_not_marks_show_the_form_again_with_errors_and_save_nothing(
    browser: TestClient, db: Session, event: TrainingEvent, field: str, value: str
) -> None:
    participant, other = person(db, "Rūta Žemaitė"), person(db, "Jonas Jonaitis")
    register(db, event, participant)
    register(db, event, other)
    data = {f"attendance-{other.id}": ABSENT, field.format(id=participant.id): value}
    response = post(browser, url(event), data)
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text
    assert f'name="attendance-{other.id}" value="absent" checked' in response.text
    assert registration_of(db, event, participant).attendance is None
    assert registration_of(db, event, other).attendance is None


# --- query budget -----------------------------------------------------------------------------------


def test_the_sheet_runs_the_same_queries_for_one_and_for_fifty_participants(
    browser: TestClient, db: Session, event: TrainingEvent
) -> None:
    def grow(count: int) -> None:
        for _number in range(count):
            register(db, event, person(db, "Dalyvė Dalyvaitė"), attendance=ATTENDED if _number % 2 else None)

    assert_constant_queries(browser, db, url(event), grow, budget=10)
