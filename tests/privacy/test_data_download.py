"""Downloading personal data: the learner's own archive, an administrator answering a request, and who may ask."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.audit.service import AuditAction, entries_for
from app.core.access import Role
from app.core.i18n import local_date
from app.courses.importer import SyncSummary
from app.privacy.archive import ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION
from tests.factories import csrf_from, make_user
from tests.gates.queries import assert_constant_queries
from tests.privacy.seed import Person, admin_client, free_text_attempt, seeded_person, traces_around
from tests.progress.page_setup import CODE, client_for
from tests.quizzes import attempt_rows

pytestmark = pytest.mark.usefixtures("synced")

EGLE = ("Eglė Žvaigždūnaitė", "egle.zvaigzdunaite@example.lt")
JONAS = ("Jonas Kitokis", "jonas.kitokis@example.lt")


def archive_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return json.loads(response.content)


@pytest.fixture
def egle(db: Session) -> Person:
    return seeded_person(db, full_name=EGLE[0], email=EGLE[1])


@pytest.fixture
def jonas(db: Session) -> Person:
    return seeded_person(db, full_name=JONAS[0], email=JONAS[1], job_title="Bibliotekininkas")


def test_learner_downloads_every_section_of_their_own_data(
    app: FastAPI, db: Session, egle: Person, jonas: Person
) -> None:
    admin, _admin_browser = admin_client(app, db)
    traces_around(db, egle, admin)
    response = client_for(app, egle.user).get("/my/data.json")

    data = archive_of(response)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert f"klasteris-data-{local_date().isoformat()}.json" in response.headers["content-disposition"]
    assert data["format"] == ARCHIVE_FORMAT and data["format_version"] == ARCHIVE_FORMAT_VERSION
    assert data["exported_at"]

    profile = data["profile"]
    assert (profile["email"], profile["full_name"], profile["job_title"]) == (
        egle.email,
        egle.full_name,
        "Socialinė darbuotoja",
    )
    assert profile["organisation"] and profile["roles"] == ["learner"] and profile["preferred_language"] == "lt"
    assert profile["created_at"] and profile["last_sign_in_at"]

    assert [(place["course_code"], place["role"]) for place in data["course_places"]] == [(CODE, "learner")]
    assert {tick["lesson_slug"] for tick in data["lesson_ticks"]} == {"first-steps", "partners", "english-only"}
    assert all(tick["lesson_title"] and tick["completed_at"] for tick in data["lesson_ticks"])
    [completion] = data["course_completions"]
    assert (completion["course_code"], completion["state"], completion["percent"]) == (CODE, "completed", 100)
    assert completion["completed_at"]

    attempts = data["quiz_attempts"]
    assert [attempt["number"] for attempt in attempts] == [1, 2]
    typed = attempts[1]
    assert typed["state"] == "finished" and typed["marks_shown"] and typed["score"] == 2.5
    answers = {question["type"]: question for question in typed["questions"]}
    assert answers["essay"]["answer"] == egle.essay and answers["essay"]["text"] == "Describe a cluster you know."
    assert answers["essay"]["mark"] == 0.5 and answers["essay"]["trainer_comment"] == "Thank you, Eglė."
    assert answers["short_answer"]["answer"] == egle.short_answer and answers["short_answer"]["mark"] == 1.0
    assert answers["numerical"]["answer"] == "13"

    [grade] = data["quiz_grades"]
    assert grade["course_code"] == CODE and grade["passed"] and grade["finished_attempts"] == 2
    [certificate] = data["certificates"]
    assert certificate["code"] == egle.certificate_code and certificate["course_code"] == CODE
    assert certificate["verify_url"] == f"http://testserver/verify/{egle.certificate_code}"
    assert certificate["holder_name"] == egle.full_name and certificate["revoked"] is False
    [toolkit] = data["toolkit_uploads"]
    assert toolkit["created_by_you"] and [file["file_name"] for file in toolkit["files_you_uploaded"]] == [
        egle.file_name
    ]

    assert data["sessions"] and all(item["ip_address"] and item["browser"] for item in data["sessions"])
    assert any(attempt["succeeded"] for attempt in data["sign_in_attempts"])
    about = [entry for entry in data["audit_entries"] if entry["about_you"]]
    assert {entry["action"] for entry in about} == {AuditAction.USER_ROLES_CHANGED.value}
    assert all(entry["performed_by"] == "staff" and entry["ip_address"] is None for entry in about)
    # The administrator's own name and address are theirs, not the learner's.
    assert admin.email not in response.text

    text = response.content.decode()
    for foreign in (jonas.full_name, jonas.email, jonas.essay, jonas.short_answer, jonas.certificate_code):
        assert foreign not in text
    assert jonas.file_name not in text


def test_download_is_recorded_in_the_audit_log(app: FastAPI, db: Session, egle: Person) -> None:
    browser = client_for(app, egle.user)
    archive_of(browser.get("/my/data.json"))

    [entry] = entries_for(db, action=AuditAction.USER_DATA_EXPORTED)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (egle.user.id, "user", str(egle.user.id))
    assert entry.details == {"user_id": egle.user.id, "requested_by": "self", "format_version": 1}
    # The next archive lists the earlier download among the entries made by the person.
    again = archive_of(browser.get("/my/data.json"))
    [listed] = [item for item in again["audit_entries"] if item["action"] == AuditAction.USER_DATA_EXPORTED.value]
    assert listed["performed_by"] == "you" and listed["about_you"] and listed["ip_address"] == "testclient"


def test_data_page_explains_what_is_kept_and_links_to_the_download(app: FastAPI, db: Session, egle: Person) -> None:
    page = client_for(app, egle.user).get("/my/data")

    assert page.status_code == 200
    assert 'href="/my/data.json"' in page.text
    assert "<caption>" in page.text and 'scope="row"' in page.text
    assert page.text.count("<h1>") == 1
    # Nothing is recorded for only looking at the page.
    assert entries_for(db, action=AuditAction.USER_DATA_EXPORTED) == []


def test_profile_links_to_the_data_page(app: FastAPI, db: Session, egle: Person) -> None:
    assert 'href="/my/data"' in client_for(app, egle.user).get("/profile").text


def test_marks_the_quiz_still_hides_are_not_in_the_archive(app: FastAPI, db: Session, egle: Person) -> None:
    attempt_rows.course_quiz(db, CODE, review_marks="never", review_feedback="never")
    data = archive_of(client_for(app, egle.user).get("/my/data.json"))

    typed = data["quiz_attempts"][1]
    assert typed["marks_shown"] is False and typed["score"] is None and typed["grade_percent"] is None
    assert all(question["mark"] is None and question["trainer_comment"] is None for question in typed["questions"])
    # The answers themselves are the learner's own and stay in.
    assert any(question["answer"] == egle.essay for question in typed["questions"])


def test_administrator_downloads_a_persons_archive_for_their_request(
    app: FastAPI, db: Session, egle: Person, jonas: Person
) -> None:
    admin, browser = admin_client(app, db)
    response = browser.get(f"/admin/users/{egle.user.id}/data.json")

    data = archive_of(response)
    assert response.headers["cache-control"] == "no-store"
    assert data["profile"]["email"] == egle.email
    assert [certificate["code"] for certificate in data["certificates"]] == [egle.certificate_code]
    assert jonas.email not in response.text
    [entry] = entries_for(db, action=AuditAction.USER_DATA_EXPORTED)
    assert (entry.actor_id, entry.target_id) == (admin.id, str(egle.user.id))
    assert entry.details["requested_by"] == "administrator"


@pytest.mark.parametrize("roles", [{Role.LEARNER}, {Role.TRAINER, Role.LEARNER}, {Role.ORG_MANAGER, Role.LEARNER}])
def test_people_who_are_not_administrators_are_refused_the_admin_routes(
    app: FastAPI, db: Session, egle: Person, roles: set[Role]
) -> None:
    browser = client_for(app, make_user(db, roles=roles))
    profile = browser.get("/profile").text
    for response in (
        browser.get(f"/admin/users/{egle.user.id}/data.json"),
        browser.get(f"/admin/users/{egle.user.id}/anonymise"),
        browser.post(
            f"/admin/users/{egle.user.id}/anonymise",
            data={"csrf_token": csrf_from(profile), "confirm_email": egle.email},
        ),
    ):
        assert response.status_code == 403
    assert entries_for(db, action=AuditAction.USER_DATA_EXPORTED) == []
    db.expire_all()
    assert egle.user.anonymised_at is None


def test_signed_out_visitors_are_sent_to_sign_in(app: FastAPI, egle: Person) -> None:
    browser = client_for(app)
    for url in ("/my/data", "/my/data.json", f"/admin/users/{egle.user.id}/data.json"):
        response = browser.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_an_unknown_person_is_not_found(app: FastAPI, db: Session) -> None:
    _admin, browser = admin_client(app, db)
    assert browser.get("/admin/users/987654321/data.json").status_code == 404
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == AuditAction.USER_DATA_EXPORTED.value)) is None


def test_archive_query_count_does_not_grow_with_attempts(
    app: FastAPI, db: Session, synced: SyncSummary, egle: Person
) -> None:
    browser = client_for(app, egle.user)

    def grow(count: int) -> None:
        for _ in range(count):
            free_text_attempt(db, egle.user, essay="More thoughts on clusters.", short_answer="Idea")

    assert_constant_queries(browser, db, "/my/data.json", grow, budget=20)
