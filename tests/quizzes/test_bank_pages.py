"""The question bank page through HTTP: listing, filters, pages, archiving, and who may see which course's bank."""

from __future__ import annotations

import itertools

import pytest
from babel.support import NullTranslations
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core import i18n
from app.core.access import Role
from app.courses.importer import SyncSummary
from app.courses.models import Course, Programme
from app.courses.service import assign_trainer
from app.quizzes.bank import CategoryCache, new_bank_question
from app.quizzes.interchange import QUESTION_TYPES, Essay
from app.quizzes.models import Question
from tests.core.test_i18n import _allowed_data, _untranslated
from tests.factories import csrf_from, log_in, make_user

BANK = "/courses/SC9/questions"
_numbers = itertools.count(1)


@pytest.fixture
def trainer(client: TestClient, db: Session, synced: SyncSummary) -> User:
    user = make_user(db, roles={Role.TRAINER, Role.LEARNER}, locale="en")
    assign_trainer(db, code="SC9", user=user)
    db.commit()
    log_in(client, user.email)
    return user


def add_questions(
    db: Session, how_many: int, *, code: str = "SC9", category: tuple[str, ...] = (), language: str = "en"
) -> list[Question]:
    course = db.scalar(select(Course).where(Course.code == code))
    assert course is not None
    categories = CategoryCache(db, course.id)
    added = []
    for _ in range(how_many):
        number = next(_numbers)
        question = new_bank_question(
            Essay(title=f"Essay {number:04d}", text="Write.", category=category),
            course_id=course.id, category=categories.get(category), language=language, position=1000 + number,
            source_key=None,
        )  # fmt: skip
        db.add(question)
        added.append(question)
    db.commit()
    return added


def other_course(db: Session) -> Course:
    programme = db.scalar(select(Programme).where(Programme.code == "SC"))
    assert programme is not None
    course = Course(
        code="SC8", slug="sc8-other", programme_id=programme.id, position=80, title={"lt": "Kitas", "en": "Other"},
        summary={"lt": "Santrauka", "en": "Summary"}, outcomes={"lt": ["Tikslas"], "en": ["Outcome"]},
        estimated_hours=1, content_hash="x",
    )  # fmt: skip
    db.add(course)
    db.commit()
    return course


def test_bank_lists_the_course_questions_with_their_details(client: TestClient, trainer: User) -> None:
    page = client.get(BANK)
    assert page.status_code == 200
    assert "Question bank of SC9" in page.text and "3 questions" in page.text
    assert "Does a cluster join partners?" not in page.text  # the table shows names, not texts
    assert page.text.count('<th scope="row">Q1</th>') == 2 and "Q2" in page.text
    assert "True/false" in page.text and "Numerical" in page.text and "Lithuanian" in page.text
    assert "Top of the bank" in page.text
    for link in (
        "/questions/new/single_choice",
        "/questions/new/description",
        "/questions/import",
        "/questions/export",
    ):
        assert link in page.text


def test_each_row_links_to_edit_and_preview(client: TestClient, db: Session, trainer: User) -> None:
    question = db.scalar(select(Question).where(Question.title == "Q2"))
    assert question is not None
    page = client.get(BANK).text
    assert f'href="/courses/SC9/questions/{question.id}/edit"' in page
    assert f'href="/courses/SC9/questions/{question.id}/preview"' in page
    assert f'action="/courses/SC9/questions/{question.id}/archive"' in page


def test_filters_narrow_the_list(client: TestClient, db: Session, trainer: User) -> None:
    add_questions(db, 1, category=("Unit 1",), language="lt")
    by_type = client.get(f"{BANK}?type=numerical").text
    assert "1 question</caption>" in by_type and "Q2" in by_type
    by_language = client.get(f"{BANK}?language=en").text
    assert "1 question</caption>" in by_language and "Q1" in by_language
    by_category = client.get(f"{BANK}?category=Unit+1").text
    assert "1 question</caption>" in by_category and "Essay" in by_category
    top_only = client.get(f"{BANK}?category=/").text
    assert "3 questions" in top_only
    searched = client.get(f"{BANK}?q=q2").text
    assert "1 question</caption>" in searched and "Q2" in searched
    nothing = client.get(f"{BANK}?q=%25_nothing").text
    assert "No questions match these filters." in nothing


def test_unknown_filter_values_are_ignored(client: TestClient, trainer: User) -> None:
    page = client.get(f"{BANK}?type=cloze&language=xx&status=weird&page=abc")
    assert page.status_code == 200 and "3 questions" in page.text


def test_bank_is_paginated_fifty_a_page(client: TestClient, db: Session, trainer: User) -> None:
    add_questions(db, 60, category=("Many",))
    first = client.get(f"{BANK}?category=Many").text
    assert "60 questions, page 1 of 2" in first and first.count('<th scope="row">Essay') == 50
    assert 'href="?category=Many&amp;page=2"' in first
    second = client.get(f"{BANK}?category=Many&page=2").text
    assert second.count('<th scope="row">Essay') == 10 and 'rel="prev"' in second
    beyond = client.get(f"{BANK}?category=Many&page=99").text
    assert "page 2 of 2" in beyond


