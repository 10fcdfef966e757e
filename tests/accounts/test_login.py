"""Signing in: wrong passwords, throttling per account and per address, and safe redirects."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt
from app.core.config import Settings
from tests.factories import DEFAULT_PASSWORD, make_user, post_form


def _attempt(client: TestClient, email: str, password: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/login?lang=en", "/login", {"email": email, "password": password})


def test_wrong_password_is_refused_without_a_session(client: TestClient, db: Session) -> None:
    user = make_user(db)
    response = _attempt(client, user.email, "wrong password!")
    assert response.status_code == 400
    assert "The email address or password is incorrect." in response.text
    assert f'value="{user.email}"' in response.text
    assert "klasteris_session" not in client.cookies
    assert client.get("/profile").status_code == 303


def test_unknown_account_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    response = _attempt(client, "nobody@example.lt", "whatever password")
    assert response.status_code == 400
    assert "The email address or password is incorrect." in response.text


def test_account_is_throttled_after_repeated_failures(client: TestClient, db: Session, settings: Settings) -> None:
    user = make_user(db)
    for _ in range(settings.login_max_failures_per_account):
        assert _attempt(client, user.email, "wrong password!").status_code == 400
    response = _attempt(client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts." in response.text
    assert "15 minutes" in response.text
    assert client.get("/profile").status_code == 303


def test_throttling_counts_attempts_from_one_address_across_accounts(
    client: TestClient, db: Session, settings: Settings
) -> None:
    victim = make_user(db)
    for number in range(settings.login_max_failures_per_ip):
        _attempt(client, f"guess{number}@example.lt", "wrong password!")
    assert _attempt(client, victim.email, DEFAULT_PASSWORD).status_code == 429


def test_successful_sign_in_clears_earlier_failures(client: TestClient, db: Session, settings: Settings) -> None:
    user = make_user(db)
    for _ in range(settings.login_max_failures_per_account - 1):
        _attempt(client, user.email, "wrong password!")
    assert _attempt(client, user.email, DEFAULT_PASSWORD).status_code == 303
    client.cookies.clear()
    assert _attempt(client, user.email, "wrong password!").status_code == 400
    assert _attempt(client, user.email, DEFAULT_PASSWORD).status_code == 303


def test_attempts_are_recorded_in_the_database(client: TestClient, db: Session) -> None:
    user = make_user(db)
    _attempt(client, user.email, "wrong password!")
    _attempt(client, user.email, DEFAULT_PASSWORD)
    rows = db.execute(
        select(LoginAttempt.succeeded, func.count())
        .where(LoginAttempt.email == user.email)
        .group_by(LoginAttempt.succeeded)
    ).all()
    assert dict(rows) == {False: 1, True: 1}


def test_deactivated_account_cannot_sign_in(client: TestClient, db: Session) -> None:
    user = make_user(db)
    user.is_active = False
    db.commit()
    assert _attempt(client, user.email, DEFAULT_PASSWORD).status_code == 400


def test_sign_in_returns_to_the_requested_page(client: TestClient, db: Session) -> None:
    user = make_user(db)
    assert client.get("/profile").headers["location"] == "/login?next=/profile"
    page = client.get("/login?next=/profile")
    assert 'name="next" value="/profile"' in page.text
    response = post_form(
        client,
        "/login?next=/profile",
        "/login",
        {"email": user.email, "password": DEFAULT_PASSWORD, "next": "/profile"},
    )
    assert response.headers["location"].startswith("/profile")


def test_sign_in_never_redirects_to_another_site(client: TestClient, db: Session) -> None:
    user = make_user(db)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = post_form(
            client, "/login", "/login", {"email": user.email, "password": DEFAULT_PASSWORD, "next": target}
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/?")
        client.cookies.clear()
