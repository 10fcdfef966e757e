"""Browsers for the administration tests: signed in directly (no password hashing) and posting with CSRF."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.service import SESSION_COOKIE, start_session
from app.core.config import Settings
from tests.factories import csrf_from


def signed_in(app: FastAPI, db: Session, settings: Settings, user: User) -> TestClient:
    """A browser of its own with a session for `user`."""
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    token = start_session(db, settings=settings, user=user, ip_address="127.0.0.1", user_agent="tests")
    db.commit()
    client.cookies.set(SESSION_COOKIE, token)
    return client


def post(client: TestClient, url: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/profile").text)
    return client.post(url, data={"csrf_token": token, **(data or {})})
