"""Demo data for benchmarks: thousands of learners and trainers of the partner organisations, bulk-inserted.

Every demo account has an address at DEMO_EMAIL_DOMAIN, which is how the demo data is found again and
replaced. The work is a list of steps (DEMO_STEPS): accounts, then enrolments with lesson progress in the
imported courses; later domains append theirs (quiz attempts, events), reaching demo people via `demo_users()`.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt, Organisation, User, UserRole
from app.core.access import Role
from app.core.db import utcnow
from app.core.errors import Conflict, Unprocessable
from app.core.i18n import _
from app.core.security import hash_password
from app.courses.models import Course, Enrolment, Lesson, LessonCompletion, Section
from app.progress.completion import recompute_all
from app.progress.wiring import certify

DEMO_EMAIL_DOMAIN = "demo.klasteris.lt"
DEMO_EMAIL_SUFFIX = f"@{DEMO_EMAIL_DOMAIN}"
BATCH_SIZE = 1000
# Fixed, so the same --learners gives the same people and benchmark runs compare like with like.
NAME_SEED = 10
# Demo accounts look as if people registered over the past year, which gives date-based reports something to show.
REGISTRATION_SPREAD_DAYS = 365

Progress = Callable[[int], None]
T = TypeVar("T")


class DemoDataExists(Conflict):
    """Demo accounts are already there and the caller did not ask to replace them."""


# --- names ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePool:
    """First names and surnames of one language; Lithuanian surnames have separate women's forms."""

    locale: str
    female_first_names: tuple[str, ...]
    female_surnames: tuple[str, ...]
    male_first_names: tuple[str, ...]
    male_surnames: tuple[str, ...]

    def full_name(self, rng: random.Random) -> str:
        # Most of the programme's audience (social and care services) are women.
        if rng.random() < 0.7:
            return f"{rng.choice(self.female_first_names)} {rng.choice(self.female_surnames)}"
        return f"{rng.choice(self.male_first_names)} {rng.choice(self.male_surnames)}"


LITHUANIAN_NAMES = NamePool(
    locale="lt",
    female_first_names=(
        "Rūta",
        "Eglė",
        "Jūratė",
        "Giedrė",
        "Aušra",
        "Lina",
        "Dalia",
        "Ieva",
        "Gintarė",
        "Živilė",
        "Austėja",
        "Milda",
        "Rasa",
        "Vaida",
        "Jurgita",
        "Indrė",
        "Daiva",
        "Šarūnė",
    ),
    female_surnames=(
        "Žemaitė",
        "Kazlauskienė",
        "Petrauskienė",
        "Jankauskienė",
        "Stankevičienė",
        "Vasiliauskienė",
        "Žukauskaitė",
        "Butkutė",
        "Paulauskaitė",
        "Urbonaitė",
        "Kavaliauskienė",
        "Rimkutė",
        "Šimkutė",
        "Navickaitė",
        "Balčiūnaitė",
        "Mockutė",
        "Lukoševičiūtė",
        "Kairytė",
    ),
    male_first_names=(
        "Jonas",
        "Tomas",
        "Mantas",
        "Darius",
        "Giedrius",
        "Andrius",
        "Vytautas",
        "Mindaugas",
        "Paulius",
        "Lukas",
        "Rokas",
        "Žygimantas",
        "Gintaras",
        "Algirdas",
        "Saulius",
        "Šarūnas",
        "Kęstutis",
        "Arūnas",
    ),
    male_surnames=(
        "Žemaitis",
        "Kazlauskas",
        "Petrauskas",
        "Jankauskas",
        "Stankevičius",
        "Vasiliauskas",
        "Žukauskas",
        "Butkus",
        "Paulauskas",
        "Urbonas",
        "Kavaliauskas",
        "Rimkus",
        "Šimkus",
        "Navickas",
        "Balčiūnas",
        "Mockus",
        "Lukoševičius",
        "Kairys",
    ),
)

_NORWEGIAN_SURNAMES = (
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Haugen",
    "Bakken",
    "Solberg",
    "Sæther",
    "Bjørnstad",
    "Løvås",
    "Ødegård",
    "Næss",
    "Strøm",
)
NORWEGIAN_NAMES = NamePool(
    locale="nb",
    female_first_names=(
        "Ingrid",
        "Kari",
        "Solveig",
        "Åse",
        "Sigrid",
        "Marit",
        "Ragnhild",
        "Tone",
        "Ingeborg",
        "Liv",
        "Bjørg",
        "Gunnhild",
        "Kjersti",
        "Synnøve",
    ),
    female_surnames=_NORWEGIAN_SURNAMES,
    male_first_names=(
        "Bjørn",
        "Ole",
        "Lars",
        "Knut",
        "Håkon",
        "Øyvind",
        "Terje",
        "Jørgen",
        "Sindre",
        "Eirik",
        "Geir",
        "Ståle",
        "Tor",
        "Åsmund",
    ),
    male_surnames=_NORWEGIAN_SURNAMES,
)
NAMES_BY_COUNTRY: Mapping[str, NamePool] = {"LT": LITHUANIAN_NAMES, "NO": NORWEGIAN_NAMES}


