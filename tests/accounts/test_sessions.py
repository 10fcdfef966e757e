"""Server-side sessions: cookie flags, revocation on sign-out and password change, expiry."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import UserSession
from app.accounts.service import SESSION_COOKIE
from app.core.config import Settings
from app.core.security import token_digest
from app.main import create_app
from tests.factories import DEFAULT_PASSWORD, csrf_from, log_in, make_user, post_form


def test_session_cookie_is_http_only_and_same_site(client: TestClient, db: Session) -> None:
    user = make_user(db)
    response = post_form(client, "/login", "/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_the_site_uses_https(settings: Settings, app: FastAPI, db: Session) -> None:
    https_app = create_app(settings.model_copy(update={"base_url": "https://klasteris.example"}))
    https_app.dependency_overrides = app.dependency_overrides
    client = TestClient(https_app, base_url="https://testserver", follow_redirects=False)
    user = make_user(db)
    response = post_form(client, "/login", "/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE))
    assert "Secure" in cookie
    assert "strict-transport-security" in response.headers


def test_only_a_digest_of_the_session_token_is_stored(client: TestClient, db: Session) -> None:
    user = make_user(db)
    log_in(client, user.email)
    token = client.cookies[SESSION_COOKIE]
    stored = db.scalars(select(UserSession.token_digest).where(UserSession.user_id == user.id)).all()
    assert stored == [token_digest(token)]
    assert token not in stored


def test_old_cookie_no_longer_works_after_sign_out(client: TestClient, db: Session) -> None:
    user = make_user(db)
    log_in(client, user.email)
    old_token = client.cookies[SESSION_COOKIE]
    page = client.get("/profile")
    client.post("/logout", data={"csrf_token": csrf_from(page.text)})

    client.cookies.set(SESSION_COOKIE, old_token)
    assert client.get("/profile").status_code == 303


def test_password_change_signs_out_other_browsers_but_keeps_this_one(app: FastAPI, db: Session) -> None:
    user = make_user(db)
    here = TestClient(app, follow_redirects=False)
    elsewhere = TestClient(app, follow_redirects=False)
    log_in(here, user.email)
    log_in(elsewhere, user.email)

    response = post_form(
        here,
        "/profile/password",
        "/profile/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": "a brand new passphrase",
            "new_password_confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 303
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 303
    log_in(TestClient(app, follow_redirects=False), user.email, "a brand new passphrase")


def test_password_change_needs_the_current_password(client: TestClient, db: Session) -> None:
    user = make_user(db)
    log_in(client, user.email)
    response = post_form(
        client,
        "/profile/password?lang=en",
        "/profile/password",
        {
            "current_password": "not my password",
            "new_password": "a brand new passphrase",
            "new_password_confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 400
    assert "Your current password is not correct." in response.text


def test_expired_session_is_not_accepted(client: TestClient, db: Session) -> None:
    user = make_user(db)
    log_in(client, user.email)
    user_session = db.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    user_session.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.commit()
    assert client.get("/profile").status_code == 303


def test_signing_in_again_replaces_the_previous_session(client: TestClient, db: Session) -> None:
    user = make_user(db)
    log_in(client, user.email)
    first = client.cookies[SESSION_COOKIE]
    home = client.get("/")
    again = client.post(
        "/login", data={"csrf_token": csrf_from(home.text), "email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert again.status_code == 303
    assert client.cookies[SESSION_COOKIE] != first
    revoked = db.scalars(select(UserSession).where(UserSession.token_digest == token_digest(first))).one()
    assert revoked.revoked_at is not None
