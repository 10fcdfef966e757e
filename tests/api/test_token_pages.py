"""API tokens through the administrators' pages: created and shown once, used, revoked; audited; admins only."""

from __future__ import annotations

import hashlib
import re

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.api.models import ApiToken
from app.audit.service import AuditAction, entries_for
from app.core.access import Role
from tests.api.api_setup import api_client, organisations
from tests.factories import csrf_from, make_user
from tests.progress.page_setup import client_for, page_text

TOKEN_SHAPE = re.compile(r"kls_[A-Za-z0-9_-]{43}")
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


def _admin(db: Session) -> User:
    return make_user(db, roles={Role.ADMIN}, locale="en", full_name="Admin Administratorė")


def _token_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(ApiToken)) or 0


def _form(client, **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = client.get("/admin/api-tokens")
    assert page.status_code == 200
    nonce = NONCE.search(page.text)
    assert nonce, "the creation form has no nonce"
    return {"csrf_token": csrf_from(page.text), "nonce": nonce.group(1), **fields}


def _created_token(html: str) -> str:
    found = TOKEN_SHAPE.findall(html)
    assert len(set(found)) == 1, found
    return found[0]


def test_token_lifecycle_from_creation_to_revocation(app: FastAPI, db: Session) -> None:
    admin = _admin(db)
    browser = client_for(app, admin)
    created = browser.post("/admin/api-tokens", data=_form(browser, name="Ministry HR system"))
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    token = _created_token(created.text)
    assert "will not be shown again" in created.text

    # The database holds a digest and a short prefix, never the token.
    row = db.scalar(select(ApiToken).where(ApiToken.name == "Ministry HR system"))
    assert row is not None
    assert row.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert row.token_prefix == token[:12] and len(row.token_prefix) < len(token)
    assert row.created_by_id == admin.id and row.organisation_id is None
    assert row.last_used_at is None

    # Listed by name and prefix; the token itself is not on the list page.
    listing = browser.get("/admin/api-tokens")
    assert "Ministry HR system" in listing.text and row.token_prefix in listing.text
    assert token not in listing.text
    assert "Never" in page_text(listing.text)

    api = api_client(app, token)
    assert api.get("/api/v1/organisations").status_code == 200
    db.refresh(row)
    assert row.last_used_at is not None
    assert "Never" not in page_text(browser.get("/admin/api-tokens").text)

    confirm = browser.get(f"/admin/api-tokens/{row.id}/revoke")
    assert confirm.status_code == 200 and "Ministry HR system" in confirm.text
    revoked = browser.post(f"/admin/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_from(confirm.text)})
    assert revoked.status_code == 303
    assert revoked.headers["location"].startswith("/admin/api-tokens/revoked")
    db.refresh(row)
    assert row.revoked_at is not None and row.revoked_by_id == admin.id

    refused = api.get("/api/v1/organisations")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    # Revoked tokens are listed apart.
    assert "Ministry HR system" not in browser.get("/admin/api-tokens").text
    revoked_list = browser.get("/admin/api-tokens/revoked")
    assert "Ministry HR system" in revoked_list.text and "Admin Administratorė" in revoked_list.text


def test_creation_and_revocation_are_audited_without_the_token(app: FastAPI, db: Session) -> None:
    admin = _admin(db)
    organisation = organisations(db)[1]
    browser = client_for(app, admin)
    created = browser.post(
        "/admin/api-tokens", data=_form(browser, name="Partner LRS", organisation_id=str(organisation.id))
    )
    token = _created_token(created.text)
    row = db.scalar(select(ApiToken).where(ApiToken.name == "Partner LRS"))
    assert row is not None and row.organisation_id == organisation.id
    confirm = browser.get(f"/admin/api-tokens/{row.id}/revoke")
    browser.post(f"/admin/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_from(confirm.text)})

    [creation] = entries_for(db, action=AuditAction.API_TOKEN_CREATED)
    [revocation] = entries_for(db, action=AuditAction.API_TOKEN_REVOKED)
    for entry in (creation, revocation):
        assert entry.actor_id == admin.id
        assert (entry.target_type, entry.target_id) == ("api_token", str(row.id))
        assert token not in str(entry.details) and row.token_digest not in str(entry.details)
    assert creation.details == {"name": "Partner LRS", "prefix": row.token_prefix, "organisation_id": organisation.id}


def test_the_same_form_sent_twice_creates_one_token_and_answers_conflict(app: FastAPI, db: Session) -> None:
    browser = client_for(app, _admin(db))
    form = _form(browser, name="HR system")
    first = browser.post("/admin/api-tokens", data=form)
    assert first.status_code == 200
    token = _created_token(first.text)
    second = browser.post("/admin/api-tokens", data=form)
    assert second.status_code == 409
    assert "already" in second.text and token not in second.text
    assert _token_count(db) == 1
    assert len(entries_for(db, action=AuditAction.API_TOKEN_CREATED)) == 1
    # A fresh form makes a different token.
    third = browser.post("/admin/api-tokens", data=_form(browser, name="HR system"))
    assert third.status_code == 200 and _created_token(third.text) != token
    assert _token_count(db) == 2


def test_revoking_twice_changes_nothing_the_second_time(app: FastAPI, db: Session) -> None:
    browser = client_for(app, _admin(db))
    browser.post("/admin/api-tokens", data=_form(browser, name="HR system"))
    row = db.scalar(select(ApiToken))
    assert row is not None
    confirm = browser.get(f"/admin/api-tokens/{row.id}/revoke")
    data = {"csrf_token": csrf_from(confirm.text)}
    assert browser.post(f"/admin/api-tokens/{row.id}/revoke", data=data).status_code == 303
    db.refresh(row)
    first_revoked_at = row.revoked_at
    assert browser.post(f"/admin/api-tokens/{row.id}/revoke", data=data).status_code == 303
    db.refresh(row)
    assert row.revoked_at == first_revoked_at
    assert len(entries_for(db, action=AuditAction.API_TOKEN_REVOKED)) == 1
    assert "was revoked on" in browser.get(f"/admin/api-tokens/{row.id}/revoke").text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "This field is required."),
        ({"name": "x" * 101}, "name", "Enter at most 100 characters."),
        ({"name": "HR", "organisation_id": "999999"}, "organisation_id", "Choose one of the organisations"),
        ({"name": "HR", "organisation_id": "abc"}, "organisation_id", "Choose one of the options."),
    ],
)
def test_invalid_form_is_shown_again_with_the_message_and_values(
    app: FastAPI, db: Session, fields: dict[str, str], field: str, message: str
) -> None:
    browser = client_for(app, _admin(db))
    form = _form(browser, **fields)
    answer = browser.post("/admin/api-tokens", data=form)
    assert answer.status_code == 422
    assert message in answer.text
    assert f'href="#field-{field}"' in answer.text
    if field == "name" and fields["name"].strip():
        assert f'value="{fields["name"]}"' in answer.text
    # The unused nonce is kept, so the corrected form still works once.
    assert f'value="{form["nonce"]}"' in answer.text
    assert _token_count(db) == 0


