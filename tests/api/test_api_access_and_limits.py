"""The API's door: bearer tokens only, JSON errors under /api/ (HTML elsewhere), and a per-token rate limit."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.api.models import ApiToken
from app.api.tokens import ApiUnauthorized, RateLimitExceeded, admit_request
from app.core.access import Role, app_routes
from app.core.config import Settings
from app.core.db import utcnow
from app.core.security import token_digest
from app.main import create_app
from tests.api.api_setup import api_client, issue_token
from tests.factories import make_user
from tests.progress.page_setup import client_for

API_LISTS = ("/api/v1/completions", "/api/v1/users", "/api/v1/courses", "/api/v1/organisations")


def _token_row(db: Session, token: str) -> ApiToken:
    row = db.scalar(select(ApiToken).where(ApiToken.token_digest == token_digest(token)))
    assert row is not None
    db.refresh(row)
    return row


def _assert_json_error(answer, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer kls_unknown", "Bearer not-even-our-shape", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500],
)
def test_requests_without_a_valid_token_answer_401_json(app: FastAPI, db: Session, authorization: str | None) -> None:
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    headers = {"Authorization": authorization} if authorization else {}
    for url in API_LISTS:
        answer = client.get(url, headers=headers)
        _assert_json_error(answer, 401)
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_browser_session_does_not_open_the_api(app: FastAPI, db: Session) -> None:
    admin = client_for(app, make_user(db, roles={Role.ADMIN}))
    _assert_json_error(admin.get("/api/v1/users"), 401)


def test_a_revoked_token_stops_working_at_once(app: FastAPI, db: Session) -> None:
    token = issue_token(db)
    api = api_client(app, token)
    assert api.get("/api/v1/courses").status_code == 200
    db.execute(update(ApiToken).values(revoked_at=utcnow()))
    db.commit()
    _assert_json_error(api.get("/api/v1/courses"), 401)


def test_each_request_records_the_last_use(app: FastAPI, db: Session) -> None:
    token = issue_token(db)
    assert _token_row(db, token).last_used_at is None
    before = utcnow()
    api_client(app, token).get("/api/v1/organisations")
    used = _token_row(db, token).last_used_at
    assert used is not None and before <= used <= utcnow()


def test_every_api_route_declares_the_token_policy_and_only_reads(app: FastAPI) -> None:
    api_routes = [route for route in app_routes(app) if route.path.startswith("/api/v1/")]
    data_routes = [route for route in api_routes if route.path not in ("/api/v1/openapi.json", "/api/v1/docs")]
    assert len(data_routes) == 7
    for route in data_routes:
        assert [policy.name for policy in route.policies] == ["api_token"], route.path
        assert route.methods == {"GET"}, route.path


def test_errors_under_api_are_json_and_pages_elsewhere_stay_html(app: FastAPI, db: Session) -> None:
    api = api_client(app, issue_token(db), language="en")
    _assert_json_error(api.get("/api/v1/no-such-thing"), 404)
    assert _assert_json_error(api.get("/api/v1/courses/NOPE1"), 404) == {"detail": "This course was not found."}
    _assert_json_error(api.post("/api/v1/courses"), 405)
    _assert_json_error(api.get("/api/v1/users/abc"), 422)
    page = api.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>" in page.text
    bad_path = client_for(app).get("/verify/%00")
    assert bad_path.headers["content-type"].startswith("text/html")


def test_error_messages_follow_accept_language(app: FastAPI, db: Session) -> None:
    english = TestClient(app, headers={"Accept-Language": "en"}).get("/api/v1/users")
    assert english.json() == {"detail": "Send an API token in the Authorization header: Bearer kls_…"}
    default = TestClient(app).get("/api/v1/users")
    assert default.status_code == 401 and default.headers["content-type"] == "application/json"


def test_successful_answers_carry_rate_headers_and_are_not_cached(app: FastAPI, db: Session) -> None:
    api = api_client(app, issue_token(db))
    first = api.get("/api/v1/courses")
    second = api.get("/api/v1/courses")
    assert first.headers["x-ratelimit-limit"] == "120"
    assert first.headers["x-ratelimit-remaining"] == "119"
    assert second.headers["x-ratelimit-remaining"] == "118"
    assert 1 <= int(first.headers["x-ratelimit-reset"]) <= 60
    assert first.headers["cache-control"] == "no-store"


@pytest.fixture
def limited_app(settings: Settings, app: FastAPI) -> FastAPI:
    """The test app, with a rate limit of three requests a minute."""
    limited = create_app(settings.model_copy(update={"api_rate_limit_per_minute": 3}))
    limited.dependency_overrides = app.dependency_overrides
    return limited


def test_the_fourth_request_in_a_minute_answers_429_and_a_new_window_resets(limited_app: FastAPI, db: Session) -> None:
    token = issue_token(db)
    api = api_client(limited_app, token)
    remaining = [api.get("/api/v1/organisations").headers["x-ratelimit-remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = api.get("/api/v1/organisations")
    _assert_json_error(refused, 429)
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Requests that fail for other reasons still count: a flood of 404s is a flood.
    _assert_json_error(api.get("/api/v1/users/2147483000"), 429)

    # The minute passes: the next request opens a new window.
    db.execute(
        update(ApiToken)
        .values(window_started_at=utcnow() - dt.timedelta(seconds=61))
        .execution_options(synchronize_session=False)
    )
    db.commit()
    again = api.get("/api/v1/organisations")
    assert again.status_code == 200 and again.headers["x-ratelimit-remaining"] == "2"
    assert _token_row(db, token).window_count == 1


def test_failed_reads_count_against_the_limit(limited_app: FastAPI, db: Session) -> None:
    api = api_client(limited_app, issue_token(db))
    for _ in range(3):
        assert api.get("/api/v1/users/2147483000").status_code == 404
    _assert_json_error(api.get("/api/v1/organisations"), 429)


def test_the_window_is_counted_on_the_token_row(db: Session) -> None:
    token = issue_token(db)
    start = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    assert admit_request(db, token=token, limit=2, now=start).rate.used == 1
    assert admit_request(db, token=token, limit=2, now=start + dt.timedelta(seconds=30)).rate.remaining == 0
    with pytest.raises(RateLimitExceeded) as refused:
        admit_request(db, token=token, limit=2, now=start + dt.timedelta(seconds=59))
    assert refused.value.retry_after == 1
    fresh = admit_request(db, token=token, limit=2, now=start + dt.timedelta(seconds=60))
    assert fresh.rate.used == 1 and fresh.rate.resets_in == 60
    row = _token_row(db, token)
    assert row.window_started_at == start + dt.timedelta(seconds=60)
    with pytest.raises(ApiUnauthorized):
        admit_request(db, token=token + "x", limit=2)
