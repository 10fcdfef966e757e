"""API lists and token pages run the same number of SQL statements with 1 and with 50 rows."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.api.models import ApiToken
from app.core.access import Role
from app.core.db import utcnow
from app.core.security import new_token, token_digest
from app.progress.models import CompletionState
from tests.api.api_setup import api_client, enrolment, extra_course, issue_token
from tests.factories import make_user
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import client_for

pytestmark = pytest.mark.usefixtures("synced")
_numbers = itertools.count(1)
# The token's UPDATE … RETURNING, then the page's one or two statements.
API_BUDGET = 3


def _more_records(db: Session) -> Callable[[int], None]:
    course = extra_course(db)

    def grow(how_many: int) -> None:
        for _ in range(how_many):
            learner = make_user(db, roles={Role.LEARNER, Role.TRAINER})
            enrolment(db, learner, course, state=CompletionState.COMPLETED, grade=75.0, certificate=True)

    return grow


def _more_courses(db: Session) -> Callable[[int], None]:
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            extra_course(db)
        db.commit()

    return grow


def _more_organisations(db: Session) -> Callable[[int], None]:
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            number = next(_numbers)
            db.add(Organisation(slug=f"api-extra-{number}", name_lt=f"Įstaiga {number}", name_en=f"Body {number}"))
        db.commit()

    return grow


@pytest.mark.parametrize(
    ("url", "grower"),
    [
        ("/api/v1/completions?limit=500", _more_records),
        ("/api/v1/users?limit=500", _more_records),
        ("/api/v1/courses?limit=500", _more_courses),
        ("/api/v1/organisations?limit=500", _more_organisations),
    ],
)
def test_api_lists_run_constant_statements(
    app: FastAPI, db: Session, url: str, grower: Callable[[Session], Callable[[int], None]]
) -> None:
    api = api_client(app, issue_token(db))
    assert_constant_queries(api, db, url, grower(db), budget=API_BUDGET)


def _more_tokens(db: Session, *, revoked: bool) -> Callable[[int], None]:
    admin = make_user(db, roles={Role.ADMIN})
    organisation = db.get(Organisation, admin.organisation_id)
    assert organisation is not None

    def grow(how_many: int) -> None:
        for number in range(how_many):
            token = "kls_" + new_token()
            db.add(
                ApiToken(
                    name=f"System {number}",
                    token_prefix=token[:12],
                    token_digest=token_digest(token),
                    created_by_id=admin.id,
                    organisation_id=organisation.id if number % 2 else None,
                    last_used_at=utcnow(),
                    revoked_at=utcnow() if revoked else None,
                    revoked_by_id=admin.id if revoked else None,
                    window_count=0,
                )
            )
        db.commit()

    return grow


@pytest.mark.parametrize(("url", "revoked"), [("/admin/api-tokens", False), ("/admin/api-tokens/revoked", True)])
def test_token_pages_run_constant_statements(app: FastAPI, db: Session, url: str, revoked: bool) -> None:
    browser = client_for(app, make_user(db, roles={Role.ADMIN}))
    # The session with its user; the count; the page of tokens with names; the organisations for the form.
    assert_constant_queries(browser, db, url, _more_tokens(db, revoked=revoked), budget=4 if not revoked else 3)
