"""Each API endpoint answers what the database holds, and an organisation's token sees only that organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.access import Role
from app.core.db import utcnow
from app.courses.models import Course
from app.progress.models import Certificate, CompletionState
from tests.api.api_setup import api_client, enrolment, extra_course, issue_token, organisations
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("synced")
DAY = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)


def _sc9(db: Session) -> Course:
    course = db.scalar(select(Course).where(Course.code == "SC9"))
    assert course is not None
    return course


def _learners(db: Session) -> tuple[Organisation, Organisation, User, User]:
    home, other = organisations(db)[:2]
    ona = make_user(db, full_name="Ona Šimkutė", organisation=home, locale="en")
    ona.job_title = "Specialistė"
    jonas = make_user(db, full_name="Jonas Jonaitis", organisation=other)
    db.commit()
    return home, other, ona, jonas


def test_completion_records_match_the_database(app: FastAPI, db: Session) -> None:
    home, other, ona, jonas = _learners(db)
    course = extra_course(db, hours=4)
    done = enrolment(db, ona, course, state=CompletionState.COMPLETED, completed_at=DAY, grade=92.5, certificate=True)
    started = enrolment(db, jonas, _sc9(db), state=CompletionState.IN_PROGRESS)
    code = db.scalar(select(Certificate.code).where(Certificate.user_id == ona.id))
    answer = api_client(app, issue_token(db), language="en").get("/api/v1/completions")
    assert answer.status_code == 200
    body = answer.json()
    assert body["next_cursor"] is None
    records = {record["record_id"]: record for record in body["data"]}
    assert list(records) == sorted(records) and set(records) == {done.id, started.id}
    assert records[done.id] == {
        "record_id": done.id,
        "learner_id": ona.id,
        "full_name": "Ona Šimkutė",
        "email": ona.email,
        "organisation": home.name_en,
        "job_title": "Specialistė",
        "programme_code": "SC",
        "programme_title": "Social cluster programme",
        "course_code": course.code,
        "course_title": course.title["en"],
        "enrolled_at": records[done.id]["enrolled_at"],
        "completed_at": "2026-03-14T09:30:00Z",
        "state": "completed",
        "quiz_grade": 92.5,
        "hours": 4,
        "certificate_code": code,
        "certificate_url": f"http://testserver/verify/{code}",
        "learner_anonymised": False,
    }
    assert dt.datetime.fromisoformat(records[done.id]["enrolled_at"]) == done.enrolled_at
    assert records[started.id]["state"] == "in_progress"
    assert records[started.id]["hours"] is None and records[started.id]["completed_at"] is None
    assert records[started.id]["organisation"] == other.name_en


def test_completion_filters_have_the_export_meanings(app: FastAPI, db: Session) -> None:
    home, other, ona, jonas = _learners(db)
    course = extra_course(db, programme="AC")
    march = enrolment(db, ona, course, state=CompletionState.COMPLETED, completed_at=DAY)
    april = enrolment(db, jonas, course, state=CompletionState.COMPLETED, completed_at=DAY + dt.timedelta(days=30))
    waiting = enrolment(db, ona, _sc9(db))
    api = api_client(app, issue_token(db))

    def ids(query: str) -> set[int]:
        answer = api.get(f"/api/v1/completions?{query}")
        assert answer.status_code == 200, answer.text
        return {record["record_id"] for record in answer.json()["data"]}

    assert ids("programme=AC") == {march.id, april.id}
    assert ids("programme=ac") == {march.id, april.id}
    assert ids(f"course={course.code}") == {march.id, april.id}
    assert ids("course=SC9") == {waiting.id}
    assert ids(f"organisation={other.id}") == {april.id}
    assert ids("state=not_started") == {waiting.id}
    assert ids("state=completed") == {march.id, april.id}
    assert ids("completed_from=2026-03-14&completed_to=2026-03-14") == {march.id}
    assert ids("completed_from=2026-03-15") == {april.id}
    assert ids("completed_to=2026-04-12") == {march.id}
    assert ids("programme=NOPE") == set()


def test_users_are_listed_without_secrets_and_erased_people_without_personal_data(app: FastAPI, db: Session) -> None:
    home, other, ona, jonas = _learners(db)
    trainer = make_user(db, roles={Role.TRAINER, Role.LEARNER}, organisation=home)
    jonas.anonymised_at = utcnow()
    trainer.is_active = False
    db.commit()
    api = api_client(app, issue_token(db))
    answer = api.get("/api/v1/users?limit=500")
    assert answer.status_code == 200
    assert "password" not in answer.text and "argon2" not in answer.text
    people = {person["id"]: person for person in answer.json()["data"]}
    everyone = db.scalars(select(User).order_by(User.id)).all()
    assert list(people) == [user.id for user in everyone]
    assert people[ona.id] == {
        "id": ona.id,
        "email": ona.email,
        "full_name": "Ona Šimkutė",
        "job_title": "Specialistė",
        "organisation_id": home.id,
        "locale": "en",
        "roles": ["learner"],
        "is_active": True,
        "anonymised": False,
        "created_at": people[ona.id]["created_at"],
        "last_login_at": None,
    }
    erased = people[jonas.id]
    assert erased["anonymised"] is True
    assert (erased["email"], erased["full_name"], erased["job_title"]) == ("", "", "")
    assert jonas.email not in answer.text
    assert people[trainer.id]["roles"] == ["learner", "trainer"]

    def ids(query: str) -> set[int]:
        return {person["id"] for person in api.get(f"/api/v1/users?{query}").json()["data"]}

    assert ids("role=trainer") == {trainer.id}
    assert ids("active=false") == {trainer.id}
    assert ona.id in ids("active=true") and trainer.id not in ids("active=true")
    assert ids(f"organisation={other.id}") == {user.id for user in everyone if user.organisation_id == other.id}
    one = api.get(f"/api/v1/users/{ona.id}")
    assert one.status_code == 200 and one.json() == people[ona.id]
    missing = api.get("/api/v1/users/2147483000")
    assert missing.status_code == 404 and set(missing.json()) == {"detail"}


def test_courses_are_listed_with_their_programme_in_the_language_asked_for(app: FastAPI, db: Session) -> None:
    archived = extra_course(db, programme="AC", hours=6)
    archived.archived_at = utcnow()
    db.commit()
    api = api_client(app, issue_token(db), language="en")
    answer = api.get("/api/v1/courses")
    assert answer.status_code == 200
    courses = {course["code"]: course for course in answer.json()["data"]}
    assert set(courses) == set(db.scalars(select(Course.code)))
    assert courses[archived.code] == {
        "id": archived.id,
        "code": archived.code,
        "programme_code": "AC",
        "programme_title": "Administrative capacity programme",
        "title": archived.title["en"],
        "summary": "Summary",
        "estimated_hours": 6,
        "archived": True,
        "url": f"http://testserver/courses/{archived.code}",
    }
    assert courses["SC9"]["archived"] is False
    assert {course["code"] for course in api.get("/api/v1/courses?programme=AC").json()["data"]} == {archived.code}
    one = api.get("/api/v1/courses/sc9")
    assert one.status_code == 200 and one.json() == courses["SC9"]
    lithuanian = api_client(app, issue_token(db), language="lt").get(f"/api/v1/courses/{archived.code}")
    assert lithuanian.json()["title"] == archived.title["lt"]
    assert lithuanian.headers["content-language"] == "lt"
    assert api.get("/api/v1/courses/NOPE1").status_code == 404


def test_organisations_are_listed_and_found_by_id(app: FastAPI, db: Session) -> None:
    api = api_client(app, issue_token(db), language="en")
    answer = api.get("/api/v1/organisations?limit=500")
    every = organisations(db)
    assert [organisation["id"] for organisation in answer.json()["data"]] == [row.id for row in every]
    first = every[0]
    assert api.get(f"/api/v1/organisations/{first.id}").json() == {
        "id": first.id,
        "slug": first.slug,
        "name": first.name_en,
        "name_lt": first.name_lt,
        "name_en": first.name_en,
        "country": first.country,
        "website": first.website,
    }
    assert api.get("/api/v1/organisations/2147483000").status_code == 404


def test_an_organisation_token_sees_only_its_own_organisation(app: FastAPI, db: Session) -> None:
    home, other, ona, jonas = _learners(db)
    course = extra_course(db)
    own = enrolment(db, ona, course, state=CompletionState.COMPLETED)
    enrolment(db, jonas, course, state=CompletionState.COMPLETED)
    api = api_client(app, issue_token(db, organisation=home))

    records = api.get("/api/v1/completions").json()["data"]
    assert [record["record_id"] for record in records] == [own.id]
    assert api.get(f"/api/v1/completions?organisation={home.id}").status_code == 200
    refused = api.get(f"/api/v1/completions?organisation={other.id}")
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/json"

    people = api.get("/api/v1/users?limit=500").json()["data"]
    assert people and {person["organisation_id"] for person in people} == {home.id}
    assert api.get(f"/api/v1/users/{ona.id}").status_code == 200
    assert api.get(f"/api/v1/users/{jonas.id}").status_code == 404
    assert api.get(f"/api/v1/users?organisation={other.id}").status_code == 404

    assert [row["id"] for row in api.get("/api/v1/organisations").json()["data"]] == [home.id]
    assert api.get(f"/api/v1/organisations/{home.id}").status_code == 200
    assert api.get(f"/api/v1/organisations/{other.id}").status_code == 404
    # Courses are the same for everyone.
    assert api.get("/api/v1/courses/SC9").status_code == 200