# --- the plan the steps share --------------------------------------------------------------


@dataclass(frozen=True)
class DemoSize:
    learners: int
    trainers: int


@dataclass(frozen=True)
class DemoOrganisation:
    id: int
    country: str


@dataclass(frozen=True)
class DemoPlan:
    """Everything a step needs, decided once: sizes, target organisations and the shared password hash."""

    size: DemoSize
    organisations: tuple[DemoOrganisation, ...]
    password_hash: str
    now: dt.datetime


@dataclass(frozen=True)
class SeedStep:
    """One kind of demo data. `run` inserts its rows, reports progress, and returns rows inserted per table."""

    name: str
    # Known before the step runs, so the command can size its progress bar.
    planned_units: Callable[[DemoSize], int]
    run: Callable[[Session, DemoPlan, Progress], dict[str, int]]


@dataclass(frozen=True)
class DemoSeedResult:
    learners: int
    trainers: int
    organisations: int
    replaced: int
    rows: Mapping[str, int]
    # Kept out of repr so a logged result does not leak it.
    password: str = field(repr=False)


# --- helpers ----------------------------------------------------------------------------------


def demo_email(kind: str, number: int) -> str:
    """`learner00042@demo.klasteris.lt`: stable, so a benchmark can sign in as a known person."""
    return f"{kind}{number:05d}@{DEMO_EMAIL_DOMAIN}"


def demo_users() -> ColumnElement[bool]:
    """Filter for the demo accounts, for steps that attach data to them."""
    return User.email.endswith(DEMO_EMAIL_SUFFIX, autoescape=True)


def count_demo_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(demo_users())) or 0


def delete_demo_data(session: Session) -> int:
    """Delete every demo account; returns how many were deleted.

    Their roles, sessions, enrolments and progress go with them through the foreign keys' ON DELETE CASCADE.
    """
    session.execute(
        delete(LoginAttempt)
        .where(LoginAttempt.email.endswith(DEMO_EMAIL_SUFFIX, autoescape=True))
        .execution_options(synchronize_session=False)
    )
    deleted = session.execute(delete(User).where(demo_users()).execution_options(synchronize_session=False))
    # Bulk deletes bypass the identity map, so forget any demo objects it still holds.
    session.expire_all()
    return deleted.rowcount or 0


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- step: accounts ---------------------------------------------------------------------------

LEARNER_ROLES = (Role.LEARNER,)
# Trainers also learn, as in the rest of the application.
TRAINER_ROLES = (Role.LEARNER, Role.TRAINER)


@dataclass(frozen=True)
class DemoPerson:
    user_row: dict[str, object]
    roles: tuple[Role, ...]


def _demo_people(plan: DemoPlan) -> Iterator[DemoPerson]:
    rng = random.Random(NAME_SEED)
    groups = (("learner", plan.size.learners, LEARNER_ROLES), ("trainer", plan.size.trainers, TRAINER_ROLES))
    for kind, count, roles in groups:
        for number in range(1, count + 1):
            # Round-robin, so every organisation has people as soon as there are 13 of them.
            organisation = plan.organisations[(number - 1) % len(plan.organisations)]
            names = NAMES_BY_COUNTRY.get(organisation.country, LITHUANIAN_NAMES)
            registered = plan.now - dt.timedelta(seconds=rng.uniform(0, REGISTRATION_SPREAD_DAYS * 86400))
            row: dict[str, object] = {
                "email": demo_email(kind, number),
                "full_name": names.full_name(rng),
                "job_title": "",
                "organisation_id": organisation.id,
                "locale": names.locale,
                "password_hash": plan.password_hash,
                "is_active": True,
                "created_at": registered,
            }
            yield DemoPerson(user_row=row, roles=roles)


def _insert_accounts(session: Session, plan: DemoPlan, progress: Progress) -> dict[str, int]:
    users = roles = 0
    for batch in _batched(_demo_people(plan), BATCH_SIZE):
        # One multi-row INSERT per batch; RETURNING in parameter order pairs each new id with its person.
        user_ids = session.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True), [person.user_row for person in batch]
        ).all()
        role_rows = [
            {"user_id": user_id, "role": role.value}
            for user_id, person in zip(user_ids, batch, strict=True)
            for role in person.roles
        ]
        session.execute(insert(UserRole), role_rows)
        users += len(batch)
        roles += len(role_rows)
        progress(len(batch))
    return {"users": users, "user_roles": roles}


ACCOUNTS_STEP = SeedStep(
    name="accounts",
    planned_units=lambda size: size.learners + size.trainers,
    run=_insert_accounts,
)


