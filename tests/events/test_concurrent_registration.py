"""Many people pressing "Register" at the same moment never take more places than the event has.

The usual fixtures wrap a test in one rolled-back transaction, which parallel requests cannot share. This
test writes to the test database for real (a file on SQLite, the test database on PostgreSQL), sends the
requests from threads, each with its own connection, and deletes what it made afterwards.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.service import SESSION_COOKIE, create_user, start_session
from app.core.access import Role
from app.core.config import Settings
from app.core.db import make_sessionmaker, session_scope, utcnow
from app.events.models import EventRegistration, EventStatus, RegistrationStatus, TrainingEvent
from app.main import create_app
from tests.factories import csrf_from

PEOPLE = 30
CAPACITY = 5


@pytest.fixture
def crowd(engine: Engine, settings: Settings) -> Iterator[tuple[int, list[str]]]:
    """An open event with CAPACITY places and PEOPLE signed-in sessions, committed; removed afterwards."""
    factory = make_sessionmaker(engine)
    marker = uuid.uuid4().hex[:8]
    with session_scope(factory) as session:
        starts_at = utcnow() + dt.timedelta(days=7)
        event = TrainingEvent(
            title={"lt": "Lenktynės", "en": "The race"}, description={}, country="LT", time_zone="Europe/Vilnius",
            starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3), registration_deadline=starts_at,
            capacity=CAPACITY, status=EventStatus.OPEN,
        )  # fmt: skip
        session.add(event)
        people = [
            create_user(session, email=f"race-{marker}-{n}@example.lt", full_name=f"Racer {n}", roles={Role.LEARNER})
            for n in range(PEOPLE)
        ]
        session.flush()
        tokens = [
            start_session(session, settings=settings, user=user, ip_address="127.0.0.1", user_agent="race")
            for user in people
        ]
        event_id, user_ids = event.id, [user.id for user in people]
    try:
        yield event_id, tokens
    finally:
        with session_scope(factory) as session:
            session.execute(delete(TrainingEvent).where(TrainingEvent.id == event_id))
            session.execute(delete(User).where(User.id.in_(user_ids)))


def test_simultaneous_registrations_never_exceed_capacity(
    engine: Engine, settings: Settings, crowd: tuple[int, list[str]]
) -> None:
    event_id, tokens = crowd
    app = create_app(settings)
    # Requests use the real engine, each its own session and connection: no shared test transaction.
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    browsers: list[tuple[TestClient, str]] = []
    for token in tokens:
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        client.cookies.set(SESSION_COOKIE, token)
        browsers.append((client, csrf_from(client.get(f"/events/{event_id}").text)))
    start = threading.Barrier(PEOPLE)

    def press_register(browser: tuple[TestClient, str]) -> int:
        client, csrf = browser
        start.wait()
        return client.post(f"/events/{event_id}/register", data={"csrf_token": csrf}).status_code

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        statuses = list(pool.map(press_register, browsers))
    assert statuses == [303] * PEOPLE

    with Session(engine) as session:
        rows = session.scalars(
            select(EventRegistration)
            .where(EventRegistration.event_id == event_id)
            .order_by(EventRegistration.waiting_since, EventRegistration.id)
        ).all()
    assert len(rows) == PEOPLE and len({row.user_id for row in rows}) == PEOPLE
    registered = [row for row in rows if row.status == RegistrationStatus.REGISTERED]
    waiting = [row for row in rows if row.status == RegistrationStatus.WAITING]
    assert len(registered) == CAPACITY
    assert len(waiting) == PEOPLE - CAPACITY
    # Everyone waiting has a distinct place in the queue, served by time and then by id.
    assert all(row.waiting_since is not None for row in waiting)
    assert len({(row.waiting_since, row.id) for row in waiting}) == len(waiting)
