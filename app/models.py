"""Every domain's tables, imported in one place for Alembic and the ORM mappers."""

from app.accounts.models import (
    LoginAttempt,
    Organisation,
    PasswordResetToken,
    User,
    UserImport,
    UserRole,
    UserSession,
)
from app.api.models import ApiToken
from app.audit.models import AuditEntry
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
from app.progress.models import Certificate, CompletionCriteria, CourseCompletion
from app.quizzes.models import (
    AttemptQuestion,
    Question,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizGrade,
    QuizSlot,
)
from app.toolkits.models import Toolkit, ToolkitVersion

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AttemptQuestion",
    "Base",
    "Certificate",
    "CompletionCriteria",
    "Competency",
    "CompetencyArea",
    "CompetencyLevel",
    "Course",
    "CourseCompletion",
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
    "Quiz",
    "QuizAttempt",
    "QuizGrade",
    "QuizSlot",
    "SearchTerm",
    "Section",
    "Toolkit",
    "ToolkitVersion",
    "User",
    "UserImport",
    "UserRole",
    "UserSession",
]
