"""Anonymising a person: every trace of their name and address goes, the facts behind the figures stay."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt, PasswordResetToken, User, UserRole, UserSession
from app.audit.models import AuditEntry
from app.audit.service import AuditAction, SystemActor, entries_for
from app.core.access import Role
from app.core.errors import Conflict
from app.core.i18n import using_locale
from app.core.templating import make_templates
from app.models import Base
from app.privacy.anonymise import anonymise_user
from app.progress.models import Certificate, CompletionState, CourseCompletion
from app.quizzes.models import AttemptQuestion, QuizAttempt, QuizGrade
from app.reports.completions import CompletionFilters, count_completion_records, iter_completion_records
from app.reports.indicators import IndicatorFilters, programme_indicators
from app.reports.scope import EVERYTHING
from tests.factories import DEFAULT_PASSWORD, csrf_from, make_user
from tests.privacy.seed import Person, admin_client, seeded_person, traces_around
from tests.progress.page_setup import client_for, completed_learner

pytestmark = pytest.mark.usefixtures("synced")

FULL_NAME = "Eglė Žvaigždūnaitė-Privatumienė"
EMAIL = "egle.privatumiene@example.lt"


@pytest.fixture
def egle(db: Session) -> Person:
    return seeded_person(db, full_name=FULL_NAME, email=EMAIL)


@dataclass
class Admin:
    user: User
    browser: TestClient


@pytest.fixture
def admin(app: FastAPI, db: Session) -> Admin:
    user, browser = admin_client(app, db)
    return Admin(user, browser)


def form_url(person: User) -> str:
    return f"/admin/users/{person.id}/anonymise"


def submit(browser: TestClient, person: User, confirmation: str) -> Any:
    page = browser.get(form_url(person))
    assert page.status_code == 200, page.text
    return browser.post(form_url(person), data={"csrf_token": csrf_from(page.text), "confirm_email": confirmation})


def rows_mentioning(db: Session, *needles: str) -> list[str]:
    """Every row of every table whose values mention one of the needles (any case)."""
    db.expire_all()
    found = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)):
            text = str(tuple(row)).casefold()
            found += [f"{table.name}: {needle}" for needle in needles if needle.casefold() in text]
    return found


def figures(db: Session) -> dict[str, Any]:
    """What indicators are made of: completion states, completion records by state, grades and certificates."""
    db.expire_all()
    by_state = db.execute(select(CourseCompletion.state, func.count()).group_by(CourseCompletion.state))
    states = Counter({state: count for state, count in by_state})
    records = {
        str(state): count_completion_records(db, filters=CompletionFilters(state=state), scope=EVERYTHING)
        for state in CompletionState
    }
    listed = [
        (record.learner_id, record.course_code, record.state, record.quiz_grade, record.hours, record.certificate_code)
        for record in iter_completion_records(
            db, filters=CompletionFilters(), scope=EVERYTHING, locale="en", base_url="http://testserver"
        )
    ]
    return {
        "states": states,
        "records": records,
        "total": count_completion_records(db, filters=CompletionFilters(), scope=EVERYTHING),
        "listed": listed,
        "grades": sorted(
            tuple(row) for row in db.execute(select(QuizGrade.user_id, QuizGrade.grade, QuizGrade.passed))
        ),
        "attempt_grades": sorted(tuple(row) for row in db.execute(select(QuizAttempt.id, QuizAttempt.grade))),
        "certificates": sorted(tuple(row) for row in db.execute(select(Certificate.code, Certificate.completed_at))),
        # The funders' dashboard itself: every total, per course, programme and organisation.
        "indicators": programme_indicators(db, filters=IndicatorFilters(), scope=EVERYTHING),
    }


def test_confirmation_page_says_what_is_erased_and_what_is_kept(db: Session, egle: Person, admin: Admin) -> None:
    page = admin.browser.get(form_url(egle.user))

    assert page.status_code == 200
    assert EMAIL in page.text and FULL_NAME in page.text
    assert 'name="confirm_email"' in page.text and 'name="csrf_token"' in page.text
    assert "What will be erased" in page.text and "What is kept" in page.text
    # The essay and the short answer of the second attempt; the numerical answer and unanswered ones do not count.
    assert "2 essays and short answers the person wrote" in page.text
    assert "1 course completion record" in page.text
    # Looking changes nothing.
    db.expire_all()
    assert egle.user.anonymised_at is None


def test_after_anonymising_no_table_mentions_the_old_name_or_address(
    app: FastAPI, db: Session, egle: Person, admin: Admin
) -> None:
    client_for(app, egle.user).get("/my/data.json")  # an entry made by the person, from their own session
    traces_around(db, egle, admin.user)
    assert admin.browser.get(f"/admin/users/{egle.user.id}/data.json").status_code == 200
    assert rows_mentioning(db, FULL_NAME, EMAIL)  # the check finds them while they are there

    response = submit(admin.browser, egle.user, f"  {EMAIL.upper()} ")

    assert response.status_code == 303, response.text
    assert rows_mentioning(db, FULL_NAME, EMAIL, egle.essay, egle.short_answer, "Socialinė darbuotoja") == []
    db.expire_all()
    person = db.get(User, egle.user.id)
    assert person is not None
    assert (person.full_name, person.email, person.job_title) == ("", f"anonymised-{person.id}@invalid", "")
    assert person.password_hash is None and person.last_login_at is None
    assert person.is_active is False and person.anonymised_at is not None
    assert person.organisation_id == egle.user.organisation_id
    assert db.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == person.id)) == 0
    assert (
        db.scalar(select(func.count()).select_from(PasswordResetToken).where(PasswordResetToken.user_id == person.id))
        == 0
    )
    # Someone else's row in the same import stays as it was.
    assert rows_mentioning(db, "someone.else@example.lt", "Kitas Žmogus") == [
        "user_imports: someone.else@example.lt",
        "user_imports: Kitas Žmogus",
    ]


def test_the_result_page_shows_the_erasure(db: Session, egle: Person, admin: Admin) -> None:
    response = submit(admin.browser, egle.user, EMAIL)
    page = admin.browser.get(response.headers["location"])

    assert page.status_code == 200
    assert "Personal data erased" in page.text and f"Anonymised person #{egle.user.id}" in page.text
    assert 'name="confirm_email"' not in page.text


def test_anonymised_person_cannot_sign_in_or_use_an_open_session(
    app: FastAPI, db: Session, egle: Person, admin: Admin
) -> None:
    browser = client_for(app, egle.user)
    assert browser.get("/my/data").status_code == 200

    assert submit(admin.browser, egle.user, EMAIL).status_code == 303

    assert browser.get("/my/data").status_code == 303  # the session is gone
    page = client_for(app).get("/login")
    for email in (EMAIL, f"anonymised-{egle.user.id}@invalid"):
        attempt = client_for(app).post(
            "/login", data={"csrf_token": csrf_from(page.text), "email": email, "password": DEFAULT_PASSWORD}
        )
        assert attempt.status_code != 303


def test_completion_figures_are_identical_before_and_after(db: Session, egle: Person, admin: Admin) -> None:
    completed_learner(db, full_name="Jonas Kitokis")
    before = figures(db)
    assert before["states"][CompletionState.COMPLETED] == 2 and before["total"] >= 2
    assert before["indicators"].completions == 2 and before["indicators"].registered_learners >= 2

    assert submit(admin.browser, egle.user, EMAIL).status_code == 303

    assert figures(db) == before


def test_free_text_answers_are_erased_and_marks_kept(db: Session, egle: Person, admin: Admin) -> None:
    assert submit(admin.browser, egle.user, EMAIL).status_code == 303

    db.expire_all()
    rows = db.scalars(
        select(AttemptQuestion)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(QuizAttempt.user_id == egle.user.id, QuizAttempt.number == 2)
        .order_by(AttemptQuestion.position)
    ).all()
    assert [row.response for row in rows] == [None, None, "13"]
    assert [row.mark for row in rows] == [1.0, 0.5, 1.0]
    # Frozen, so regrading the short answer later cannot turn the erased answer into zero marks.
    assert [row.manual_mark for row in rows] == [1.0, 0.5, None]
    assert all(row.manual_comment == "" for row in rows)


def test_certificate_is_still_valid_but_shows_no_name(app: FastAPI, db: Session, egle: Person, admin: Admin) -> None:
    before = client_for(app).get(f"/verify/{egle.certificate_code}")
    assert FULL_NAME in before.text

    assert submit(admin.browser, egle.user, EMAIL).status_code == 303

    page = client_for(app).get(f"/verify/{egle.certificate_code}?lang=en")
    assert page.status_code == 200
    assert "This certificate is valid" in page.text
    assert FULL_NAME not in page.text and "Eglė" not in page.text
    assert "personal data has been erased" in page.text
    db.expire_all()
    certificate = db.scalar(select(Certificate).where(Certificate.code == egle.certificate_code))
    assert certificate is not None and certificate.holder_name == "" and certificate.pdf is None


def test_audit_log_records_the_erasure_without_the_erased_values(
    app: FastAPI, db: Session, egle: Person, admin: Admin
) -> None:
    client_for(app, egle.user).get("/my/data.json")

    assert submit(admin.browser, egle.user, EMAIL).status_code == 303

    [entry] = entries_for(db, action=AuditAction.USER_ANONYMISED)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.user.id, "user", str(egle.user.id))
    assert entry.details["user_id"] == egle.user.id
    assert {"full_name", "email", "free_text_answers", "certificate_pdf"} <= set(entry.details["erased"])
    assert entry.details["counts"]["certificates"] == 1 and entry.details["counts"]["free_text_answers"] == 2
    assert FULL_NAME not in str(entry.details) and EMAIL not in str(entry.details)
    # Entries the person made stay, under a neutral label and without their IP address.
    db.expire_all()
    [own] = db.scalars(select(AuditEntry).where(AuditEntry.actor_id == egle.user.id)).all()
    assert (own.action, own.actor_label, own.ip_address) == (
        AuditAction.USER_DATA_EXPORTED.value,
        f"Anonymised person #{egle.user.id}",
        "",
    )


def test_anonymising_yourself_is_refused(db: Session, admin: Admin) -> None:
    make_user(db, roles={Role.ADMIN})  # not the last administrator: only the self-rule applies
    page = admin.browser.get(form_url(admin.user))
    assert page.status_code == 200 and "You cannot erase your own personal data" in page.text
    assert 'name="confirm_email"' not in page.text

    response = admin.browser.post(
        form_url(admin.user), data={"csrf_token": csrf_from(page.text), "confirm_email": admin.user.email}
    )

    assert response.status_code == 409
    assert "You cannot erase your own personal data" in response.text
    db.expire_all()
    assert admin.user.anonymised_at is None and entries_for(db, action=AuditAction.USER_ANONYMISED) == []


def test_a_second_submission_is_refused_and_changes_nothing(db: Session, egle: Person, admin: Admin) -> None:
    page = admin.browser.get(form_url(egle.user))
    data = {"csrf_token": csrf_from(page.text), "confirm_email": EMAIL}
    assert admin.browser.post(form_url(egle.user), data=data).status_code == 303
    db.expire_all()
    erased_at = db.get(User, egle.user.id).anonymised_at  # type: ignore[union-attr]

    again = admin.browser.post(form_url(egle.user), data=data)
    empty = admin.browser.post(form_url(egle.user), data={**data, "confirm_email": ""})

    assert again.status_code == 409 and "already been erased" in again.text
    assert empty.status_code == 409 and "already been erased" in empty.text
    db.expire_all()
    assert db.get(User, egle.user.id).anonymised_at == erased_at  # type: ignore[union-attr]
    assert len(entries_for(db, action=AuditAction.USER_ANONYMISED)) == 1


def test_the_last_active_administrator_is_refused(db: Session) -> None:
    # Through the web an administrator always acts beside themselves; the command line has no such account.
    db.execute(
        update(User)
        .where(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.ADMIN)))
        .values(is_active=False)
    )
    only_admin = make_user(db, roles={Role.ADMIN, Role.LEARNER}, email_address="only.admin@example.lt")

    with using_locale("en"), pytest.raises(Conflict, match="last active administrator"):
        anonymise_user(db, user_id=only_admin.id, by=SystemActor("command line"), confirmation=only_admin.email)

    db.rollback()
    db.expire_all()
    assert db.get(User, only_admin.id).anonymised_at is None  # type: ignore[union-attr]
    # With a second active administrator, the same person may be anonymised.
    make_user(db, roles={Role.ADMIN})
    anonymise_user(db, user_id=only_admin.id, by=SystemActor("command line"), confirmation=only_admin.email)
    assert db.get(User, only_admin.id).anonymised_at is not None  # type: ignore[union-attr]


@pytest.mark.parametrize("typed", ["", "someone.else@example.lt", "egle.privatumiene"])
def test_a_wrong_confirmation_shows_the_form_again(db: Session, egle: Person, admin: Admin, typed: str) -> None:
    response = submit(admin.browser, egle.user, typed)

    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and 'aria-invalid="true"' in response.text
    assert f'value="{typed}"' in response.text
    db.expire_all()
    person = db.get(User, egle.user.id)
    assert person is not None and person.anonymised_at is None and person.email == EMAIL
    assert entries_for(db, action=AuditAction.USER_ANONYMISED) == []


def test_an_unknown_person_is_not_found(admin: Admin) -> None:
    page = admin.browser.get("/admin/users/987654321/anonymise")
    assert page.status_code == 404
    response = admin.browser.post(
        "/admin/users/987654321/anonymise", data={"csrf_token": csrf_from(admin.browser.get("/profile").text)}
    )
    assert response.status_code == 404


def test_sign_in_attempts_under_the_old_address_are_deleted(
    app: FastAPI, db: Session, egle: Person, admin: Admin
) -> None:
    client_for(app, egle.user)  # one successful sign-in recorded under the address
    assert db.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == EMAIL))

    assert submit(admin.browser, egle.user, EMAIL).status_code == 303

    assert db.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == EMAIL)) == 0


def test_name_macro_gives_a_neutral_label_to_anonymised_people() -> None:
    macro = make_templates().env.get_template("_macros/person.html").module.person_name  # type: ignore[attr-defined]
    assert str(macro("Rūta Žemaitė", 7)) == "Rūta Žemaitė"
    with using_locale("en"):
        assert str(macro("", 7)) == "Anonymised person #7"
    with using_locale("lt"):
        assert str(macro("", 7)) == "Nuasmenintas asmuo Nr. 7"


def test_lists_show_an_erased_person_by_a_neutral_label(app: FastAPI, db: Session, egle: Person, admin: Admin) -> None:
    assert submit(admin.browser, egle.user, EMAIL).status_code == 303
    label = f"Anonymised person #{egle.user.id}"
    for path in ("/courses/SC9/progress", "/courses/SC9/learners", "/admin/certificates"):
        page = admin.browser.get(f"{path}?lang=en")
        assert page.status_code == 200, path
        assert label in page.text, path
        assert FULL_NAME not in page.text, path
