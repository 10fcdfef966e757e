"""Validation of the content files: precise errors naming file, line or field."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.courses.content import ContentInvalid, count_gift_questions, load_content
from tests.conftest import COURSE_DIR


def _errors(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as raised:
        load_content(root)
    return [str(error) for error in raised.value.errors]


def test_fixture_content_is_valid(content_root: Path) -> None:
    bundle = load_content(content_root)
    assert [course.definition.code for course in bundle.courses] == ["SC9"]
    assert bundle.courses[0].quiz_blocks == {"lt": 2, "en": 1}


def test_unknown_key_is_reported_with_file_and_line(content_root: Path) -> None:
    course_file = content_root / COURSE_DIR / "course.yaml"
    course_file.write_text(course_file.read_text().replace("hours: 2", "hours: 2\nhuors: 3"))
    errors = _errors(content_root)
    assert any("sc9-test-course/course.yaml:line 9, huors: unknown key" in error for error in errors), errors


def test_wrong_type_names_the_field(content_root: Path) -> None:
    course_file = content_root / COURSE_DIR / "course.yaml"
    course_file.write_text(course_file.read_text().replace("hours: 2", "hours: many"))
    assert any("line 8, hours:" in error for error in _errors(content_root))


def test_missing_translation_of_a_title_is_reported(content_root: Path) -> None:
    course_file = content_root / COURSE_DIR / "course.yaml"
    course_file.write_text(
        course_file.read_text().replace(
            'title: {lt: "Bandomasis kursas", en: "Test course"}', 'title: {lt: "Bandomasis kursas"}'
        )
    )
    assert any("title.en" in error for error in _errors(content_root))


def test_broken_yaml_reports_the_line(content_root: Path) -> None:
    (content_root / COURSE_DIR / "course.yaml").write_text("code: SC9\ntitle: [unclosed\n")
    assert any("not valid YAML" in error and "line" in error for error in _errors(content_root))


def test_lesson_listed_without_a_file_and_file_not_listed(content_root: Path) -> None:
    (content_root / COURSE_DIR / "02-partners.lt.md").rename(content_root / COURSE_DIR / "02-colleagues.lt.md")
    errors = _errors(content_root)
    assert any("lesson 'colleagues' is not listed in any section" in error for error in errors)


def test_image_without_alt_text_is_refused(content_root: Path) -> None:
    lesson = content_root / COURSE_DIR / "02-partners.en.md"
    lesson.write_text(lesson.read_text() + "\n![](diagram.png)\n")
    assert any("needs alt text" in error for error in _errors(content_root))


def test_bad_front_matter_is_reported(content_root: Path) -> None:
    lesson = content_root / COURSE_DIR / "02-partners.en.md"
    lesson.write_text(lesson.read_text().replace("minutes: 12", "minutes: -4"))
    assert any("02-partners.en.md:line 3, minutes" in error for error in _errors(content_root))


def test_quiz_file_must_exist_when_quiz_settings_are_given(content_root: Path) -> None:
    (content_root / COURSE_DIR / "quiz.en.gift").unlink()
    assert any("quiz.en.gift is missing" in error for error in _errors(content_root))


def test_gift_blocks_ignore_comments_categories_and_escaped_braces() -> None:
    text = "$CATEGORY: a/b\n\n// comment {not a question}\n\n::A:: Q \\{x\\} {=a ~b}\r\n\r\n::B:: plain text only\n"
    assert count_gift_questions(text) == 1
