"""Cursor pagination walks every item exactly once; bad cursors, limits and filters answer 422 in JSON."""

from __future__ import annotations

import base64

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.api.schemas import decode_cursor, encode_cursor
from app.courses.models import Course, Enrolment
from app.progress.models import CompletionState
from tests.api.api_setup import api_client, enrolment, extra_course, issue_token
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("synced")


def _walk(api: TestClient, url: str, limit: int) -> list[int]:
    """Follow next_cursor to the end; the ids of every page, in order."""
    seen: list[int] = []
    cursor: str | None = None
    for _page in range(200):
        answer = api.get(url, params={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["data"]) <= limit
        seen.extend(item.get("record_id", item.get("id")) for item in body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        assert len(body["data"]) == limit
    raise AssertionError("the walk did not end")


def _records(db: Session, count: int) -> list[int]:
    course, other = extra_course(db), extra_course(db, programme="AC")
    ids = []
    for number in range(count):
        learner = make_user(db, full_name=f"Learner {number}")
        ids.append(enrolment(db, learner, course, state=CompletionState.COMPLETED).id)
        if number % 2:
            ids.append(enrolment(db, learner, other).id)
    return sorted(ids)


@pytest.mark.parametrize("limit", [1, 2, 500])
def test_completion_pages_walk_every_record_exactly_once(app: FastAPI, db: Session, limit: int) -> None:
    expected = _records(db, 5)
    assert len(expected) == 7
    assert _walk(api_client(app, issue_token(db)), "/api/v1/completions", limit) == expected


@pytest.mark.parametrize("limit", [1, 2, 500])
def test_filtered_completion_pages_keep_the_filter(app: FastAPI, db: Session, limit: int) -> None:
    _records(db, 5)
    completed = db.scalars(
        select(Enrolment.id).join(Course, Course.id == Enrolment.course_id).where(Course.code.like("AP%"))
    ).all()
    api = api_client(app, issue_token(db))
    assert _walk(api, "/api/v1/completions?state=completed", limit) == sorted(completed)


@pytest.mark.parametrize("limit", [1, 2, 500])
def test_user_course_and_organisation_pages_walk_everything_once(app: FastAPI, db: Session, limit: int) -> None:
    for number in range(3):
        make_user(db, full_name=f"Person {number}")
    extra_course(db)
    api = api_client(app, issue_token(db))
    assert _walk(api, "/api/v1/users", limit) == sorted(db.scalars(select(User.id)))
    assert _walk(api, "/api/v1/courses", limit) == sorted(db.scalars(select(Course.id)))
    assert _walk(api, "/api/v1/organisations", limit) == sorted(db.scalars(select(Organisation.id)))


def test_records_added_during_a_walk_are_not_repeated(app: FastAPI, db: Session) -> None:
    expected = _records(db, 3)
    api = api_client(app, issue_token(db))
    first = api.get("/api/v1/completions?limit=2").json()
    later = enrolment(db, make_user(db), extra_course(db))
    rest = _walk_from(api, first["next_cursor"])
    assert [record["record_id"] for record in first["data"]] + rest == [*expected, later.id]


def _walk_from(api: TestClient, cursor: str) -> list[int]:
    seen: list[int] = []
    while cursor:
        body = api.get("/api/v1/completions", params={"limit": 2, "cursor": cursor}).json()
        seen.extend(record["record_id"] for record in body["data"])
        cursor = body["next_cursor"]
    return seen


def test_cursors_are_opaque_and_round_trip() -> None:
    cursor = encode_cursor(12345)
    assert "12345" not in cursor and "=" not in cursor
    assert decode_cursor(cursor) == 12345


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/completions?cursor=not-a-cursor", "cursor"),
        (f"/api/v1/completions?cursor={_b64('v1:abc')}", "cursor"),
        (f"/api/v1/completions?cursor={_b64('v1:0')}", "cursor"),
        (f"/api/v1/users?cursor={_b64('v1:99999999999')}", "cursor"),
        ("/api/v1/completions?cursor=%00", "cursor"),
        ("/api/v1/completions?limit=0", "limit"),
        ("/api/v1/completions?limit=501", "limit"),
        ("/api/v1/courses?limit=ten", "limit"),
        ("/api/v1/completions?state=done", "state"),
        ("/api/v1/completions?organisation=abc", "organisation"),
        ("/api/v1/completions?organisation=99999999999", "organisation"),
        ("/api/v1/completions?completed_from=2026-02-30", "completed_from"),
        ("/api/v1/completions?completed_to=9999-12-31", ""),
        ("/api/v1/completions?completed_from=2026-05-01&completed_to=2026-04-01", ""),
        ("/api/v1/completions?course=SC9%00", "course"),
        ("/api/v1/users?role=emperor", "role"),
        ("/api/v1/users?active=perhaps", "active"),
        ("/api/v1/users/0", "user_id"),
        ("/api/v1/users/abc", "user_id"),
        ("/api/v1/organisations/99999999999", "organisation_id"),
        ("/api/v1/courses/%C5%A09", "code"),
        ("/api/v1/courses/" + "A" * 21, "code"),
    ],
)
def test_bad_parameters_answer_422_in_json(app: FastAPI, db: Session, url: str, parameter: str) -> None:
    answer = api_client(app, issue_token(db), language="en").get(url)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["detail"] == "Some parameters are not valid."
    assert body["errors"] and all(error["message"] for error in body["errors"])
    assert parameter in [error["parameter"] for error in body["errors"]]


def test_a_bad_cursor_is_explained(app: FastAPI, db: Session) -> None:
    answer = api_client(app, issue_token(db), language="en").get(f"/api/v1/completions?cursor={_b64('v2:5')}")
    assert answer.json()["errors"] == [
        {"location": "query", "parameter": "cursor", "message": "This cursor is not valid: pass next_cursor unchanged."}
    ]
