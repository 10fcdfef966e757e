"""The question bank's services: add imported questions to a course's bank and read its current questions."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.courses.content import fingerprint
from app.courses.models import Course
from app.courses.service import course_or_404
from app.quizzes.interchange import ImportReport, Question
from app.quizzes.models import Question as BankQuestion
from app.quizzes.models import QuestionCategory, QuestionVersion

_question_adapter: TypeAdapter[Question] = TypeAdapter(Question)


class CategoryCache:
    """A course's categories by path, created on first use."""

    def __init__(self, session: Session, course_id: int) -> None:
        self.session = session
        self.course_id = course_id
        self.by_path = {
            category.path: category
            for category in session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course_id))
        }

    def get(self, path: tuple[str, ...]) -> QuestionCategory:
        key = "/".join(path)
        category = self.by_path.get(key)
        if category is None:
            category = self.by_path[key] = QuestionCategory(course_id=self.course_id, path=key)
            self.session.add(category)
            self.session.flush()
        return category


def new_bank_question(
    question: Question,
    *,
    course_id: int,
    category: QuestionCategory,
    language: str,
    position: int,
    source_key: str | None,
) -> BankQuestion:
    data = question.model_dump(mode="json")
    bank_question = BankQuestion(
        course_id=course_id, category_id=category.id, language=language, question_type=question.type,
        title=question.title[:255], source_key=source_key, position=position, current_version=1, versions=[],
    )  # fmt: skip
    bank_question.versions.append(QuestionVersion(version=1, data=data, content_hash=fingerprint(data)))
    return bank_question


@dataclass(frozen=True)
class BankImport:
    course: Course
    imported: int


def import_into_bank(session: Session, *, course_code: str, report: ImportReport, language: str) -> BankImport:
    """Add every question of a parsed file to the course's bank, after the questions already there."""
    course = course_or_404(session, course_code, include_archived=True)
    categories = CategoryCache(session, course.id)
    last = session.scalar(
        select(BankQuestion.position).where(BankQuestion.course_id == course.id).order_by(BankQuestion.position.desc())
    )
    start = (last or 0) + 1
    for offset, question in enumerate(report.questions):
        session.add(
            new_bank_question(
                question,
                course_id=course.id,
                category=categories.get(question.category),
                language=language,
                position=start + offset,
                source_key=None,
            )  # fmt: skip
        )
    session.flush()
    return BankImport(course=course, imported=len(report.questions))


def current_questions(session: Session, *, course_code: str, language: str | None = None) -> list[Question]:
    """The course's live questions at their current version, in bank order."""
    course = course_or_404(session, course_code, include_archived=True)
    statement = (
        select(BankQuestion)
        .where(BankQuestion.course_id == course.id, BankQuestion.archived_at.is_(None))
        .order_by(BankQuestion.language, BankQuestion.position, BankQuestion.id)
        .options(selectinload(BankQuestion.versions))
    )
    if language:
        statement = statement.where(BankQuestion.language == language)
    return [
        _question_adapter.validate_python(
            next(version.data for version in row.versions if version.version == row.current_version)
        )
        for row in session.scalars(statement)
    ]
