"""Importing the courses' quiz files (content/**/quiz.<lang>.gift) into the question bank."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.core.db import utcnow
from app.courses.content import CONTENT_LOCALES, ContentBundle, ContentError, ContentInvalid, fingerprint
from app.courses.content_schema import QuizSettings
from app.courses.models import Course
from app.quizzes.attempts import apply_changed_rules
from app.quizzes.bank import CategoryCache, new_bank_question
from app.quizzes.gift import read_gift
from app.quizzes.interchange import ImportReport
from app.quizzes.models import Question, QuestionVersion, Quiz, QuizSlot

CONTENT_KEY_PREFIX = "quiz."


@dataclass
class QuizSyncSummary:
    created: int = 0
    new_versions: int = 0
    archived: int = 0
    per_course: dict[str, int] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return self.created + self.new_versions + self.archived


def quiz_files(folder: Path) -> dict[str, Path]:
    return {
        locale: folder / f"quiz.{locale}.gift"
        for locale in CONTENT_LOCALES
        if (folder / f"quiz.{locale}.gift").is_file()
    }


def check_quiz_file(path: Path, relative: str) -> tuple[ImportReport, list[ContentError]]:
    """Parse one quiz file; every skipped question is an error naming its line, warnings are not."""
    report = read_gift(path.read_text(encoding="utf-8"))
    errors = [
        ContentError(
            relative, f"line {issue.line}" if issue.line else "", f"{issue.title}: {issue.message}".strip(": ")
        )
        for issue in report.issues
        if issue.skipped
    ]
    return report, errors


def _source_keys(locale: str, report: ImportReport) -> list[str]:
    """Stable keys: the question's title (or its number), made unique within the file."""
    keys: list[str] = []
    for number, question in enumerate(report.questions, start=1):
        base = f"{CONTENT_KEY_PREFIX}{locale}.gift#{question.title or number}"
        key, repeat = base, 2
        while key in keys:
            key, repeat = f"{base}~{repeat}", repeat + 1
        keys.append(key)
    return keys


def sync_course_quizzes(session: Session, bundle: ContentBundle) -> QuizSyncSummary:
    """Create, version or archive bank questions to match the quiz files. Runs in the caller's transaction."""
    summary = QuizSyncSummary()
    courses = {course.code: course for course in session.scalars(select(Course))}
    for source in bundle.courses:
        course = courses[source.definition.code]
        files = quiz_files(source.folder)
        reports: dict[str, ImportReport] = {}
        errors: list[ContentError] = []
        for locale, path in files.items():
            reports[locale], file_errors = check_quiz_file(path, str(path))
            errors.extend(file_errors)
        if errors:
            raise ContentInvalid(errors)
        questions = {
            question.source_key: question
            for question in session.scalars(
                select(Question).where(Question.course_id == course.id).options(selectinload(Question.versions))
            )
        }
        categories = CategoryCache(session, course.id)
        seen: set[str] = set()
        for locale, report in reports.items():
            for position, (key, imported) in enumerate(
                zip(_source_keys(locale, report), report.questions, strict=True)
            ):
                seen.add(key)
                category = categories.get(imported.category)
                data = imported.model_dump(mode="json")
                content_hash = fingerprint(data)
                question = questions.get(key)
                if question is None:
                    session.add(
                        new_bank_question(
                            imported,
                            course_id=course.id,
                            category=category,
                            language=locale,
                            position=position,
                            source_key=key,
                        )  # fmt: skip
                    )
                    summary.created += 1
                    continue
                latest = question.versions[-1]
                file_changed = question.source_hash != content_hash
                question.source_hash = content_hash
                # An unchanged file leaves a trainer's later edit alone; a changed file wins over it.
                if file_changed and latest.content_hash != content_hash:
                    # Earlier versions stay: attempts refer to the version they were answered with.
                    question.current_version = latest.version + 1
                    question.versions.append(
                        QuestionVersion(version=question.current_version, data=data, content_hash=content_hash)
                    )
                    summary.new_versions += 1
                question.position = position
                if file_changed:
                    question.category_id, question.title = category.id, imported.title[:255]
                    question.question_type, question.archived_at = imported.type, None
        for key, question in questions.items():
            if key and key.startswith(CONTENT_KEY_PREFIX) and key not in seen and question.archived_at is None:
                question.archived_at = utcnow()
                # Forgotten, so the question comes back if its text returns to the file.
                question.source_hash = None
                summary.archived += 1
        summary.per_course[course.code] = sum(len(report.questions) for report in reports.values())
        session.flush()
        if source.definition.quiz is not None or reports:
            _sync_quiz(session, course, source.definition.quiz, questions_in_order(session, course.id))
    session.flush()
    return summary


def questions_in_order(session: Session, course_id: int) -> list[Question]:
    """The course's content questions (both languages), in file order."""
    return list(
        session.scalars(
            select(Question)
            .where(Question.course_id == course_id, Question.source_key.startswith(CONTENT_KEY_PREFIX))
            .order_by(Question.language, Question.position, Question.id)
        )
    )


def _sync_quiz(session: Session, course: Course, settings: QuizSettings | None, content: list[Question]) -> Quiz:
    """Create the course's quiz, apply course.yaml settings when the file changed them, and slot new questions."""
    quiz = session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    if quiz is None:
        quiz = Quiz(course_id=course.id)
        session.add(quiz)
    if settings is not None:
        settings_hash = fingerprint(settings.model_dump())
        # Trainers may change the settings on the quiz page; only a changed file overrides them.
        if quiz.content_settings_hash != settings_hash:
            grades_affected = quiz.pass_mark != float(settings.pass_mark)
            quiz.pass_mark = float(settings.pass_mark)
            quiz.max_attempts = settings.attempts
            quiz.time_limit_minutes = settings.time_limit_minutes
            quiz.content_settings_hash = settings_hash
            if quiz.id is not None:
                session.flush()
                apply_changed_rules(session, quiz=quiz, grades_affected=grades_affected)
    session.flush()
    slots = list(session.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position)))
    slotted = {slot.question_id for slot in slots if slot.question_id is not None}
    archived = {question.id for question in content if question.archived_at is not None}
    for slot in slots:
        if slot.question_id in archived:
            session.delete(slot)
    position = max((slot.position for slot in slots), default=0)
    for question in content:
        if question.archived_at is None and question.id not in slotted:
            position += 1
            session.add(QuizSlot(quiz_id=quiz.id, position=position, question_id=question.id))
    return quiz
