"""Completion records as xAPI 1.0.3 statements, for organisations that feed a learning record store (LRS).

A completed course gives a `completed` statement, plus `passed` when its quiz grade reached the pass mark;
a failed course gives `failed`; not started and in-progress places say nothing yet. Statement ids are
derived from the site, the record and the verb, so exporting twice sends the same ids and the LRS keeps
one copy of each.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.models import Course
from app.progress.models import CompletionState
from app.reports.completions import CompletionRecord

XAPI_VERSION = "1.0.3"
PLATFORM = "Klasteris"
COURSE_ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/course"
VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
}
# RFC 5646 tags of the site's languages, as xAPI language maps want them.
LANGUAGE_TAGS = {"lt": "lt-LT", "en": "en-US", "nb": "nb-NO"}
# Fixed forever: changing it would give every statement a new id and duplicate them in the LRS.
_STATEMENT_NAMESPACE = uuid.UUID("6c0f4c52-93b5-4d4c-9d0e-2c2f1a0d8b31")
_CHUNK_BYTES = 64 * 1024

CourseNames = Mapping[str, Mapping[str, str]]


def course_names(session: Session) -> dict[str, dict[str, str]]:
    """Every course's title per language tag, by course code (one query; the LRS wants all languages)."""
    names: dict[str, dict[str, str]] = {}
    for code, title in session.execute(select(Course.code, Course.title)):
        names[code] = {
            LANGUAGE_TAGS[locale]: text for locale, text in title.items() if locale in LANGUAGE_TAGS and text
        }
    return names


def statement_id(base_url: str, record_id: int, verb: str) -> uuid.UUID:
    return uuid.uuid5(_STATEMENT_NAMESPACE, f"{base_url.rstrip('/')}/completion-records/{record_id}/{verb}")


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _actor(record: CompletionRecord, base_url: str) -> dict[str, Any]:
    if record.user_anonymised or not record.email:
        # An erased person keeps an opaque account on this site instead of an address.
        return {"objectType": "Agent", "account": {"homePage": base_url, "name": str(record.learner_id)}}
    return {"objectType": "Agent", "name": record.full_name, "mbox": f"mailto:{record.email}"}


def _score(grade: float) -> dict[str, float]:
    raw = round(min(max(grade, 0.0), 100.0), 2)
    return {"scaled": round(raw / 100, 4), "raw": raw, "min": 0, "max": 100}


def _result(record: CompletionRecord, verb: str) -> dict[str, Any]:
    result: dict[str, Any] = {"completion": verb != "failed"}
    if verb == "passed":
        result["success"] = True
    elif verb == "failed":
        result["success"] = False
    elif record.quiz_grade is not None:
        result["success"] = record.quiz_passed
    if record.quiz_grade is not None:
        result["score"] = _score(record.quiz_grade)
    return result


def _verbs(record: CompletionRecord) -> list[str]:
    if record.state is CompletionState.COMPLETED:
        return ["completed", "passed"] if record.quiz_grade is not None and record.quiz_passed else ["completed"]
    if record.state is CompletionState.FAILED:
        return ["failed"]
    return []


def statements_for(
    record: CompletionRecord, *, base_url: str, course_names: CourseNames, language: str
) -> list[dict[str, Any]]:
    """The statements one completion record makes (none for a course not finished)."""
    site = base_url.rstrip("/")
    moment = record.completed_at if record.state is CompletionState.COMPLETED else record.state_changed_at
    name = dict(course_names.get(record.course_code) or {LANGUAGE_TAGS.get(language, "en-US"): record.course_title})
    statements = []
    for verb in _verbs(record):
        statement: dict[str, Any] = {
            "id": str(statement_id(site, record.record_id, verb)),
            "actor": _actor(record, site),
            "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
            "object": {
                "objectType": "Activity",
                "id": f"{site}/courses/{record.course_code}",
                "definition": {"type": COURSE_ACTIVITY_TYPE, "name": name},
            },
            "result": _result(record, verb),
            "context": {
                "platform": PLATFORM,
                "language": LANGUAGE_TAGS.get(language, "en-US"),
                "contextActivities": {
                    "grouping": [{"objectType": "Activity", "id": f"{site}/programmes/{record.programme_code}"}]
                },
            },
        }
        if moment is not None:
            statement["timestamp"] = _timestamp(moment)
        statements.append(statement)
    return statements


def statement_chunks(
    records: Iterable[CompletionRecord], *, base_url: str, course_names: CourseNames, language: str
) -> Iterator[bytes]:
    """A JSON array of statements, encoded piece by piece (about 64 KiB at a time)."""
    pending: list[str] = ["["]
    size = 1
    first = True
    for record in records:
        for statement in statements_for(record, base_url=base_url, course_names=course_names, language=language):
            text = ("\n" if first else ",\n") + json.dumps(statement, ensure_ascii=False, separators=(",", ":"))
            first = False
            pending.append(text)
            size += len(text)
            if size >= _CHUNK_BYTES:
                yield "".join(pending).encode()
                pending, size = [], 0
    pending.append("\n]\n")
    yield "".join(pending).encode()
