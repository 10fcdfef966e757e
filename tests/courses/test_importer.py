"""The importer: idempotent, keeps learner progress across edits and removals, all-or-nothing."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.courses.content import ContentInvalid, load_content
from app.courses.importer import SyncSummary
from app.courses.models import Course, Enrolment, Lesson, LessonCompletion, LessonText
from tests.conftest import COURSE_DIR, sync
from tests.factories import make_user


def _lesson(session: Session, slug: str) -> Lesson:
    lesson = session.scalar(select(Lesson).where(Lesson.slug == slug))
    assert lesson is not None
    return lesson


def test_first_sync_creates_everything(synced: SyncSummary) -> None:
    assert synced.created == {
        "programmes": 2, "courses": 1, "sections": 2, "lessons": 3,
        "competency levels": 3, "competency areas": 1, "competencies": 1, "glossary terms": 2,
    }  # fmt: skip
    assert synced.updated == {} and synced.archived == {}


def test_second_sync_changes_nothing(db: Session, content_root: Path, synced: SyncSummary) -> None:
    assert sync(db, content_root).changes == 0


def test_editing_a_lesson_updates_it_in_place(db: Session, content_root: Path, synced: SyncSummary) -> None:
    before = _lesson(db, "partners").id
    path = content_root / COURSE_DIR / "02-partners.en.md"
    path.write_text(path.read_text().replace("work together", "plan the year together"))
    summary = sync(db, content_root)
    assert summary.updated == {"lessons": 1}
    assert _lesson(db, "partners").id == before
    text = db.scalar(select(LessonText).where(LessonText.lesson_id == before, LessonText.locale == "en"))
    assert text is not None and "plan the year together" in text.body_html


def test_removed_lesson_is_archived_and_progress_survives_re_adding(
    db: Session, content_root: Path, synced: SyncSummary
) -> None:
    user = make_user(db)
    partners = _lesson(db, "partners")
    db.add(Enrolment(user_id=user.id, course_id=partners.course_id))
    db.add(LessonCompletion(user_id=user.id, lesson_id=partners.id))
    db.commit()

    course_file = content_root / COURSE_DIR / "course.yaml"
    original = course_file.read_text()
    course_file.write_text(original.replace("lessons: [first-steps, partners]", "lessons: [first-steps]"))
    moved = content_root.parent / "parked"
    moved.mkdir()
    for path in (content_root / COURSE_DIR).glob("02-partners.*.md"):
        path.rename(moved / path.name)
    assert sync(db, content_root).archived == {"lessons": 1}
    assert _lesson(db, "partners").archived_at is not None
    assert db.scalar(select(func.count()).select_from(LessonCompletion).where(LessonCompletion.user_id == user.id)) == 1

    course_file.write_text(original)
    for path in moved.iterdir():
        path.rename(content_root / COURSE_DIR / path.name)
    assert sync(db, content_root).updated["lessons"] == 1
    restored = _lesson(db, "partners")
    assert restored.id == partners.id and restored.archived_at is None
    assert db.get(LessonCompletion, (user.id, partners.id)) is not None


def test_invalid_content_leaves_the_database_as_it_was(db: Session, content_root: Path, synced: SyncSummary) -> None:
    lesson = content_root / COURSE_DIR / "01-first-steps.en.md"
    lesson.write_text(lesson.read_text().replace("joins municipalities", "joins towns"))
    (content_root / COURSE_DIR / "course.yaml").write_text("code: broken\n")
    with pytest.raises(ContentInvalid):
        load_content(content_root)
    text = db.scalar(select(LessonText).join(Lesson).where(Lesson.slug == "first-steps", LessonText.locale == "en"))
    assert text is not None and "joins municipalities" in text.body_markdown


def test_failure_during_sync_rolls_everything_back(
    db: Session, content_root: Path, synced: SyncSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.courses import importer

    lesson = content_root / COURSE_DIR / "01-first-steps.en.md"
    lesson.write_text(lesson.read_text().replace("joins municipalities", "joins towns"))
    bundle = load_content(content_root)

    def fail_at_the_end(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "utcnow", fail_at_the_end)
    with pytest.raises(RuntimeError), db.begin_nested():
        importer.sync_content(db, bundle)
    db.expire_all()
    text = db.scalar(select(LessonText).join(Lesson).where(Lesson.slug == "first-steps", LessonText.locale == "en"))
    assert text is not None and "joins municipalities" in text.body_markdown


def test_competency_model_edits_update_and_removals_archive(
    db: Session, content_root: Path, synced: SyncSummary
) -> None:
    model = content_root / "competencies.yaml"
    model.write_text(model.read_text().replace("Teaches others.", "Coaches colleagues."))
    assert sync(db, content_root).updated == {"competencies": 1}
    glossary = content_root / "glossary.yaml"
    glossary.write_text(glossary.read_text().split("  - slug: stakeholder")[0])
    assert sync(db, content_root).archived == {"glossary terms": 1}


def test_unknown_competency_code_in_a_course_is_reported(content_root: Path) -> None:
    course_file = content_root / COURSE_DIR / "course.yaml"
    course_file.write_text(course_file.read_text().replace("{code: A1, level: 2}", "{code: Z9, level: 2}"))
    with pytest.raises(ContentInvalid, match="unknown competency 'Z9'"):
        load_content(content_root)


def test_removed_course_is_archived_not_deleted(db: Session, content_root: Path, synced: SyncSummary) -> None:
    import shutil

    shutil.rmtree(content_root / COURSE_DIR)
    assert sync(db, content_root).archived == {"courses": 1}
    course = db.scalar(select(Course).where(Course.code == "SC9"))
    assert course is not None and course.archived_at is not None


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_markdown_is_sanitised(db: Session, content_root: Path) -> None:
    lesson = content_root / COURSE_DIR / "02-partners.en.md"
    lesson.write_text(
        lesson.read_text()
        + '\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n\n<a href="#" onclick="steal()">x</a>\n\n<img src=x onerror=alert(1)>\n'
    )
    sync(db, content_root)
    html = (
        db.scalar(select(LessonText.body_html).join(Lesson).where(Lesson.slug == "partners", LessonText.locale == "en"))
        or ""
    )
    tags = _elements(html)
    assert "script" not in {tag for tag, _attributes in tags}
    assert not [name for _tag, attributes in tags for name, _value in attributes if name.startswith("on")]
    assert not [
        value for _tag, attributes in tags for _name, value in attributes if (value or "").startswith("javascript:")
    ]
    first = (
        db.scalar(
            select(LessonText.body_html).join(Lesson).where(Lesson.slug == "first-steps", LessonText.locale == "lt")
        )
        or ""
    )
    assert '<img src="/courses/SC9/media/diagram.png" alt="Schema su partneriais">' in first
    assert "<table>" in first and 'style="text-align:left"' in first
