"""A real Klasteris server for browser tests: a fresh, committed, seeded database served by uvicorn.

The regular test suite runs every test inside a rolled-back transaction; a browser talks to the app over
HTTP from another thread, so it needs its own database whose rows are really committed.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.accounts.import_apply import create_import
from app.accounts.models import User
from app.accounts.service import create_user, request_password_reset, seed_partner_organisations
from app.api.tokens import create_token, new_form_nonce
from app.core.access import Role
from app.core.config import Settings
from app.core.db import make_engine, make_sessionmaker, session_scope, utcnow
from app.courses.content import ContentError, load_content
from app.courses.importer import sync_content
from app.courses.models import Course, Lesson
from app.courses.service import assign_trainer, complete_lesson, enrol
from app.events import wiring as events_wiring
from app.events.models import (
    Attendance,
    EventCourse,
    EventRegistration,
    EventStatus,
    EventTrainer,
    RegistrationStatus,
    TrainingEvent,
)
from app.main import create_app
from app.progress.wiring import connect
from app.quizzes.attempts import create_attempt, finish_attempt
from app.quizzes.content_sync import sync_course_quizzes
from app.quizzes.models import Quiz
from app.surveys import wiring as surveys_wiring
from app.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyTarget,
)
from app.toolkits import wiring as toolkits_wiring
from app.toolkits.backends import make_storage
from app.toolkits.content_import import load_toolkit_sources, sync_toolkits
from tests.conftest import migrate
from tests.factories import DEFAULT_PASSWORD, first_organisation, outbox_messages
from tests.quizzes.attempt_rows import attempt, bank_entries, course_quiz

LOOPBACK = "127.0.0.1"
SECRET_KEY = "live-server-secret-key-that-is-long-enough-0123456789"
STARTUP_TIMEOUT_SECONDS = 15.0
_RESET_LINK = re.compile(r"/reset-password/([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class LiveSite:
    base_url: str
    settings: Settings
    accounts: Mapping[str, Account]
    # A reset token that is valid until used; the crawler only opens the page (GET), so it stays valid.
    reset_token: str


def bind_free_loopback_socket() -> socket.socket:
    """A listening socket on a free port; handing the socket itself to uvicorn leaves no race for the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    sock.listen(128)
    return sock


PROJECT_CONTENT = Path(__file__).resolve().parents[2] / "content"


def _add_courses(session: Session, settings: Settings, accounts: Mapping[str, Account]) -> None:
    """The real course content and toolkits, with the learner enrolled and the trainer teaching every course."""
    bundle = load_content(PROJECT_CONTENT)
    sync_content(session, bundle)
    sync_course_quizzes(session, bundle)
    errors: list[ContentError] = []
    sources = load_toolkit_sources(bundle, PROJECT_CONTENT, errors)
    assert not errors, errors
    sync_toolkits(session, storage=make_storage(settings), sources=sources, max_bytes=settings.upload_max_bytes)
    users = {user.email: user for user in session.scalars(select(User))}
    for account in accounts.values():
        user = users[account.email]
        for course in session.scalars(select(Course)):
            if Role.TRAINER in account.roles and Role.ADMIN not in account.roles:
                assign_trainer(session, code=course.code, user=user)
            elif account.roles == frozenset({Role.LEARNER}):
                enrol(session, code=course.code, user=user)
        if account.roles == frozenset({Role.LEARNER}):
            _add_quiz_attempts(session, user)
            _complete_course(session, user, "SC2")
    session.flush()


def _add_quiz_attempts(session: Session, learner: User) -> None:
    """A submitted attempt at SC1's quiz and a second one in progress."""
    quiz = session.scalar(select(Quiz).join(Course, Course.id == Quiz.course_id).where(Course.code == "SC1"))
    assert quiz is not None
    session.flush()
    finished = create_attempt(session, quiz=quiz, user=learner, is_preview=False, locale="lt")
    finish_attempt(session, attempt=finished, quiz=quiz)
    create_attempt(session, quiz=quiz, user=learner, is_preview=False, locale="lt")


