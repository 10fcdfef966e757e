"""Small typed factories and HTTP helpers shared by the tests."""

from __future__ import annotations

import email
import functools
import itertools
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.accounts.service import create_user, seed_partner_organisations
from app.core.access import Role
from app.core.security import hash_password

DEFAULT_PASSWORD = "correct horse battery"
_sequence = itertools.count(1)
_CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed_organisations(session: Session) -> None:
    seed_partner_organisations(session)
    session.commit()


def first_organisation(session: Session) -> Organisation:
    organisation = session.scalar(select(Organisation).order_by(Organisation.id))
    assert organisation is not None
    return organisation


@functools.cache
def password_hash_of(password: str) -> str:
    return hash_password(password)


def make_user(
    session: Session,
    *,
    email_address: str | None = None,
    full_name: str = "Rūta Žemaitė",
    roles: set[Role] | None = None,
    password: str = DEFAULT_PASSWORD,
    locale: str = "lt",
    organisation: Organisation | None = None,
) -> User:
    organisation = organisation or first_organisation(session)
    user = create_user(
        session,
        email=email_address or f"user{next(_sequence)}@example.lt",
        full_name=full_name,
        roles=roles or {Role.LEARNER},
        organisation_id=organisation.id,
        locale=locale,
    )
    # argon2 costs ~0.3 s and 64 MiB on purpose; hashing each test password once keeps the suite fast.
    user.password_hash = password_hash_of(password) if password else None
    # Commit (on the test's savepoint) as a real earlier request would, so a request that rolls back keeps it.
    session.commit()
    return user


def csrf_from(html: str) -> str:
    match = _CSRF_PATTERN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(client: TestClient, page_url: str, action: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """Open the page like a browser, then submit its form with the page's CSRF token."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(action, data={"csrf_token": csrf_from(page.text), **data})


def log_in(client: TestClient, email_address: str, password: str = DEFAULT_PASSWORD) -> None:
    response = post_form(client, "/login", "/login", {"email": email_address, "password": password})
    assert response.status_code == 303, response.text


def outbox_messages(outbox: Path) -> list[email.message.Message]:
    if not outbox.exists():
        return []
    files = sorted(outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime)
    return [email.message_from_bytes(path.read_bytes()) for path in files]


def find_user(session: Session, email_address: str) -> User | None:
    return session.scalar(select(User).where(User.email == email_address.lower()))
