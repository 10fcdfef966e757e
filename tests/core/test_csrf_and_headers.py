"""CSRF protection on state-changing requests, and the security headers on every response."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.middleware import CSRF_COOKIE
from tests.factories import DEFAULT_PASSWORD, csrf_from, find_user, make_user


@pytest.mark.parametrize("path", ["/login", "/register", "/forgot-password", "/logout", "/profile"])
def test_post_without_a_token_is_refused(client: TestClient, path: str) -> None:
    client.get("/")  # the browser has a CSRF cookie but sends no token
    response = client.post(f"{path}?lang=en", data={"email": "a@example.lt"})
    assert response.status_code == 403
    assert "This form has expired or was sent from another site." in response.text


def test_post_with_a_forged_token_is_refused(client: TestClient, db: Session) -> None:
    user = make_user(db)
    client.get("/")
    response = client.post("/login", data={"csrf_token": "0" * 64, "email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert "klasteris_session" not in client.cookies


def test_token_from_another_browser_is_refused(app, db: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    attacker = TestClient(app, follow_redirects=False)
    token_of_attacker = csrf_from(attacker.get("/login").text)
    victim = TestClient(app, follow_redirects=False)
    victim.get("/")
    response = victim.post(
        "/login", data={"csrf_token": token_of_attacker, "email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403


def test_token_without_the_cookie_is_refused(client: TestClient) -> None:
    token = csrf_from(client.get("/register").text)
    client.cookies.delete(CSRF_COOKIE)
    response = client.post("/forgot-password", data={"csrf_token": token, "email": "a@example.lt"})
    assert response.status_code == 403


def test_refused_form_changes_nothing(client: TestClient, db: Session) -> None:
    client.get("/")
    client.post(
        "/register",
        data={
            "full_name": "Nobody",
            "email": "csrf@example.lt",
            "organisation_id": "1",
            "locale": "lt",
            "password": DEFAULT_PASSWORD,
            "password_confirm": DEFAULT_PASSWORD,
        },
    )
    assert find_user(db, "csrf@example.lt") is None


def test_csrf_cookie_is_http_only(client: TestClient) -> None:
    cookie = next(value for value in client.get("/").headers.get_list("set-cookie") if value.startswith(CSRF_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/static/css/site.css"])
def test_security_headers_are_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
