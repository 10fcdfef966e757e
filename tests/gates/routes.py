"""What the gates need to know about the app's routes: their policies, sample path values, roles."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserImport
from app.accounts.service import SESSION_COOKIE, start_session
from app.api.models import ApiToken
from app.core.access import ADMIN, MANAGER, PUBLIC, SIGNED_IN, TRAINER, Policy, Role, RouteInfo, app_routes
from app.core.config import Settings
from app.core.db import utcnow
from app.core.security import new_token, token_digest
from app.courses.content import ContentError, load_content
from app.courses.models import Course, CourseRole, Enrolment
from app.events.calendar import calendar_feed, feed_token
from app.events.models import EventCourse, EventStatus, EventTrainer, TrainingEvent
from app.progress.certificates import issue_certificate
from app.progress.models import CompletionState, CourseCompletion
from app.quizzes.attempts import create_attempt, finish_attempt
from app.quizzes.models import Question as BankQuestion
from app.quizzes.models import Quiz, QuizAttempt
from app.surveys.models import QuestionKind, Survey, SurveyInvitation, SurveyQuestion, SurveyTarget
from app.toolkits.backends import make_storage
from app.toolkits.content_import import load_toolkit_sources, sync_toolkits
from app.toolkits.models import Toolkit
from tests.factories import make_user

# A sample value for every path parameter name used by any route. A new parameter name makes the
# access-matrix test fail until a sample is added here, so no route escapes the gates.
SAMPLE_COURSE = "SC9"

PATH_SAMPLES: dict[str, str] = {
    "token": "not-a-real-token",
    "code": SAMPLE_COURSE,  # the course in tests/courses/content_fixture, synced by the gates
    "slug": "first-steps",
    "name": "diagram.png",
    "question_type": "single_choice",
    # Learners address their own attempts by number: every signed-in visitor gets an attempt 1 (client_as).
    "number": "1",
    "programme_code": "SC",
}
# Ids of rows in the sample course, different on every run: filled in by `refresh_object_samples`.
OBJECT_SAMPLE_NAMES = (
    "question_id",
    "attempt_id",
    "certificate_code",
    "toolkit_id",
    "organisation_id",
    "user_id",
    "import_id",
    "token_id",
    "event_id",
    "feed_token",
    "survey_id",
    "survey_question_id",
    "target_id",
    "invitation_id",
)


def refresh_object_samples(db: Session, settings: Settings) -> None:
    """Point id parameters at real objects of the sample course (needs the fixture content imported)."""
    course_id = db.scalar(select(Course.id).where(Course.code == SAMPLE_COURSE))
    question_id = db.scalar(
        select(BankQuestion.id).where(BankQuestion.course_id == course_id).order_by(BankQuestion.id)
    )
    assert question_id is not None, "the sample course has no questions"
    PATH_SAMPLES["question_id"] = str(question_id)
    # A learner's submitted attempt, for the trainer's review and grading pages.
    learner = make_user(db)
    db.add(Enrolment(user_id=learner.id, course_id=course_id, role=CourseRole.LEARNER))
    attempt = _sample_attempt(db, learner, is_preview=False)
    finish_attempt(db, attempt=attempt, quiz=attempt.quiz)
    PATH_SAMPLES["attempt_id"] = str(attempt.id)
    # Another learner's certificate: the holder's download must stay closed to everyone else.
    holder = make_user(db)
    db.add(Enrolment(user_id=holder.id, course_id=course_id, role=CourseRole.LEARNER))
    completion = CourseCompletion(
        user_id=holder.id, course_id=course_id, state=CompletionState.COMPLETED, percent=100, completed_at=utcnow()
    )
    db.add(completion)
    db.flush()
    PATH_SAMPLES["certificate_code"] = issue_certificate(db, completion).code
    # The sample course's toolkits from the fixture content; the sample is the one shared with its course only.
    errors: list[ContentError] = []
    sources = load_toolkit_sources(load_content(settings.content_dir), settings.content_dir, errors)
    assert not errors, errors
    sync_toolkits(db, storage=make_storage(settings), sources=sources, max_bytes=settings.upload_max_bytes)
    toolkit_id = db.scalar(
        select(Toolkit.id).where(Toolkit.course_id == course_id, Toolkit.is_public.is_(False)).order_by(Toolkit.id)
    )
    assert toolkit_id is not None, "the sample course has no course-only toolkit"
    PATH_SAMPLES["toolkit_id"] = str(toolkit_id)
    _administration_samples(db, learner)
    _event_samples(db, settings, learner, course_id)
    db.commit()


def _administration_samples(db: Session, learner: User) -> None:
    """An organisation, a person, a bulk import and an API token for the administration pages."""
    PATH_SAMPLES["organisation_id"] = str(learner.organisation_id)
    PATH_SAMPLES["user_id"] = str(learner.id)
    uploader = make_user(db, roles={Role.ADMIN})
    user_import = UserImport(created_by_id=uploader.id, file_name="people.csv", file_sha256="0" * 64, rows=[])
    token = ApiToken(name="HR system", token_prefix="kls_sample", token_digest=token_digest(new_token()))
    db.add_all([user_import, token])
    db.flush()
    PATH_SAMPLES["import_id"] = str(user_import.id)
    PATH_SAMPLES["token_id"] = str(token.id)


def _event_samples(db: Session, settings: Settings, learner: User, course_id: int) -> None:
    """An open event of the sample course with a survey attached, the learner's invitation and calendar feed.

    The "trainer" visitor is made a trainer of this event as well (`_give_course_place`).
    """
    starts_at = (utcnow() + dt.timedelta(days=10)).replace(microsecond=0)
    event = TrainingEvent(
        title={"lt": "Mokymai", "en": "Training"},
        description={},
        country="LT",
        time_zone="Europe/Vilnius",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=6),
        registration_deadline=starts_at,
        capacity=10,
        status=EventStatus.OPEN.value,
    )
    event.courses = [EventCourse(course_id=course_id)]
    survey = Survey(title={"lt": "Apklausa", "en": "Survey"})
    survey.questions = [SurveyQuestion(position=1, kind=QuestionKind.LIKERT.value, text={"lt": "Gerai", "en": "Good"})]
    db.add_all([event, survey])
    db.flush()
    target = SurveyTarget(survey_id=survey.id, event_id=event.id)
    db.add(target)
    db.flush()
    invitation = SurveyInvitation(target_id=target.id, user_id=learner.id)
    db.add(invitation)
    db.flush()
    PATH_SAMPLES["event_id"] = str(event.id)
    PATH_SAMPLES["survey_id"] = str(survey.id)
    PATH_SAMPLES["survey_question_id"] = str(survey.questions[0].id)
    PATH_SAMPLES["target_id"] = str(target.id)
    PATH_SAMPLES["invitation_id"] = str(invitation.id)
    PATH_SAMPLES["feed_token"] = feed_token(settings, calendar_feed(db, user_id=learner.id))


def _sample_attempt(db: Session, user: User, *, is_preview: bool) -> QuizAttempt:
    quiz = db.scalar(select(Quiz).join(Course, Course.id == Quiz.course_id).where(Course.code == SAMPLE_COURSE))
    assert quiz is not None, "the sample course has no quiz"
    attempt = create_attempt(db, quiz=quiz, user=user, is_preview=is_preview, locale="lt")
    db.refresh(attempt, attribute_names=["quiz"])
    return attempt


ROLE_GRANTS: dict[str, set[Role] | None] = {
    "anonymous": None,
    "learner": {Role.LEARNER},
    "trainer": {Role.TRAINER, Role.LEARNER},
    "admin": {Role.ADMIN, Role.TRAINER, Role.LEARNER},
    # Same role as "trainer", but teaching a different course than the sample one.
    "trainer-of-another-course": {Role.TRAINER, Role.LEARNER},
    # Reads the reports of their own organisation (the first partner, like every account made here).
    "org-manager": {Role.ORG_MANAGER, Role.LEARNER},
}

# The least-privileged role each policy admits: bad-input checks act as that person.
LEAST_ROLE: dict[Policy, str] = {
    PUBLIC: "anonymous",
    SIGNED_IN: "learner",
    TRAINER: "trainer",
    MANAGER: "org-manager",
    ADMIN: "admin",
}

_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class Endpoint:
    route: RouteInfo
    method: str
    policy: Policy

    @property
    def url(self) -> str:
        return _PARAM.sub(lambda match: PATH_SAMPLES[match.group(1)], self.route.path)

    def __str__(self) -> str:
        return f"{self.method} {self.route.path} [{self.policy.describe()}]"


def missing_path_samples(app: FastAPI) -> set[str]:
    names = {name for route in app_routes(app) for name in _PARAM.findall(route.path)}
    return names - PATH_SAMPLES.keys() - set(OBJECT_SAMPLE_NAMES)


def endpoints(app: FastAPI) -> Iterator[Endpoint]:
    """Every (route, method) pair with a single declared policy; mounts such as /static have no methods."""
    for route in app_routes(app):
        if len(route.policies) != 1:
            continue
        for method in sorted(route.methods):
            yield Endpoint(route, method, route.policies[0])


def client_as(app: FastAPI, db: Session, settings: Settings, role: str) -> TestClient:
    """A browser signed in with a fresh account of the role (session created directly: no argon2 cost)."""
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    grants = ROLE_GRANTS[role]
    if grants is not None:
        user = make_user(db, roles=grants)
        _give_course_place(db, user, role)
        token = start_session(db, settings=settings, user=user, ip_address="127.0.0.1", user_agent="gates")
        db.commit()
        client.cookies.set(SESSION_COOKIE, token)
    return client


def _give_course_place(db: Session, user: User, role: str) -> None:
    """The learner is enrolled in the sample course and the trainer teaches it, when it has been imported.

    Everyone signed in also gets an open attempt 1 at its quiz, so their own-attempt pages have something to show.
    """
    course_id = db.scalar(select(Course.id).where(Course.code == SAMPLE_COURSE))
    if course_id is None:
        return
    if role in ("learner", "trainer"):
        db.add(
            Enrolment(
                user_id=user.id,
                course_id=course_id,
                role=CourseRole.TRAINER if role == "trainer" else CourseRole.LEARNER,
            )
        )
    if role == "trainer" and "event_id" in PATH_SAMPLES:
        db.add(EventTrainer(event_id=int(PATH_SAMPLES["event_id"]), user_id=user.id))
    if db.scalar(select(Quiz.id).where(Quiz.course_id == course_id)) is not None:
        _sample_attempt(db, user, is_preview=role != "learner")
