"""Bad input: every form in the app gets malformed data and must answer 4xx (or re-display), never 500.

Forms are discovered from the app: every POST route is exercised, with the fields its GET page's form
has, as the least-privileged person its policy admits. New forms are covered without listing them here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.models import Base
from tests.factories import DEFAULT_PASSWORD, csrf_from
from tests.gates.routes import LEAST_ROLE, Endpoint, client_as, endpoints

TEN_MEGABYTES = 10 * 1024 * 1024
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQL = "' OR '1'='1'; DROP TABLE users; --"
# Failed sign-ins are recorded on purpose (throttling), so that table may grow on bad input.
TABLES_ALLOWED_TO_CHANGE = {"login_attempts"}

# Course routes need a course to act on: the fixture content is imported for every gate test.
pytestmark = pytest.mark.usefixtures("gate_samples")


@dataclass(frozen=True)
class Payload:
    name: str
    value: Callable[[str], str]
    must_change_nothing: bool


PAYLOADS = [
    Payload("nul-byte", lambda _f: "abc\x00def", True),
    Payload("control-characters", lambda _f: "abc\x1b[31m\x08def", True),
    Payload("wrong-type", lambda _f: "not-a-number-or-choice", True),
    Payload("negative-number", lambda _f: "-1", True),
    Payload("huge-number", lambda _f: "9" * 40, True),
    Payload("empty", lambda _f: "", True),
    Payload("sql", lambda _f: SQL, False),
    Payload("html-and-script", lambda _f: SCRIPT, False),
    Payload("unicode", lambda _f: "Žemaitė 🙂 \u202eevil\u202c", False),
]


@dataclass
class FormField:
    name: str
    kind: str  # input type, "select" or "textarea"
    default: str = ""


class _FormFields(HTMLParser):
    """The fields of the POST form(s) on a page that submit to one action, with their default values."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.current_select: FormField | None = None
        self.fields: dict[str, FormField] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = attributes.get("method", "").lower() == "post" and attributes.get("action") == self.action
        elif not self.inside:
            return
        elif tag in ("input", "textarea") and attributes.get("name") and attributes["name"] != "csrf_token":
            kind = attributes.get("type", "text") if tag == "input" else "textarea"
            self.fields.setdefault(attributes["name"], FormField(attributes["name"], kind, attributes.get("value", "")))
        elif tag == "select" and attributes.get("name"):
            self.current_select = self.fields.setdefault(attributes["name"], FormField(attributes["name"], "select"))
        elif tag == "option" and self.current_select is not None and attributes.get("value"):
            if not self.current_select.default or "selected" in attributes:
                self.current_select.default = attributes["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.current_select = None


def _valid_value(field: FormField, serial: int) -> str:
    """A plausible value, so each bad value is tested alone while the rest of the form is valid."""
    if field.default:
        return field.default
    if field.kind == "email":
        return f"bad-input-{serial}@example.lt"
    if field.kind == "password":
        return DEFAULT_PASSWORD  # also the test accounts' current password
    return "Valid text"


def _post_endpoints(app: FastAPI) -> list[Endpoint]:
    return [endpoint for endpoint in endpoints(app) if endpoint.method == "POST"]


def _form_fields(client: TestClient, endpoint: Endpoint) -> list[FormField]:
    page = client.get(endpoint.url)
    if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
        return []
    parser = _FormFields(endpoint.url)
    parser.feed(page.text)
    return list(parser.fields.values())


def _row_counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name not in TABLES_ALLOWED_TO_CHANGE
    }


def _token(client: TestClient) -> str:
    return csrf_from(
        client.get("/login").text if "klasteris_session" not in client.cookies else client.get("/profile").text
    )


@pytest.fixture
def form_endpoints(app: FastAPI) -> list[Endpoint]:
    found = _post_endpoints(app)
    assert found, "no POST routes discovered"
    return found


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda payload: payload.name)
def test_every_form_field_rejects_or_escapes_bad_values(
    app: FastAPI, db: Session, settings: Settings, form_endpoints: list[Endpoint], payload: Payload
) -> None:
    problems: list[str] = []
    serial = itertools.count()
    for endpoint in form_endpoints:
        role = LEAST_ROLE[endpoint.policy]
        client = client_as(app, db, settings, role)
        fields = _form_fields(client, endpoint)
        for target in fields or [FormField("unexpected", "text")]:
            if role == "anonymous":
                # A fresh browser each time: a submission that succeeds (registration) signs the browser in.
                client = client_as(app, db, settings, role)
            data = {field.name: _valid_value(field, next(serial)) for field in fields}
            data[target.name] = payload.value(target.name)
            before = _row_counts(db)
            response = client.post(endpoint.url, data={"csrf_token": _token(client), **data})
            after = _row_counts(db)
            label = f"{endpoint} field {target.name!r} = {payload.name}"
            if response.status_code >= 500:
                problems.append(f"{label}: {response.status_code}")
            if SCRIPT in response.text:
                problems.append(f"{label}: script rendered unescaped")
            if payload.must_change_nothing and response.status_code >= 400 and before != after:
                problems.append(f"{label}: refused ({response.status_code}) but the database changed")
            # Only a field the form really has can be shown again (not the stand-in when no form was found).
            redisplayed = response.status_code == 422 and bool(fields) and target.kind in ("text", "email", "textarea")
            if payload.name == "html-and-script" and redisplayed and str(escape(SCRIPT)) not in response.text:
                problems.append(f"{label}: form re-displayed without the typed value")
    assert problems == [], "\n".join(problems)


def test_every_form_refuses_a_ten_megabyte_field(
    app: FastAPI, db: Session, settings: Settings, form_endpoints: list[Endpoint]
) -> None:
    for endpoint in form_endpoints:
        client = client_as(app, db, settings, LEAST_ROLE[endpoint.policy])
        fields = [field.name for field in _form_fields(client, endpoint)] or ["anything"]
        before = _row_counts(db)
        response = client.post(endpoint.url, data={"csrf_token": _token(client), fields[0]: "x" * TEN_MEGABYTES})
        assert response.status_code == 413, endpoint
        assert _row_counts(db) == before


def test_every_form_survives_invalid_utf8_and_missing_fields(
    app: FastAPI, db: Session, settings: Settings, form_endpoints: list[Endpoint]
) -> None:
    for endpoint in form_endpoints:
        client = client_as(app, db, settings, LEAST_ROLE[endpoint.policy])
        token = _token(client)
        fields = _form_fields(client, endpoint)
        body = f"csrf_token={token}&" + "&".join(f"{field.name}=%FF%FE%C0%AF" for field in fields)
        before = _row_counts(db)
        response = client.post(
            endpoint.url, content=body.encode(), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert response.status_code < 500, endpoint
        missing = client.post(endpoint.url, data={"csrf_token": token})
        assert missing.status_code < 500, endpoint
        if response.status_code >= 400 and missing.status_code >= 400:
            assert _row_counts(db) == before, endpoint


def test_unknown_content_type_is_not_a_server_error(
    app: FastAPI, db: Session, settings: Settings, form_endpoints: list[Endpoint]
) -> None:
    for endpoint in form_endpoints:
        client = client_as(app, db, settings, LEAST_ROLE[endpoint.policy])
        response = client.post(
            endpoint.url,
            content=b'{"email": 1}',
            headers={"content-type": "application/json", "x-csrf-token": _token(client)},
        )
        assert response.status_code < 500, endpoint
