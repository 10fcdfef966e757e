"""xAPI export: every statement is valid xAPI 1.0.3, verbs follow the completion state, ids are stable."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.courses.importer import SyncSummary
from app.progress.models import CompletionState
from app.reports.completions import CompletionRecord
from app.reports.xapi import statements_for
from tests.progress.page_setup import client_for
from tests.reports.export_setup import ExportWorld, seed_world, when

DOWNLOAD = "/reports/completions/download"
STATEMENT_PROPERTIES = {
    "id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments",
}  # fmt: skip
INVERSE_FUNCTIONAL_IDENTIFIERS = ("mbox", "mbox_sha1sum", "openid", "account")
_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_MBOX = re.compile(r"^mailto:[^@\s:]+@[^@\s]+\.[^@\s]+$")


# --- the validator -----------------------------------------------------------------------------------------


def _absolute_iri(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _language_map(value: object) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(_LANGUAGE_TAG.match(key) and isinstance(text, str) and text for key, text in value.items())
    )


def _actor_problems(actor: Any) -> list[str]:
    if not isinstance(actor, dict):
        return ["actor is not an object"]
    problems = []
    if actor.get("objectType", "Agent") != "Agent":
        problems.append("actor.objectType must be Agent")
    identifiers = [key for key in INVERSE_FUNCTIONAL_IDENTIFIERS if key in actor]
    if len(identifiers) != 1:
        problems.append(f"actor needs exactly one inverse functional identifier, has {identifiers}")
    if "mbox" in actor and not _MBOX.match(str(actor["mbox"])):
        problems.append(f"actor.mbox is not mailto:address: {actor['mbox']!r}")
    if "account" in actor:
        account = actor["account"]
        if not isinstance(account, dict) or not _absolute_iri(account.get("homePage")):
            problems.append("actor.account.homePage must be an absolute IRL")
        elif not isinstance(account.get("name"), str) or not account["name"]:
            problems.append("actor.account.name is required")
    if "name" in actor and not isinstance(actor["name"], str):
        problems.append("actor.name must be a string")
    return problems


def _result_problems(result: Any) -> list[str]:
    if not isinstance(result, dict):
        return ["result is not an object"]
    problems = [f"result.{key} must be true or false" for key in ("completion", "success") if key in result and not isinstance(result[key], bool)]  # fmt: skip
    score = result.get("score")
    if score is not None:
        numbers = {key: score.get(key) for key in ("scaled", "raw", "min", "max") if key in score}
        if any(not isinstance(value, int | float) or isinstance(value, bool) for value in numbers.values()):
            problems.append("score values must be numbers")
        elif not -1 <= numbers.get("scaled", 0) <= 1:
            problems.append(f"score.scaled {numbers['scaled']} outside [-1, 1]")
        elif "min" in numbers and "max" in numbers and not numbers["min"] < numbers["max"]:
            problems.append("score.min must be below score.max")
        elif "raw" in numbers and not numbers.get("min", numbers["raw"]) <= numbers["raw"] <= numbers.get("max", numbers["raw"]):  # fmt: skip
            problems.append("score.raw must lie between min and max")
    return problems


def statement_problems(statement: Any) -> list[str]:
    """What makes a statement invalid under xAPI 1.0.3 (the parts an activity provider sends)."""
    if not isinstance(statement, dict):
        return ["statement is not an object"]
    problems = [f"missing {key}" for key in ("id", "actor", "verb", "object") if key not in statement]
    problems += [f"unknown property {key}" for key in statement if key not in STATEMENT_PROPERTIES]
    try:
        parsed = uuid.UUID(str(statement.get("id")))
        if str(parsed) != statement["id"] or parsed.variant != uuid.RFC_4122:
            problems.append("id is not a canonical RFC 4122 UUID")
    except ValueError:
        problems.append(f"id is not a UUID: {statement.get('id')!r}")
    problems += _actor_problems(statement.get("actor"))
    verb = statement.get("verb") or {}
    if not _absolute_iri(verb.get("id")):
        problems.append("verb.id must be an absolute IRI")
    if "display" in verb and not _language_map(verb["display"]):
        problems.append("verb.display must be a language map")
    activity = statement.get("object") or {}
    if activity.get("objectType", "Activity") != "Activity" or not _absolute_iri(activity.get("id")):
        problems.append("object must be an Activity with an absolute IRI id")
    definition = activity.get("definition", {})
    if "type" in definition and not _absolute_iri(definition["type"]):
        problems.append("object.definition.type must be an absolute IRI")
    if "name" in definition and not _language_map(definition["name"]):
        problems.append("object.definition.name must be a language map")
    if "result" in statement:
        problems += _result_problems(statement["result"])
    if "timestamp" in statement:
        try:
            moment = dt.datetime.fromisoformat(statement["timestamp"])
            if moment.tzinfo is None:
                problems.append("timestamp needs a time zone")
        except (TypeError, ValueError):
            problems.append(f"timestamp is not ISO 8601: {statement['timestamp']!r}")
    context = statement.get("context", {})
    if "language" in context and not _LANGUAGE_TAG.match(str(context["language"])):
        problems.append("context.language must be an RFC 5646 tag")
    for activities in context.get("contextActivities", {}).values():
        if not all(_absolute_iri(item.get("id")) for item in activities):
            problems.append("context activities need absolute IRI ids")
    return problems


# --- fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture
def world(db: Session, synced: SyncSummary) -> ExportWorld:
    return seed_world(db)


@pytest.fixture
def admin(app: FastAPI, world: ExportWorld) -> TestClient:
    return client_for(app, world.admin)


def statements(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = client.get(DOWNLOAD, params={"format": "xapi", **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert "-xapi.json" in response.headers["content-disposition"]
    found = json.loads(response.content)
    assert isinstance(found, list)
    return found


def verbs_by_person(found: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    verbs: dict[tuple[str, str], list[str]] = {}
    for statement in found:
        who = statement["actor"].get("name") or statement["actor"]["account"]["name"]
        course = statement["object"]["id"].rsplit("/", 1)[1]
        verbs.setdefault((who, course), []).append(statement["verb"]["id"].rsplit("/", 1)[1])
    return verbs


# --- tests -------------------------------------------------------------------------------------------------


def test_every_exported_statement_is_valid_xapi(admin: TestClient, world: ExportWorld) -> None:
    found = statements(admin)
    assert found
    problems = {statement["id"]: statement_problems(statement) for statement in found}
    assert {key: value for key, value in problems.items() if value} == {}


def test_verbs_follow_the_completion_state(admin: TestClient, world: ExportWorld) -> None:
    anonymous_id = str(world.people["anonymous"].id)
    assert verbs_by_person(statements(admin)) == {
        ("Ona Žemaitė", "SC9"): ["completed", "passed"],
        ("Jonas Šimkus", "SC9"): ["completed", "passed"],
        ("Petras Ąžuolas", "SC9"): ["failed"],
        (anonymous_id, world.extra.code): ["completed"],
        ("Ona Žemaitė", world.extra.code): ["completed"],
        # Completed without reaching the quiz's pass mark: completed, but not passed.
        ("Lina Dūda", "SC9"): ["completed"],
    }


def test_statements_carry_actor_result_timestamp_and_course_names(admin: TestClient, world: ExportWorld) -> None:
    found = statements(admin)
    ona = world.people["ona"]
    passed = next(s for s in found if s["verb"]["id"].endswith("/passed") and s["actor"].get("name") == "Ona Žemaitė")
    assert passed["actor"] == {"objectType": "Agent", "name": "Ona Žemaitė", "mbox": f"mailto:{ona.email}"}
    assert passed["verb"]["display"] == {"en-US": "passed"}
    assert passed["object"]["id"] == "http://testserver/courses/SC9"
    assert passed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    assert set(passed["object"]["definition"]["name"]) >= {"lt-LT", "en-US"}
    assert passed["result"] == {
        "completion": True, "success": True, "score": {"scaled": 0.855, "raw": 85.5, "min": 0, "max": 100},
    }  # fmt: skip
    assert passed["timestamp"] == "2026-03-10T10:00:00+00:00"
    assert passed["context"]["platform"] == "Klasteris" and passed["context"]["language"] == "lt-LT"
    failed = next(s for s in found if s["verb"]["id"].endswith("/failed"))
    assert failed["result"]["success"] is False and failed["result"]["completion"] is False
    assert failed["timestamp"] == "2026-05-01T09:00:00+00:00", "failing is dated when the state changed"


def test_anonymised_learner_is_an_account_without_name_or_address(admin: TestClient, world: ExportWorld) -> None:
    person = world.people["anonymous"]
    statement = next(s for s in statements(admin) if "account" in s["actor"])
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "http://testserver", "name": str(person.id)},
    }
    assert person.email not in json.dumps(statements(admin))


def test_exporting_twice_gives_the_same_statement_ids(admin: TestClient, world: ExportWorld) -> None:
    first = [statement["id"] for statement in statements(admin)]
    second = [statement["id"] for statement in statements(admin)]
    assert first == second
    assert len(set(first)) == len(first), "each record and verb has its own id"
    assert {uuid.UUID(value).version for value in first} == {5}


def test_filters_apply_to_the_statements(admin: TestClient, world: ExportWorld) -> None:
    only_extra = statements(admin, course=world.extra.code)
    assert {s["object"]["id"] for s in only_extra} == {f"http://testserver/courses/{world.extra.code}"}
    assert statements(admin, state="in_progress") == []


def test_unfinished_records_make_no_statement() -> None:
    record = CompletionRecord(
        record_id=1, learner_id=2, full_name="Asta", email="asta@example.lt", organisation="", job_title="",
        programme_code="SC", programme_title="SC", course_code="SC9", course_title="Kursas",
        enrolled_at=when(1, 1), completed_at=None, state=CompletionState.IN_PROGRESS, quiz_grade=50.0, hours=None,
        certificate_code=None, certificate_url=None, user_anonymised=False,
    )  # fmt: skip
    assert statements_for(record, base_url="https://klasteris.lt", course_names={}, language="lt") == []


def test_validator_rejects_broken_statements(admin: TestClient, world: ExportWorld) -> None:
    good = statements(admin)[0]
    assert statement_problems(good) == []
    breakages = {
        "id": lambda s: s.update(id="not-a-uuid"),
        "mbox": lambda s: s["actor"].update(mbox="ona@example.lt"),
        "two identifiers": lambda s: s["actor"].update(account={"homePage": "https://x.lt", "name": "1"}),
        "relative verb": lambda s: s["verb"].update(id="verbs/completed"),
        "relative object": lambda s: s["object"].update(id="/courses/SC9"),
        "scaled": lambda s: s.update(result={"score": {"scaled": 85.5}}),
        "timestamp": lambda s: s.update(timestamp="10 March 2026"),
        "naive timestamp": lambda s: s.update(timestamp="2026-03-10T10:00:00"),
        "missing verb": lambda s: s.pop("verb"),
        "language map": lambda s: s["object"]["definition"].update(name={"Lithuanian": "x"}),
    }
    for name, breakage in breakages.items():
        broken = copy.deepcopy(good)
        breakage(broken)
        assert statement_problems(broken), name
