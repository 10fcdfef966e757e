"""Forgotten passwords: the emailed link works once, expires, and reveals nothing about accounts."""

from __future__ import annotations

import datetime as dt
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import PasswordResetToken
from app.core.config import Settings
from tests.factories import csrf_from, log_in, make_user, outbox_messages, post_form

NEW_PASSWORD = "spring in Druskininkai"


def _request_link(client: TestClient, settings: Settings, email: str) -> str:
    response = post_form(client, "/forgot-password", "/forgot-password", {"email": email})
    assert response.status_code == 303
    messages = outbox_messages(settings.outbox_path)
    assert messages, "no email was written to the outbox"
    body = messages[-1].get_payload(decode=True).decode()
    match = re.search(r"http://testserver(/reset-password/[\w-]+)", body)
    assert match, body
    return match.group(1)


def _choose_password(client: TestClient, link: str):  # type: ignore[no-untyped-def]
    return post_form(client, link, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})


def test_reset_link_from_the_email_sets_a_new_password_once(
    client: TestClient, db: Session, settings: Settings
) -> None:
    user = make_user(db, locale="en")
    link = _request_link(client, settings, user.email.upper())
    message = outbox_messages(settings.outbox_path)[-1]
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your Klasteris password"

    response = _choose_password(client, link)
    assert response.status_code == 303
    log_in(client, user.email, NEW_PASSWORD)

    second = client.get(f"{link}?lang=en")
    assert second.status_code == 400
    assert "invalid, already used or expired" in second.text


def test_reset_email_is_written_in_the_account_language(client: TestClient, db: Session, settings: Settings) -> None:
    user = make_user(db, locale="lt")
    _request_link(client, settings, user.email)
    assert outbox_messages(settings.outbox_path)[-1]["Subject"] != "Reset your Klasteris password"


def test_expired_reset_link_is_refused(client: TestClient, db: Session, settings: Settings) -> None:
    user = make_user(db)
    link = _request_link(client, settings, user.email)
    reset = db.scalars(select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)).one()
    reset.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.commit()
    assert client.get(link).status_code == 400
    page = client.get("/forgot-password")
    response = client.post(
        link, data={"csrf_token": csrf_from(page.text), "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert response.status_code == 400


def test_reset_signs_out_existing_sessions(app: FastAPI, db: Session, settings: Settings) -> None:
    user = make_user(db)
    signed_in = TestClient(app, follow_redirects=False)
    log_in(signed_in, user.email)
    anonymous = TestClient(app, follow_redirects=False)
    link = _request_link(anonymous, settings, user.email)
    assert _choose_password(anonymous, link).status_code == 303
    assert signed_in.get("/profile").status_code == 303


def test_unknown_address_gets_the_same_answer_and_no_email(client: TestClient, settings: Settings) -> None:
    response = post_form(client, "/forgot-password", "/forgot-password", {"email": "nobody@example.lt"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?notice=reset-sent"
    assert outbox_messages(settings.outbox_path) == []


def test_made_up_reset_token_shows_the_invalid_link_page(client: TestClient) -> None:
    response = client.get("/reset-password/made-up-token?lang=en")
    assert response.status_code == 400
    assert "Ask for a new link" in response.text