def _active_course_lessons(session: Session) -> list[tuple[int, list[int]]]:
    """(course id, its active lesson ids in reading order) for every offered course."""
    rows = session.execute(
        select(Lesson.course_id, Lesson.id)
        .join(Course, Course.id == Lesson.course_id)
        .join(Section, Section.id == Lesson.section_id)
        .where(Course.archived_at.is_(None), Lesson.archived_at.is_(None))
        .order_by(Course.position, Section.position, Lesson.position)
    )
    courses: dict[int, list[int]] = {}
    for course_id, lesson_id in rows:
        courses.setdefault(course_id, []).append(lesson_id)
    return list(courses.items())


def _insert_enrolments(session: Session, plan: DemoPlan, progress: Progress) -> dict[str, int]:
    """Each learner takes one to three courses and is somewhere along each; learner 1 takes them all."""
    courses = _active_course_lessons(session)
    learner_ids = session.scalars(
        select(User.id).where(demo_users(), User.email.like("learner%")).order_by(User.email)
    ).all()
    rng = random.Random(NAME_SEED + 1)
    enrolments = completions = 0
    for batch in _batched(learner_ids, BATCH_SIZE):
        enrolment_rows: list[dict[str, object]] = []
        completion_rows: list[dict[str, object]] = []
        for position, user_id in enumerate(batch):
            first_learner = enrolments == 0 and position == 0
            taken = courses if first_learner else rng.sample(courses, k=min(len(courses), rng.randint(1, 3)))
            for course_id, lesson_ids in taken:
                done = rng.randint(0, len(lesson_ids))
                enrolled_at = plan.now - dt.timedelta(days=rng.uniform(1, REGISTRATION_SPREAD_DAYS))
                enrolment_rows.append(
                    {"user_id": user_id, "course_id": course_id, "role": "learner", "enrolled_at": enrolled_at,
                     "last_lesson_id": lesson_ids[done - 1] if done else None}
                )  # fmt: skip
                completion_rows.extend(
                    {"user_id": user_id, "lesson_id": lesson_id, "completed_at": enrolled_at}
                    for lesson_id in lesson_ids[:done]
                )
        if enrolment_rows:
            session.execute(insert(Enrolment), enrolment_rows)
        if completion_rows:
            session.execute(insert(LessonCompletion), completion_rows)
        enrolments += len(enrolment_rows)
        completions += len(completion_rows)
        progress(len(batch))
    return {"enrolments": enrolments, "lesson_completions": completions}


ENROLMENTS_STEP = SeedStep(
    name="enrolments and lesson progress",
    planned_units=lambda size: size.learners,
    run=_insert_enrolments,
)


def _record_completion(session: Session, plan: DemoPlan, progress: Progress) -> dict[str, int]:
    """The lesson ticks above were bulk-inserted without events: bring course completion in line once."""
    session.flush()
    summary = recompute_all(session, on_completed=certify)
    progress(1)
    return {"course_completions": summary.changed}


COMPLETION_STEP = SeedStep(
    name="course completion",
    planned_units=lambda _size: 1,
    run=_record_completion,
)

# Later issues append steps here (quiz attempts, events), in dependency order.
DEMO_STEPS: tuple[SeedStep, ...] = (ACCOUNTS_STEP, ENROLMENTS_STEP, COMPLETION_STEP)


# --- entry points -------------------------------------------------------------------------------


def planned_progress(*, learners: int, trainers: int) -> int:
    """Total units `seed_demo` will report through its progress callback."""
    size = DemoSize(learners=learners, trainers=trainers)
    return sum(step.planned_units(size) for step in DEMO_STEPS)


def seed_demo(
    session: Session,
    *,
    learners: int,
    trainers: int,
    replace: bool = False,
    progress: Progress | None = None,
) -> DemoSeedResult:
    """Create demo learners and trainers spread over the organisations, all sharing one generated password.

    Refuses when demo accounts exist, unless `replace` is set, which deletes them first (same transaction).
    """
    if learners < 0 or trainers < 0:
        raise ValueError("learners and trainers must not be negative")
    existing = count_demo_users(session)
    if existing and not replace:
        raise DemoDataExists(_("There are already %(count)s demo accounts.", count=existing))
    organisations = tuple(
        DemoOrganisation(id=organisation_id, country=country)
        for organisation_id, country in session.execute(
            select(Organisation.id, Organisation.country).order_by(Organisation.id)
        )
    )
    if not organisations:
        raise Unprocessable(_("There are no organisations yet; add the partner organisations first."))
    replaced = delete_demo_data(session) if existing else 0

    password = secrets.token_urlsafe(12)
    # argon2 is slow on purpose: hash once and share the hash, or 5,000 accounts would take minutes.
    plan = DemoPlan(
        size=DemoSize(learners=learners, trainers=trainers),
        organisations=organisations,
        password_hash=hash_password(password),
        now=utcnow(),
    )
    report: Progress = progress or (lambda _units: None)
    rows: dict[str, int] = {}
    for step in DEMO_STEPS:
        rows.update(step.run(session, plan, report))
    session.flush()

    covered = session.scalar(select(func.count(func.distinct(User.organisation_id))).where(demo_users())) or 0
    return DemoSeedResult(
        learners=learners, trainers=trainers, organisations=covered, replaced=replaced, rows=rows, password=password
    )
