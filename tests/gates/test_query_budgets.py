"""Query budgets: each main page runs a fixed number of statements however much data it lists."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.accounts.service import start_session
from app.core.config import Settings
from tests.factories import log_in, make_user
from tests.gates.queries import assert_constant_queries

_numbers = itertools.count(1)


def _add_organisations(session: Session):  # type: ignore[no-untyped-def]
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            number = next(_numbers)
            session.add(Organisation(slug=f"extra-{number}", name_lt=f"Įstaiga {number}", name_en=f"Institution {number}"))
        session.commit()

    return grow


def test_home_page_query_count_does_not_grow_with_organisations(client: TestClient, db: Session) -> None:
    assert_constant_queries(client, db, "/", _add_organisations(db), budget=1)


def test_signed_in_home_page_query_count_does_not_grow(client: TestClient, db: Session) -> None:
    log_in(client, make_user(db).email)
    # session with its user, the user's roles, the organisations
    assert_constant_queries(client, db, "/", _add_organisations(db), budget=3)


def test_registration_page_query_count_does_not_grow_with_organisations(client: TestClient, db: Session) -> None:
    assert_constant_queries(client, db, "/register", _add_organisations(db), budget=1)


def test_profile_page_query_count_does_not_grow_with_sessions(client: TestClient, db: Session, settings: Settings) -> None:
    user = make_user(db)
    log_in(client, user.email)

    def more_sign_ins(how_many: int) -> None:
        for _ in range(how_many):
            start_session(db, settings=settings, user=user, ip_address="10.0.0.1", user_agent="other")
        db.commit()

    assert_constant_queries(client, db, "/profile", more_sign_ins, budget=4)
