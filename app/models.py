"""Every domain's tables, imported in one place for Alembic and the ORM mappers."""

from app.accounts.models import LoginAttempt, Organisation, PasswordResetToken, User, UserRole, UserSession
from app.core.db import Base
from app.courses.models import (
    Competency,
    CompetencyArea,
    CompetencyLevel,
    Course,
    Enrolment,
    GlossaryTerm,
    Lesson,
    LessonCompletion,
    LessonText,
    Programme,
    SearchTerm,
    Section,
)
from app.quizzes.models import Question, QuestionCategory, QuestionVersion

__all__ = [
    "Base",
    "Competency",
    "CompetencyArea",
    "CompetencyLevel",
    "Course",
    "Enrolment",
    "GlossaryTerm",
    "Lesson",
    "LessonCompletion",
    "LessonText",
    "LoginAttempt",
    "Organisation",
    "PasswordResetToken",
    "Programme",
    "Question",
    "QuestionCategory",
    "QuestionVersion",
    "SearchTerm",
    "Section",
    "User",
    "UserRole",
    "UserSession",
]
