"""The question bank's services: list, create, edit (in versions), archive, import and export a course's questions."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from pydantic import TypeAdapter
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.i18n import _
from app.courses.content import fingerprint
from app.courses.models import Course
from app.courses.service import course_or_404, taught_course
from app.quizzes.editor import EditedQuestion, ExportQuery
from app.quizzes.gift import read_gift, write_gift
from app.quizzes.interchange import QUESTION_TYPES, ImportReport, ParseError, Question
from app.quizzes.models import Question as BankQuestion
from app.quizzes.models import QuestionCategory, QuestionVersion
from app.quizzes.moodle_xml import read_moodle_xml, write_moodle_xml
from app.quizzes.question_forms import category_path

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
        source_hash=fingerprint(data) if source_key else None,
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


# --- the trainers' bank pages ----------------------------------------------------------------------

PAGE_SIZE = 50
CONTENT_SOURCE_PREFIX = "quiz."  # source keys of questions synced from the course's content files


def guess_format(file_name: str, data: bytes) -> Literal["gift", "xml"]:
    """Moodle XML when the name ends in .xml or the content starts with markup, GIFT otherwise."""
    if PurePath(file_name).suffix.lower() == ".xml" or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "xml"
    return "gift"


def read_question_file(data: bytes, *, file_format: Literal["gift", "xml"]) -> ImportReport:
    """Parse an uploaded GIFT or Moodle XML file, with messages in the reader's language. ParseError: unreadable."""
    if file_format == "xml":
        return read_moodle_xml(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParseError(_("The file is not UTF-8 text. Save it with UTF-8 encoding and try again.")) from None
    return read_gift(text, translate_messages=True)


@dataclass(frozen=True)
class BankFilters:
    """What the bank page lists. Empty values mean "any"; category "/" is the top category."""

    category: str = ""
    language: str = ""
    question_type: str = ""
    archived: bool = False
    search: str = ""


@dataclass(frozen=True)
class BankRow:
    question: BankQuestion
    category: str
    changed_at: dt.datetime


@dataclass(frozen=True)
class BankPage:
    course: Course
    categories: list[str]
    rows: list[BankRow]
    total: int
    page: int
    pages: int


def _category_paths(session: Session, course_id: int) -> list[str]:
    return list(
        session.scalars(
            select(QuestionCategory.path).where(QuestionCategory.course_id == course_id).order_by(QuestionCategory.path)
        )
    )


def bank_page(session: Session, *, code: str, user: User, filters: BankFilters, page: int) -> BankPage:
    """One page of the course's bank, filtered, with each question's category and last change (fixed query count)."""
    course = taught_course(session, code=code, user=user)
    conditions = [
        BankQuestion.course_id == course.id,
        BankQuestion.archived_at.is_not(None) if filters.archived else BankQuestion.archived_at.is_(None),
    ]
    if filters.category:
        conditions.append(QuestionCategory.path == category_path(filters.category))
    if filters.language:
        conditions.append(BankQuestion.language == filters.language)
    if filters.question_type:
        conditions.append(BankQuestion.question_type == filters.question_type)
    if filters.search:
        conditions.append(BankQuestion.title.icontains(filters.search, autoescape=True))
    total = session.scalar(
        select(func.count())
        .select_from(BankQuestion)
        .join(QuestionCategory, QuestionCategory.id == BankQuestion.category_id)
        .where(*conditions)
    )
    pages = max(1, math.ceil((total or 0) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.execute(
        select(BankQuestion, QuestionCategory.path, QuestionVersion.created_at)
        .join(QuestionCategory, QuestionCategory.id == BankQuestion.category_id)
        .join(
            QuestionVersion,
            and_(
                QuestionVersion.question_id == BankQuestion.id, QuestionVersion.version == BankQuestion.current_version
            ),
        )
        .where(*conditions)
        .order_by(QuestionCategory.path, BankQuestion.language, BankQuestion.position, BankQuestion.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return BankPage(
        course=course,
        categories=_category_paths(session, course.id),
        rows=[BankRow(question=row[0], category=row[1], changed_at=row[2]) for row in rows],
        total=total or 0,
        page=page,
        pages=pages,
    )


@dataclass(frozen=True)
class QuestionEditor:
    """What the question form needs: the course's categories and, when editing, the question and its history."""

    course: Course
    question_type: str
    categories: list[str]
    question: BankQuestion | None = None
    current: Question | None = None
    category: str = ""
    versions: tuple[QuestionVersion, ...] = ()

    @property
    def from_content_files(self) -> bool:
        source_key = self.question.source_key if self.question is not None else None
        return bool(source_key and source_key.startswith(CONTENT_SOURCE_PREFIX))


def question_missing() -> NotFound:
    return NotFound(_("This question does not exist in this course's question bank."))


def _course_question(session: Session, course: Course, question_id: int) -> BankQuestion:
    question = session.scalar(
        select(BankQuestion).where(BankQuestion.id == question_id, BankQuestion.course_id == course.id)
    )
    if question is None:
        raise question_missing()
    return question


def question_editor(
    session: Session, *, code: str, user: User, question_type: str | None = None, question_id: int | None = None
) -> QuestionEditor:
    """The form's context for a new question of a type, or for an existing question (404 outside the course)."""
    course = taught_course(session, code=code, user=user)
    if question_id is None:
        if question_type not in QUESTION_TYPES:
            raise NotFound(_("There is no question type of that name."))
        return QuestionEditor(
            course=course, question_type=question_type, categories=_category_paths(session, course.id)
        )
    found = session.execute(
        select(BankQuestion, QuestionCategory.path)
        .join(QuestionCategory, QuestionCategory.id == BankQuestion.category_id)
        .where(BankQuestion.id == question_id, BankQuestion.course_id == course.id)
        .options(selectinload(BankQuestion.versions))
    ).first()
    if found is None:
        raise question_missing()
    question, path = found
    current = {version.version: version for version in question.versions}[question.current_version]
    return QuestionEditor(
        course=course,
        question_type=question.question_type,
        categories=_category_paths(session, course.id),
        question=question,
        current=_question_adapter.validate_python(current.data),
        category=path,
        versions=tuple(question.versions),
    )


def create_question(session: Session, *, course: Course, edited: EditedQuestion) -> BankQuestion:
    """Add a question to the bank as version 1, after the questions already there."""
    category = CategoryCache(session, course.id).get(edited.category)
    last = session.scalar(select(func.max(BankQuestion.position)).where(BankQuestion.course_id == course.id))
    question = new_bank_question(
        edited.question,
        course_id=course.id,
        category=category,
        language=edited.language,
        position=(last or 0) + 1,
        source_key=None,
    )
    session.add(question)
    session.flush()
    return question


def save_question(session: Session, *, editor: QuestionEditor, edited: EditedQuestion) -> bool:
    """Store an edit: a new version when the content changed, none when it did not. True if a version was added."""
    question = editor.question
    assert question is not None, "save_question needs an existing question"
    question.category_id = CategoryCache(session, editor.course.id).get(edited.category).id
    question.language = edited.language
    question.title = edited.question.title[:255]
    data = edited.question.model_dump(mode="json")
    content_hash = fingerprint(data)
    current = {version.version: version for version in editor.versions}[question.current_version]
    if current.content_hash == content_hash:
        session.flush()
        return False
    # Earlier versions stay for good: attempts refer to the version they were answered with.
    number = max(version.version for version in editor.versions) + 1
    try:
        with session.begin_nested():
            session.add(QuestionVersion(question_id=question.id, version=number, data=data, content_hash=content_hash))
    except IntegrityError:  # someone saved the same question at the same moment
        raise Conflict(_("Someone else saved this question at the same time. Reload the page and try again.")) from None
    question.current_version = number
    session.flush()
    return True


def set_archived(session: Session, *, code: str, user: User, question_id: int, archived: bool) -> BankQuestion:
    """Archive a question (kept, with its versions, for the attempts that used it) or bring it back."""
    course = taught_course(session, code=code, user=user)
    question = _course_question(session, course, question_id)
    if not archived:
        question.archived_at = None
    elif question.archived_at is None:
        question.archived_at = utcnow()
    session.flush()
    return question


@dataclass(frozen=True)
class QuestionFile:
    file_name: str
    content_type: str
    body: bytes


def export_file(session: Session, *, code: str, user: User, options: ExportQuery) -> QuestionFile:
    """The course's live questions at their current version, as a GIFT or Moodle XML download."""
    course = taught_course(session, code=code, user=user)
    statement = (
        select(QuestionVersion.data)
        .join(
            BankQuestion,
            and_(
                QuestionVersion.question_id == BankQuestion.id, QuestionVersion.version == BankQuestion.current_version
            ),
        )
        .where(BankQuestion.course_id == course.id, BankQuestion.archived_at.is_(None))
        .order_by(BankQuestion.language, BankQuestion.position, BankQuestion.id)
    )
    if options.language:
        statement = statement.where(BankQuestion.language == options.language)
    if options.category:
        statement = statement.join(QuestionCategory, QuestionCategory.id == BankQuestion.category_id).where(
            QuestionCategory.path == category_path(options.category)
        )
    questions = [_question_adapter.validate_python(data) for data in session.scalars(statement)]
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", course.code)
    if options.file_format == "xml":
        return QuestionFile(f"{stem}-questions.xml", "application/xml", write_moodle_xml(questions))
    try:
        text = write_gift(questions)
    except ValueError:  # GIFT has no way to write "->" in a matching prompt or a short answer
        raise Unprocessable(
            _(
                "Some questions contain “->” in a matching question or a short answer, which GIFT cannot hold. "
                "Export them as Moodle XML instead."
            )
        ) from None
    return QuestionFile(f"{stem}-questions.gift", "text/plain; charset=utf-8", text.encode())
