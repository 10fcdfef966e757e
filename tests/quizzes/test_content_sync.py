"""Quiz files in the content folder become bank questions; edits add versions, removals archive."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.courses.content import ContentInvalid, fingerprint, load_content
from app.quizzes.content_sync import sync_course_quizzes
from app.quizzes.models import Question, QuestionCategory, QuestionVersion
from tests.conftest import COURSE_DIR, sync


def _questions(session: Session) -> dict[str, Question]:
    session.expire_all()
    rows = session.scalars(select(Question).options(selectinload(Question.versions)))
    return {question.source_key or "": question for question in rows}


def _sync_quizzes(session: Session, root: Path):  # type: ignore[no-untyped-def]
    summary = sync_course_quizzes(session, load_content(root))
    session.commit()
    return summary


def test_quiz_files_are_imported_per_language(db: Session, content_root: Path) -> None:
    sync(db, content_root, quizzes=False)
    summary = _sync_quizzes(db, content_root)
    assert (summary.created, summary.new_versions, summary.archived) == (3, 0, 0)
    questions = _questions(db)
    assert set(questions) == {"quiz.lt.gift#Q1", "quiz.lt.gift#Q2", "quiz.en.gift#Q1"}
    assert questions["quiz.lt.gift#Q2"].question_type == "numerical"
    assert questions["quiz.lt.gift#Q1"].language == "lt"
    assert questions["quiz.lt.gift#Q1"].versions[0].data["correct"] is True
    assert db.scalar(select(QuestionCategory.path)) == ""


def test_second_sync_changes_nothing(db: Session, content_root: Path) -> None:
    sync(db, content_root, quizzes=False)
    _sync_quizzes(db, content_root)
    assert _sync_quizzes(db, content_root).changes == 0


def test_an_edited_question_gets_a_new_version_and_keeps_the_old_one(db: Session, content_root: Path) -> None:
    sync(db, content_root, quizzes=False)
    _sync_quizzes(db, content_root)
    quiz = content_root / COURSE_DIR / "quiz.lt.gift"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("{#2:1}", "{#3:1}"), encoding="utf-8")
    assert _sync_quizzes(db, content_root).new_versions == 1
    question = _questions(db)["quiz.lt.gift#Q2"]
    assert question.current_version == 2
    assert [version.data["answers"][0]["value"] for version in question.versions] == [2.0, 3.0]


def test_a_removed_question_is_archived(db: Session, content_root: Path) -> None:
    sync(db, content_root, quizzes=False)
    _sync_quizzes(db, content_root)
    quiz = content_root / COURSE_DIR / "quiz.lt.gift"
    quiz.write_text(quiz.read_text(encoding="utf-8").split("::Q2::")[0], encoding="utf-8")
    assert _sync_quizzes(db, content_root).archived == 1
    assert _questions(db)["quiz.lt.gift#Q2"].archived_at is not None


def test_a_broken_question_stops_the_import_and_names_its_line(db: Session, content_root: Path) -> None:
    sync(db, content_root, quizzes=False)
    quiz = content_root / COURSE_DIR / "quiz.en.gift"
    quiz.write_text(quiz.read_text(encoding="utf-8") + "\n::Q9:: Unbalanced {=a ~b\n", encoding="utf-8")
    with pytest.raises(ContentInvalid) as raised:
        _sync_quizzes(db, content_root)
    assert any("line 3" in str(error) for error in raised.value.errors), raised.value.errors
    db.rollback()
    assert _questions(db) == {}


def test_a_trainers_edit_survives_a_sync_of_an_unchanged_file(db: Session, content_root: Path) -> None:
    sync(db, content_root, quizzes=False)
    _sync_quizzes(db, content_root)
    question = _questions(db)["quiz.lt.gift#Q2"]
    edited = {**question.versions[0].data, "general_feedback": "Trainer's note"}
    question.versions.append(QuestionVersion(version=2, data=edited, content_hash=fingerprint(edited)))
    question.current_version = 2
    db.commit()
    assert _sync_quizzes(db, content_root).changes == 0
    assert _questions(db)["quiz.lt.gift#Q2"].current_version == 2
    # A changed file wins over the edit, as a new version.
    quiz = content_root / COURSE_DIR / "quiz.lt.gift"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("{#2:1}", "{#3:1}"), encoding="utf-8")
    assert _sync_quizzes(db, content_root).new_versions == 1
    assert _questions(db)["quiz.lt.gift#Q2"].current_version == 3


def test_a_question_removed_and_put_back_returns_from_the_archive(db: Session, content_root: Path) -> None:
    sync(db, content_root, quizzes=False)
    _sync_quizzes(db, content_root)
    quiz = content_root / COURSE_DIR / "quiz.lt.gift"
    original = quiz.read_text(encoding="utf-8")
    quiz.write_text(original.split("::Q2::")[0], encoding="utf-8")
    assert _sync_quizzes(db, content_root).archived == 1
    quiz.write_text(original, encoding="utf-8")
    _sync_quizzes(db, content_root)
    assert _questions(db)["quiz.lt.gift#Q2"].archived_at is None