def _complete_course(session: Session, learner: User, code: str) -> None:
    """Every lesson ticked and the quiz passed: a completed course with its certificate on the learner's pages."""
    for lesson_slug in session.scalars(
        select(Lesson.slug).join(Course, Course.id == Lesson.course_id).where(Course.code == code)
    ):
        complete_lesson(session, code=code, slug=lesson_slug, user=learner)
    entries = bank_entries(session, code)[:3]
    attempt(
        session, quiz=course_quiz(session, code), user=learner, entries=entries, marks=[e.max_mark for e in entries]
    )


# A list to import with one new person, one who already has an account and one row with a mistake, in the
# `;`-separated form Excel writes in a Lithuanian locale.
IMPORT_LIST = (
    "email;full name;organisation;job title;role;locale\n"
    "ruta.naujoji@example.lt;Rūta Naujoji;{organisation};Socialinė darbuotoja;learner;lt\n"
    "{existing};Esama Paskyra;{organisation};;learner;lt\n"
    "ne-adresas;Be Adreso;{organisation};;learner;lt\n"
)


def _add_administration_records(session: Session, settings: Settings, accounts: Mapping[str, Account]) -> None:
    """An import waiting for confirmation and an API token, so their pages have something to show."""
    admin_email = next((account.email for account in accounts.values() if Role.ADMIN in account.roles), None)
    if admin_email is None:
        return
    admin = session.scalars(select(User).where(User.email == admin_email)).one()
    organisation = first_organisation(session)
    listing = IMPORT_LIST.format(organisation=organisation.name_lt, existing=admin_email)
    create_import(session, actor=admin, file_name="darbuotojai.csv", data=listing.encode("utf-8-sig"))
    create_token(
        session,
        secret=settings.secret_key.get_secret_value().encode(),
        nonce=new_form_nonce(),
        name="Personalo sistema",
        organisation_id=organisation.id,
        by=admin,
    )


def _add_events_and_surveys(session: Session, accounts: Mapping[str, Account]) -> None:
    """An open event and a held one (the trainer trains both, the learner is registered and attended the held
    one), and a survey about the held event with three anonymous responses and the learner's invitation."""
    users = {user.email: user for user in session.scalars(select(User))}
    by_name = {name: users[account.email] for name, account in accounts.items()}
    if "learner" not in by_name or "trainer" not in by_name:
        return
    learner, trainer = by_name["learner"], by_name["trainer"]
    course_id = session.scalar(select(Course.id).where(Course.code == "SC1"))
    assert course_id is not None
    now = utcnow().replace(microsecond=0)
    events = []
    for days, status in ((14, EventStatus.OPEN), (-2, EventStatus.HELD)):
        starts_at = now + dt.timedelta(days=days)
        event = TrainingEvent(
            title={"lt": f"Klasterių dirbtuvės ({status.value})", "en": f"Cluster workshop ({status.value})"},
            description={"lt": "Praktinė diena savivaldybių komandoms.", "en": "A practical day for municipal teams."},
            venue="Gedimino pr. 9, Vilnius",
            country="LT",
            time_zone="Europe/Vilnius",
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=6),
            registration_deadline=starts_at,
            capacity=20,
            status=status.value,
        )
        event.courses = [EventCourse(course_id=course_id)]
        event.trainers = [EventTrainer(user_id=trainer.id)]
        session.add(event)
        events.append(event)
    session.flush()
    held = events[1]
    for event in events:
        attended = Attendance.ATTENDED.value if event is held else None
        session.add(
            EventRegistration(
                event_id=event.id, user_id=learner.id, status=RegistrationStatus.REGISTERED.value, attendance=attended
            )
        )
    survey = Survey(title={"lt": "Mokymų vertinimas", "en": "Training feedback"})
    survey.questions = [
        SurveyQuestion(
            position=1,
            kind=QuestionKind.LIKERT.value,
            text={"lt": "Mokymai buvo naudingi.", "en": "The training was useful."},
        ),
        SurveyQuestion(
            position=2,
            kind=QuestionKind.TEXT.value,
            text={"lt": "Ką patobulinti?", "en": "What should be improved?"},
            required=False,
        ),
    ]
    session.add(survey)
    session.flush()
    target = SurveyTarget(survey_id=survey.id, event_id=held.id)
    session.add(target)
    session.flush()
    session.add(SurveyInvitation(target_id=target.id, user_id=learner.id))
    for rating in (5, 4, 3):
        response = SurveyResponse(target_id=target.id, submitted_on=now.date(), language="lt")
        session.add(response)
        session.flush()
        session.add(SurveyAnswer(response_id=response.id, question_id=survey.questions[0].id, likert=rating))
    session.flush()


