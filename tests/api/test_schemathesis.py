"""Schemathesis: requests generated from /api/v1/openapi.json never crash the API and get the answers it documents."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.courses.models import Course
from app.main import create_app
from app.progress.models import CompletionState
from tests.api.api_setup import enrolment, extra_course, issue_token, organisations
from tests.factories import make_user

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_token(db: Session, synced: object) -> str:
    """A token, and records of every kind for the answers to hold: states, grades, a certificate, erased people."""
    home, other = organisations(db)[:2]
    sc9 = db.scalar(select(Course).where(Course.code == "SC9"))
    assert sc9 is not None
    course = extra_course(db, programme="AC")
    ona = make_user(db, full_name="Ona Šimkutė", organisation=home)
    erased = make_user(db, full_name="Erased Person", organisation=other)
    erased.anonymised_at = utcnow()
    enrolment(db, ona, course, state=CompletionState.COMPLETED, grade=88.0, certificate=True)
    enrolment(db, ona, sc9, state=CompletionState.IN_PROGRESS)
    enrolment(db, erased, course, state=CompletionState.FAILED, grade=20.0)
    return issue_token(db)


@pytest.fixture
def api_schema(settings: Settings, app: FastAPI, api_token: str) -> schemathesis.BaseSchema:
    # Generated requests come by the hundred: a limit far above them, so every one reaches the endpoint.
    roomy = create_app(settings.model_copy(update={"api_rate_limit_per_minute": 1_000_000}))
    roomy.dependency_overrides = app.dependency_overrides
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", roomy)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # Schemathesis 4.32 renames the test for its report through the private `_nodeid`, which pytest 9 no
    # longer has; giving it back (same value) lets the lazy schema run. Reporting is unaffected.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_answers_as_its_schema_says(case: schemathesis.Case, api_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)