def test_empty_bank_says_so(client: TestClient, db: Session, trainer: User) -> None:
    other_course(db)
    admin = make_user(db, roles={Role.ADMIN, Role.TRAINER, Role.LEARNER}, locale="en")
    client.cookies.clear()
    log_in(client, admin.email)
    page = client.get("/courses/SC8/questions")
    assert page.status_code == 200 and "This question bank is empty." in page.text


def test_archive_and_restore(client: TestClient, db: Session, trainer: User) -> None:
    (question,) = add_questions(db, 1)
    token = csrf_from(client.get(BANK).text)
    archived = client.post(f"{BANK}/{question.id}/archive", data={"csrf_token": token})
    assert archived.status_code == 303 and archived.headers["location"] == f"{BANK}?notice=question-archived"
    db.refresh(question)
    assert question.archived_at is not None
    live = client.get(archived.headers["location"]).text
    assert "The question has been archived." in live and question.title not in live
    archive = client.get(f"{BANK}?status=archived").text
    assert question.title in archive and f'action="/courses/SC9/questions/{question.id}/restore"' in archive
    restored = client.post(f"{BANK}/{question.id}/restore", data={"csrf_token": token})
    assert restored.status_code == 303
    db.refresh(question)
    assert question.archived_at is None
    assert question.title in client.get(restored.headers["location"]).text


def test_a_learner_may_not_open_the_bank(client: TestClient, db: Session, synced: SyncSummary) -> None:
    log_in(client, make_user(db).email)
    assert client.get(BANK).status_code == 403


def test_a_trainer_of_another_course_gets_not_found(client: TestClient, db: Session, synced: SyncSummary) -> None:
    other_course(db)
    outsider = make_user(db, roles={Role.TRAINER, Role.LEARNER}, locale="en")
    assign_trainer(db, code="SC8", user=outsider)
    db.commit()
    log_in(client, outsider.email)
    question = db.scalar(select(Question).where(Question.title == "Q2"))
    assert question is not None
    assert client.get(BANK).status_code == 404
    assert client.get(f"/courses/SC9/questions/{question.id}/edit").status_code == 404
    # Course A's question addressed through course B, which this trainer does teach: still not found.
    assert client.get("/courses/SC8/questions").status_code == 200
    assert client.get(f"/courses/SC8/questions/{question.id}/edit").status_code == 404
    token = csrf_from(client.get("/courses/SC8/questions").text)
    assert client.post(f"/courses/SC8/questions/{question.id}/archive", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/courses/SC8/questions/{question.id}/edit", data={"csrf_token": token}).status_code == 404
    db.refresh(question)
    assert question.archived_at is None


def test_question_ids_out_of_range_are_refused(client: TestClient, trainer: User) -> None:
    assert client.get(f"{BANK}/99999999999/edit").status_code == 422
    assert client.get(f"{BANK}/2147483647/edit").status_code == 404


@pytest.fixture
def pseudo_translations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every translated string comes out wrapped in ⟦…⟧, so text without the marks bypassed gettext."""

    class Pseudo(NullTranslations):
        def gettext(self, message: str) -> str:
            return f"⟦{message}⟧"

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            return f"⟦{singular if n == 1 else plural}⟧"

    monkeypatch.setattr(i18n, "translations_for", lambda locale: Pseudo())


def _flattened(html: str) -> str:
    """Keep only the outer marks of a translation inside a translation (a type name in a sentence)."""
    depth, kept = 0, []
    for char in html:
        if char == "⟦":
            depth += 1
            if depth > 1:
                continue
        elif char == "⟧":
            depth -= 1
            if depth > 0:
                continue
        kept.append(char)
    return "".join(kept)


def test_bank_pages_show_no_text_that_bypassed_gettext(
    client: TestClient, db: Session, trainer: User, pseudo_translations: None
) -> None:
    add_questions(db, 1, category=("Unit 1",))
    question = db.scalar(select(Question).where(Question.title == "Q2"))
    assert question is not None
    # Data shown on the pages: the course, question names and texts, the person signed in.
    data = _allowed_data() | {"SC9", "Bandomasis kursas", "Test course", "Unit 1", "Essay", "Kiek?", "Rūta Žemaitė"}
    pages = [BANK, f"{BANK}?q=nothing", f"{BANK}/{question.id}/edit", f"{BANK}/import"]
    pages += [f"{BANK}/new/{question_type}" for question_type in QUESTION_TYPES]
    # In Lithuanian, whose month names the allowed data knows.
    problems = {
        page: _untranslated(_flattened(client.get(f"{page}{'&' if '?' in page else '?'}lang=lt").text), data)
        for page in pages
    }
    assert {page: texts for page, texts in problems.items() if texts} == {}


def test_import_report_shows_no_text_that_bypassed_gettext(
    client: TestClient, db: Session, trainer: User, pseudo_translations: None
) -> None:
    token = csrf_from(client.get(f"{BANK}/import").text)
    report = client.post(
        f"{BANK}/import?lang=lt",
        data={"csrf_token": token, "format": "auto", "language": "en"},
        files={"file": ("mixed.gift", b"::Sum:: 2+2? {=4 ~5}\n\n::Cloze:: {1:MC:=a~b}\n\n::Odd:: x {~a ~b}\n")},
    )
    assert report.status_code == 200 and "⟦" in report.text
    data = _allowed_data() | {"SC9", "Bandomasis kursas", "mixed.gift", "Sum", "Cloze", "Odd"}
    assert _untranslated(_flattened(report.text), data) == []