def live_settings(directory: Path, base_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=f"sqlite:///{directory / 'klasteris-live.db'}",
        var_dir=directory / "var",
        content_dir=PROJECT_CONTENT,
        secret_key=SECRET_KEY,
        base_url=base_url,
    )


def seed_database(settings: Settings, roles_by_account: Mapping[str, set[Role]]) -> tuple[dict[str, Account], str]:
    """Migrate, add the partner organisations and one account per entry; return the accounts and a reset token.

    Each account's email is `<name>@example.lt` and its password is the test suite's DEFAULT_PASSWORD.
    The reset token belongs to the first account.
    """
    connect()  # completion and certificates follow the seeded lesson ticks and quiz grades
    toolkits_wiring.connect()
    events_wiring.connect()
    surveys_wiring.connect()
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        accounts: dict[str, Account] = {}
        with session_scope(make_sessionmaker(engine)) as session:
            seed_partner_organisations(session)
            organisation = first_organisation(session)
            for name, roles in roles_by_account.items():
                account = Account(email=f"{name}@example.lt", password=DEFAULT_PASSWORD, roles=frozenset(roles))
                create_user(
                    session,
                    email=account.email,
                    full_name=f"{name.capitalize()} Testaitė",
                    roles=set(roles),
                    organisation_id=organisation.id,
                    password=account.password,
                    locale=settings.default_locale,
                )
                accounts[name] = account
            _add_courses(session, settings, accounts)
            _add_administration_records(session, settings, accounts)
            _add_events_and_surveys(session, accounts)
        reset_token = _issue_reset_token(settings, engine, next(iter(accounts.values())).email)
    finally:
        engine.dispose()
    return accounts, reset_token


def _issue_reset_token(settings: Settings, engine: Engine, email: str) -> str:
    """Only the token's digest is stored, so the usable token is read back from the email the service wrote."""
    with session_scope(make_sessionmaker(engine)) as session:
        request_password_reset(session, settings=settings, email=email)
    messages = outbox_messages(settings.outbox_path)
    if not messages:
        raise RuntimeError(f"no password reset email was written to {settings.outbox_path}")
    payload = messages[-1].get_payload(decode=True)
    body = payload.decode() if isinstance(payload, bytes) else str(payload)
    match = _RESET_LINK.search(body)
    if match is None:
        raise RuntimeError(f"the password reset email has no reset link:\n{body}")
    return match.group(1)


def wait_until_answering(url: str, server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the live server thread stopped during start-up; see the log above")
        if server.started:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.05)
    raise RuntimeError(f"the live server did not answer {url} within {STARTUP_TIMEOUT_SECONDS:.0f} s")


@contextmanager
def running_live_site(directory: Path, roles_by_account: Mapping[str, set[Role]]) -> Iterator[LiveSite]:
    """Seed a fresh database in `directory` and serve the app on a free loopback port until the block ends."""
    sock = bind_free_loopback_socket()
    port = sock.getsockname()[1]
    base_url = f"http://{LOOPBACK}:{port}"
    settings = live_settings(directory, base_url)
    accounts, reset_token = seed_database(settings, roles_by_account)

    config = uvicorn.Config(create_app(settings), host=LOOPBACK, port=port, log_level="warning")
    server = uvicorn.Server(config)
    # uvicorn only installs signal handlers on the main thread, so a daemon thread is safe here.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="klasteris-live-server", daemon=True)
    thread.start()
    try:
        wait_until_answering(f"{base_url}/healthz", server, thread)
        yield LiveSite(base_url=base_url, settings=settings, accounts=accounts, reset_token=reset_token)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
