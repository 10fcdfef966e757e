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
from app.events.models import CalendarFeed, EventCourse, EventRegistration, EventTrainer, TrainingEvent
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
from app.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyQuestion, SurveyResponse, SurveyTarget
from app.toolkits.models import Toolkit, ToolkitVersion

__all__ = [
    "ApiToken",
    "AttemptQuestion",
    "AuditEntry",
    "Base",
    "CalendarFeed",
    "Certificate",
    "Competency",
    "CompetencyArea",
    "CompetencyLevel",
    "CompletionCriteria",
    "Course",
    "CourseCompletion",
    "Enrolment",
    "EventCourse",
    "EventRegistration",
    "EventTrainer",
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
    "Survey",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveyTarget",
    "Toolkit",
    "ToolkitVersion",
    "TrainingEvent",
    "User",
    "UserImport",
    "UserRole",
    "UserSession",
]