def test_a_tampered_nonce_is_refused_and_creates_nothing(app: FastAPI, db: Session) -> None:
    browser = client_for(app, _admin(db))
    form = _form(browser, name="HR system")
    answer = browser.post("/admin/api-tokens", data={**form, "nonce": "short"})
    assert answer.status_code == 422
    assert "could not be read" in answer.text
    assert 'value="short"' not in answer.text
    assert _token_count(db) == 0


@pytest.mark.parametrize("roles", [{Role.LEARNER}, {Role.TRAINER, Role.LEARNER}, {Role.ORG_MANAGER, Role.LEARNER}])
def test_people_who_are_not_administrators_get_403_on_token_pages(app: FastAPI, db: Session, roles: set[Role]) -> None:
    admin_browser = client_for(app, _admin(db))
    admin_browser.post("/admin/api-tokens", data=_form(admin_browser, name="HR system"))
    row = db.scalar(select(ApiToken))
    assert row is not None
    browser = client_for(app, make_user(db, roles=roles))
    token = csrf_from(browser.get("/profile").text)
    assert browser.get("/admin/api-tokens").status_code == 403
    assert browser.get("/admin/api-tokens/revoked").status_code == 403
    assert browser.get(f"/admin/api-tokens/{row.id}/revoke").status_code == 403
    creating = browser.post("/admin/api-tokens", data={"csrf_token": token, "name": "Mine", "nonce": "a" * 43})
    assert creating.status_code == 403
    revoking = browser.post(f"/admin/api-tokens/{row.id}/revoke", data={"csrf_token": token})
    assert revoking.status_code == 403
    db.refresh(row)
    assert row.revoked_at is None and _token_count(db) == 1


def test_signed_out_visitors_are_sent_to_sign_in(app: FastAPI, db: Session) -> None:
    answer = client_for(app).get("/admin/api-tokens")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_unknown_token_ids_answer_404(app: FastAPI, db: Session) -> None:
    browser = client_for(app, _admin(db))
    token = csrf_from(browser.get("/profile").text)
    assert browser.get("/admin/api-tokens/999999/revoke").status_code == 404
    assert browser.post("/admin/api-tokens/999999/revoke", data={"csrf_token": token}).status_code == 404
    # Not JSON: these are pages for people.
    assert "text/html" in browser.get("/admin/api-tokens/999999/revoke").headers["content-type"]


def test_token_limited_to_an_organisation_is_listed_with_it(app: FastAPI, db: Session) -> None:
    organisation = organisations(db)[2]
    browser = client_for(app, _admin(db))
    created = browser.post(
        "/admin/api-tokens", data=_form(browser, name="Regional HR", organisation_id=str(organisation.id))
    )
    assert organisation.name_en in created.text
    listing = page_text(browser.get("/admin/api-tokens").text)
    assert "Regional HR" in listing and organisation.name_en in listing
