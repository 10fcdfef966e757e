"""Results: who reads them, the anonymity threshold, the arithmetic, periods, CSV and XLSX, query budget."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import AuditAction, entries_for
from app.core.access import Role
from app.core.config import Settings
from app.courses.models import Course
from app.events.models import TrainingEvent
from app.surveys.models import SurveyTarget
from app.surveys.results import MIN_RESPONSES, Period, survey_results
from tests.factories import make_user
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import page_text
from tests.surveys.survey_setup import (
    attach_to,
    browser,
    invite,
    make_course,
    make_event,
    make_survey,
    respond,
    teach,
    train,
)

# Six answers to the first statement: 5, 4, 3, 2, 1, 5 → three of six are 4 or 5.
RATINGS = [(5, 4), (4, 4), (3, 2), (2, 5), (1, 1), (5, 3)]


def _admin(db: Session) -> User:
    return make_user(db, roles={Role.ADMIN}, locale="en")


def _target_with(db: Session, responses: int, *, event: bool = True) -> SurveyTarget:
    survey = make_survey(db, likert=2, texts=1)
    target = attach_to(db, survey, event=make_event(db)) if event else attach_to(db, survey, course=make_course(db))
    for number in range(responses):
        invite(db, target, make_user(db))
        first, second = RATINGS[number % len(RATINGS)]
        respond(db, target, [first, second], [f"Comment {number}"])
    db.commit()
    return target


@pytest.mark.parametrize("responses", [MIN_RESPONSES - 1])
def test_below_three_responses_nothing_is_shown(app: FastAPI, db: Session, settings: Settings, responses: int) -> None:
    target = _target_with(db, responses)
    client = browser(app, db, settings, _admin(db))
    page = client.get(f"/reports/surveys/{target.id}")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "Results are shown from 3 responses on." in text
    assert "Comment 0" not in text and "Mean" not in text and "Satisfaction rate" not in text
    csv_text = client.get(f"/reports/surveys/{target.id}/results.csv").content.decode("utf-8-sig")
    assert "Results are shown from 3 responses on." in csv_text
    assert "Comment 0" not in csv_text and "Mean" not in csv_text


def test_from_three_responses_figures_and_comments_are_shown(app: FastAPI, db: Session, settings: Settings) -> None:
    target = _target_with(db, MIN_RESPONSES)
    page = browser(app, db, settings, _admin(db)).get(f"/reports/surveys/{target.id}")
    text = page_text(page.text)
    assert "Results are shown from" not in text
    assert "Comment 0" in text and "Comment 2" in text
    assert "Satisfaction rate (answers of 4 or 5)" in text


def test_satisfaction_means_and_distributions(db: Session) -> None:
    target = _target_with(db, 6)
    results = survey_results(db, target_id=target.id, user=_admin(db), period=Period(), locale="en")
    first, second = results.likert
    assert first.counts == {5: 2, 4: 1, 3: 1, 2: 1, 1: 1}
    assert first.satisfaction_rate == 0.5
    assert first.mean == pytest.approx(20 / 6)
    assert second.counts == {4: 2, 2: 1, 5: 1, 1: 1, 3: 1}
    assert second.mean == pytest.approx(19 / 6)
    # All ratings together: 6 of 12 are 4 or 5.
    assert results.satisfaction_rate == 0.5
    assert (results.invitations, results.responses, results.response_rate) == (6, 6, 1.0)
    assert [comment.comments for comment in results.comments] == [[f"Comment {n}" for n in range(6)]]


def test_the_page_formats_means_for_the_reader(app: FastAPI, db: Session, settings: Settings) -> None:
    target = _target_with(db, 6)
    html = browser(app, db, settings, make_user(db, roles={Role.ADMIN}, locale="lt")).get(
        f"/reports/surveys/{target.id}"
    )
    assert "3,3" in page_text(html.text)  # 20 / 6 with one decimal, Lithuanian comma
    assert "50" in page_text(html.text)


def test_a_period_counts_responses_submitted_within_it(db: Session) -> None:
    survey = make_survey(db, likert=1, texts=0)
    target = attach_to(db, survey, event=make_event(db))
    for day, rating in (
        (dt.date(2025, 1, 31), 1),
        *((dt.date(2025, 2, d), 5) for d in (1, 14, 28)),
        (dt.date(2025, 3, 1), 1),
    ):
        invite(db, target, make_user(db))
        respond(db, target, [rating], day=day)
    db.commit()
    february = Period(dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    results = survey_results(db, target_id=target.id, user=_admin(db), period=february, locale="en")
    assert results.responses == 3 and results.satisfaction_rate == 1.0


def test_trainers_read_their_own_events_and_courses_only(app: FastAPI, db: Session, settings: Settings) -> None:
    event_target = _target_with(db, 3)
    course_target = _target_with(db, 3, event=False)
    event_trainer = make_user(db, roles={Role.TRAINER}, locale="en")
    course_trainer = make_user(db, roles={Role.TRAINER}, locale="en")
    train(db, db.get_one(TrainingEvent, event_target.event_id), event_trainer)
    teach(db, db.get_one(Course, course_target.course_id), course_trainer)
    db.commit()

    client = browser(app, db, settings, event_trainer)
    assert client.get(f"/reports/surveys/{event_target.id}").status_code == 200
    assert client.get(f"/reports/surveys/{course_target.id}").status_code == 404
    assert client.get(f"/reports/surveys/{course_target.id}/results.csv").status_code == 404
    listing = client.get("/reports/surveys").text
    assert f"/reports/surveys/{event_target.id}" in listing and f"/reports/surveys/{course_target.id}" not in listing
    other = browser(app, db, settings, course_trainer)
    assert other.get(f"/reports/surveys/{course_target.id}").status_code == 200
    assert other.get(f"/reports/surveys/{event_target.id}").status_code == 404
    learner = browser(app, db, settings, make_user(db))
    assert learner.get("/reports/surveys").status_code == 403


def test_csv_and_xlsx_hold_the_aggregates(app: FastAPI, db: Session, settings: Settings) -> None:
    target = _target_with(db, 6)
    client = browser(app, db, settings, _admin(db))

    response = client.get(f"/reports/surveys/{target.id}/results.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    summary = {row[0]: row[1] for row in rows if len(row) == 2}
    assert summary["Responses"] == "6" and summary["Response rate"] == "100,0"
    assert summary["Satisfaction rate (answers of 4 or 5)"] == "50,0"
    statement = next(row for row in rows if row and row[0] == "Statement 1")
    assert statement == ["Statement 1", "6", "1", "1", "1", "1", "2", "3,3", "50,0"]
    assert ["Comment 3"] in rows

    workbook = load_workbook(io.BytesIO(client.get(f"/reports/surveys/{target.id}/results.xlsx").content))
    sheet = workbook.active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    by_label = {row[0]: row for row in values if row and row[0]}
    assert by_label["Responses"][1] == 6
    assert by_label["Satisfaction rate (answers of 4 or 5)"][1] == 0.5
    assert by_label["Statement 1"][:9] == ["Statement 1", 6, 1, 1, 1, 1, 2, 3.3, 0.5]
    assert "Comment 5" in by_label


def test_the_results_page_runs_constant_queries(app: FastAPI, db: Session, settings: Settings) -> None:
    survey = make_survey(db, likert=2, texts=1)
    target = attach_to(db, survey, event=make_event(db))
    db.commit()
    client = browser(app, db, settings, _admin(db))

    def grow(count: int) -> None:
        for number in range(count):
            invite(db, target, make_user(db))
            respond(db, target, [5, 4], [f"Note {number}"])
        db.commit()

    # Below three the page reads less; start where figures show.
    grow(2)
    assert_constant_queries(client, db, f"/reports/surveys/{target.id}", grow, budget=14)


def test_the_results_list_runs_constant_queries(app: FastAPI, db: Session, settings: Settings) -> None:
    survey = make_survey(db, likert=2, texts=1)
    client = browser(app, db, settings, _admin(db))

    def grow(count: int) -> None:
        for _ in range(count):
            target = attach_to(db, survey, event=make_event(db))
            invite(db, target, make_user(db))
            respond(db, target, [4, 5], ["Useful"])
        db.commit()

    assert_constant_queries(client, db, "/reports/surveys", grow, budget=8)


def test_every_download_is_in_the_audit_log(app: FastAPI, db: Session, settings: Settings) -> None:
    target = _target_with(db, 4)
    client = browser(app, db, settings, _admin(db))

    assert client.get(f"/reports/surveys/{target.id}/results.csv?from=2020-01-01").status_code == 200
    assert client.get(f"/reports/surveys/{target.id}/results.xlsx").status_code == 200

    entries = entries_for(db, action=AuditAction.SURVEY_RESULTS_EXPORTED)
    assert [(entry.target_id, entry.details["format"]) for entry in entries] == [
        (str(target.id), "csv"),
        (str(target.id), "xlsx"),
    ]
    assert entries[0].details["from"] == "2020-01-01" and entries[0].details["responses"] == 4
