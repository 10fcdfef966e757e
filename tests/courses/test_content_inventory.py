"""The shipped content: two programmes, nine courses, every lesson in both languages, quizzes and the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.markdown import plain_text
from app.courses.content import ContentBundle, load_content
from app.courses.importer import sync_content
from app.courses.models import Lesson

CONTENT = Path(__file__).resolve().parents[2] / "content"
EXPECTED_COURSES = {"SC1", "SC2", "SC3", "SC4", "SC5", "SC6", "AC1", "AC2", "AC3"}
MIN_WORDS = 400
MIN_QUESTIONS = 12


@pytest.fixture(scope="module")
def bundle() -> ContentBundle:
    return load_content(CONTENT)


def test_two_programmes_and_the_nine_modules(bundle: ContentBundle) -> None:
    assert [programme.code for programme in bundle.programmes.programmes] == ["SC", "AC"]
    assert {course.definition.code for course in bundle.courses} == EXPECTED_COURSES
    assert sum(len(course.lessons) for course in bundle.courses) >= 45


def test_every_lesson_has_both_languages_with_enough_words(bundle: ContentBundle) -> None:
    short = []
    for course in bundle.courses:
        assert 5 <= len(course.lessons) <= 6, course.definition.code
        for lesson in course.lessons.values():
            for locale in ("lt", "en"):
                if locale not in lesson.texts:
                    short.append(f"{course.definition.code}/{lesson.slug}.{locale}: missing")
                    continue
                words = len(plain_text(lesson.texts[locale][1]).split())
                if words < MIN_WORDS:
                    short.append(f"{course.definition.code}/{lesson.slug}.{locale}: {words} words")
    assert short == []


def test_every_course_develops_a_competency_of_the_model(bundle: ContentBundle) -> None:
    assert bundle.competency_model is not None
    codes = {competency.code for area in bundle.competency_model.areas for competency in area.competencies}
    assert len(bundle.competency_model.areas) >= 4 and len(codes) >= 12
    for course in bundle.courses:
        assert course.definition.competencies, course.definition.code
        assert {target.code for target in course.definition.competencies} <= codes


def test_every_course_has_a_quiz_in_both_languages(bundle: ContentBundle) -> None:
    for course in bundle.courses:
        assert course.definition.quiz is not None, course.definition.code
        assert course.quiz_blocks.get("lt", 0) >= MIN_QUESTIONS, course.definition.code
        assert course.quiz_blocks.get("en", 0) >= MIN_QUESTIONS, course.definition.code


def test_every_course_has_trainer_notes_in_both_languages(bundle: ContentBundle) -> None:
    for course in bundle.courses:
        for locale in ("lt", "en"):
            assert (course.folder / f"trainer-notes.{locale}.md").is_file(), f"{course.definition.code} {locale}"


def test_the_glossary_covers_the_shared_terms(bundle: ContentBundle) -> None:
    assert bundle.glossary is not None and len(bundle.glossary.terms) >= 30


def test_sync_imports_the_whole_programme(db: Session, bundle: ContentBundle) -> None:
    summary = sync_content(db, bundle)
    assert summary.created["programmes"] == 2 and summary.created["courses"] == 9
    assert summary.created["lessons"] >= 45
    assert summary.created["competencies"] == 12 and summary.created["glossary terms"] >= 30
    db.commit()
    assert sync_content(db, load_content(CONTENT)).changes == 0
    assert db.scalar(select(func.count()).select_from(Lesson).where(Lesson.archived_at.is_(None))) >= 45
