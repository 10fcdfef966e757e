"""The trainer's course progress report through HTTP: rows, filter, sorting, CSV export and who may see it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from babel.dates import format_date
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.access import Role
from app.core.i18n import local_date
from app.courses.service import assign_trainer
from app.progress.models import CompletionState
from tests.factories import make_user
from tests.progress.page_setup import (
    CODE,
    client_for,
    complete_sc9,
    completion_of,
    enrol_directly,
    extra_course,
    learner_of,
    page_text,
    take_quiz,
    tick_lessons,
)
from tests.quizzes.quiz_setup import trainer_of

pytestmark = pytest.mark.usefixtures("synced")
REPORT = f"/courses/{CODE}/progress"


def _organisations(db: Session) -> tuple[Organisation, Organisation]:
    first, second = db.scalars(select(Organisation).order_by(Organisation.id).limit(2))
    return first, second


class Cohort:
    """Five learners, one per state and with different values in every sortable column."""

    def __init__(self, db: Session) -> None:
        home, other = _organisations(db)
        self.home, self.other = home, other
        # Ema: completed a day earlier than Birutė, best grade.
        self.ema = learner_of(db, CODE, full_name="Ema Eglė", locale="en", organisation=other)
        complete_sc9(db, self.ema, grade=95.0)
        completion = completion_of(db, self.ema)
        assert completion is not None and completion.completed_at is not None
        completion.completed_at -= dt.timedelta(days=1)
        db.commit()
        # Birutė: completed with 80 %.
        self.birute = learner_of(db, CODE, full_name="Birutė Banaitė", locale="en", organisation=home)
        complete_sc9(db, self.birute, grade=80.0)
        # Daiva: every lesson done, failed all three attempts.
        self.daiva = learner_of(db, CODE, full_name="Daiva Dainienė", locale="en", organisation=other)
        tick_lessons(db, self.daiva)
        for grade in (10.0, 30.0, 50.0):
            take_quiz(db, self.daiva, grade)
        # Algis: one lesson, no quiz yet.
        self.algis = learner_of(db, CODE, full_name="Algis Adomaitis", locale="en", organisation=home)
        tick_lessons(db, self.algis, ["first-steps"])
        # Cecilija: enrolled, nothing done.
        self.cecilija = learner_of(db, CODE, full_name="Cecilija Cibulskė", locale="en", organisation=home)

    @property
    def everyone(self) -> list[User]:
        return [self.ema, self.birute, self.daiva, self.algis, self.cecilija]


@pytest.fixture
def cohort(db: Session) -> Cohort:
    return Cohort(db)


@pytest.fixture
def trainer(app: FastAPI, db: Session) -> TestClient:
    user = trainer_of(db, CODE)
    user.locale = "en"
    db.commit()
    return client_for(app, user)


def _rows(html: str) -> list[str]:
    """Learner names in the order of the table's rows."""
    body = html.split('<table class="progress-table">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row">([^<]+)</th>', body)


def _row(html: str, name: str) -> str:
    body = html.split("<tbody>", 1)[1]
    return next(row for row in body.split("<tr>") if f'<th scope="row">{name}</th>' in row)


def test_report_shows_every_learner_with_ticks_grade_state_and_date(
    db: Session, cohort: Cohort, trainer: TestClient
) -> None:
    response = trainer.get(REPORT)
    assert response.status_code == 200
    html = response.text
    assert sorted(_rows(html)) == sorted(user.full_name for user in cohort.everyone)

    birute = _row(html, "Birutė Banaitė")
    assert birute.count("✓") == 3
    assert "80%" in page_text(birute) and "Completed" in page_text(birute)
    completion = completion_of(db, cohort.birute)
    assert completion is not None
    assert format_date(local_date(completion.completed_at), "medium", locale="en") in page_text(birute)
    assert cohort.home.name("en") in page_text(birute)

    algis = page_text(_row(html, "Algis Adomaitis"))
    assert _row(html, "Algis Adomaitis").count("✓") == 1 and "In progress" in algis and "25%" in algis
    daiva = page_text(_row(html, "Daiva Dainienė"))
    assert "Failed" in daiva and "50%" in daiva
    cecilija = _row(html, "Cecilija Cibulskė")
    assert cecilija.count("✓") == 0 and "Not started" in page_text(cecilija)
    counts = page_text(html.split('class="state-counts"', 1)[1].split("</ul>", 1)[0])
    assert "Not started: 1" in counts and "In progress: 1" in counts
    assert "Completed: 2" in counts and "Failed: 1" in counts


def test_report_lists_only_learners_not_trainers_or_strangers(db: Session, cohort: Cohort, trainer: TestClient) -> None:
    stranger = make_user(db, full_name="Svetimas Žmogus")
    other_course = extra_course(db)
    enrol_directly(db, stranger, other_course)
    db.commit()
    rows = _rows(trainer.get(REPORT).text)
    assert "Svetimas Žmogus" not in rows
    assert len(rows) == 5


def test_report_filters_by_organisation(db: Session, cohort: Cohort, trainer: TestClient) -> None:
    html = trainer.get(f"{REPORT}?organisation={cohort.other.id}").text
    assert sorted(_rows(html)) == ["Daiva Dainienė", "Ema Eglė"]
    html = trainer.get(f"{REPORT}?organisation={cohort.home.id}").text
    assert sorted(_rows(html)) == ["Algis Adomaitis", "Birutė Banaitė", "Cecilija Cibulskė"]


def test_choosing_all_organisations_in_the_filter_form_shows_everyone(cohort: Cohort, trainer: TestClient) -> None:
    page = trainer.get(f"{REPORT}?organisation={cohort.home.id}").text
    assert '<option value="">All organisations</option>' in page
    # The form's "Show" button with the "All organisations" option sends an empty value.
    everyone = trainer.get(f"{REPORT}?organisation=&sort=name&order=asc")
    assert everyone.status_code == 200, "the blank 'All organisations' choice is refused"
    assert len(_rows(everyone.text)) == 5


ASCENDING = {
    "name": ["Algis Adomaitis", "Birutė Banaitė", "Cecilija Cibulskė", "Daiva Dainienė", "Ema Eglė"],
    # organisation, then name: home learners first when the home organisation's name sorts first
    "progress": ["Cecilija Cibulskė", "Algis Adomaitis", "Daiva Dainienė", "Birutė Banaitė", "Ema Eglė"],
    "grade": ["Algis Adomaitis", "Cecilija Cibulskė", "Daiva Dainienė", "Birutė Banaitė", "Ema Eglė"],
    "state": ["Cecilija Cibulskė", "Algis Adomaitis", "Daiva Dainienė", "Birutė Banaitė", "Ema Eglė"],
    "completed": ["Ema Eglė", "Birutė Banaitė", "Algis Adomaitis", "Cecilija Cibulskė", "Daiva Dainienė"],
}


@pytest.mark.parametrize("key", [*ASCENDING, "organisation"])
def test_report_sorts_by_every_column_both_ways(key: str, cohort: Cohort, trainer: TestClient) -> None:
    if key == "organisation":
        groups = sorted(
            [(cohort.home.name("en"), ["Algis Adomaitis", "Birutė Banaitė", "Cecilija Cibulskė"]),
             (cohort.other.name("en"), ["Daiva Dainienė", "Ema Eglė"])],
            key=lambda group: group[0].casefold(),
        )  # fmt: skip
        expected = [name for _organisation, names in groups for name in names]
    else:
        expected = ASCENDING[key]
    ascending = trainer.get(f"{REPORT}?sort={key}&order=asc")
    assert ascending.status_code == 200
    assert _rows(ascending.text) == expected
    assert 'aria-sort="ascending"' in ascending.text
    descending = trainer.get(f"{REPORT}?sort={key}&order=desc")
    assert _rows(descending.text) == list(reversed(expected))
    assert 'aria-sort="descending"' in descending.text


def test_sorting_keeps_the_organisation_filter(cohort: Cohort, trainer: TestClient) -> None:
    html = trainer.get(f"{REPORT}?organisation={cohort.home.id}&sort=progress&order=desc").text
    assert _rows(html) == ["Birutė Banaitė", "Algis Adomaitis", "Cecilija Cibulskė"]
    assert f"organisation={cohort.home.id}" in html.split('href="/courses/SC9/progress?', 2)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=shoe_size", "Choose one of the options."),
        ("order=sideways", "Choose one of the options."),
        ("sort=", "Choose one of the options."),
        ("sort=name%00", "Choose one of the options."),
        ("organisation=abc", "Choose one of the options."),
        ("organisation=99999999999", "Choose one of the options."),
    ],
)
def test_invalid_report_parameters_show_a_message_not_an_error(
    query: str, message: str, cohort: Cohort, trainer: TestClient
) -> None:
    response = trainer.get(f"{REPORT}?{query}")
    assert response.status_code == 422, response.text[-500:]
    assert message in response.text
    assert len(_rows(response.text)) == 5  # the report itself still shows, with default settings


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_has_a_header_and_one_row_per_learner(db: Session, cohort: Cohort, trainer: TestClient) -> None:
    response = trainer.get(f"{REPORT}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    header, *rows = _csv(response)
    assert header[:3] == ["Learner", "Email", "Organisation"]
    assert header[-4:] == ["Quiz grade (%)", "Progress (%)", "State", "Completed on"]
    assert len(header) == 3 + 3 + 4  # three lesson columns
    assert sorted(row[0] for row in rows) == sorted(user.full_name for user in cohort.everyone)
    birute = next(row for row in rows if row[0] == "Birutė Banaitė")
    assert birute[1] == cohort.birute.email
    assert birute[3:6] == ["1", "1", "1"]
    assert birute[6] == "80.00" and birute[7] == "100" and birute[8] == "Completed"
    completion = completion_of(db, cohort.birute)
    assert completion is not None
    assert birute[9] == local_date(completion.completed_at).isoformat()
    algis = next(row for row in rows if row[0] == "Algis Adomaitis")
    assert algis[3:10] == ["1", "0", "0", "", "25", "In progress", ""]


def test_csv_follows_the_filter_and_sort(cohort: Cohort, trainer: TestClient) -> None:
    _header, *rows = _csv(trainer.get(f"{REPORT}.csv?organisation={cohort.other.id}&sort=grade&order=desc"))
    assert [row[0] for row in rows] == ["Ema Eglė", "Daiva Dainienė"]


def test_csv_neutralises_formula_looking_names(db: Session, trainer: TestClient) -> None:
    for name in ('=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)"):
        learner_of(db, CODE, full_name=name)
    _header, *rows = _csv(trainer.get(f"{REPORT}.csv"))
    names = [row[0] for row in rows]
    assert len(names) == 4
    assert all(name.startswith("'") for name in names), names
    assert '\'=HYPERLINK("http://evil.example")' in names


def test_admin_sees_the_report_of_any_course(app: FastAPI, db: Session, cohort: Cohort) -> None:
    admin = client_for(app, make_user(db, roles={Role.ADMIN}, locale="en"))
    assert len(_rows(admin.get(REPORT).text)) == 5
    assert admin.get(f"{REPORT}.csv").status_code == 200


def test_trainer_of_another_course_and_learners_cannot_see_the_report(
    app: FastAPI, db: Session, cohort: Cohort
) -> None:
    other_course = extra_course(db)
    db.commit()
    other_trainer = make_user(db, roles={Role.TRAINER, Role.LEARNER}, locale="en")
    assign_trainer(db, code=other_course.code, user=other_trainer)
    db.commit()
    outsider = client_for(app, other_trainer)
    for url in (REPORT, f"{REPORT}.csv"):
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert "Birutė Banaitė" not in response.text
    assert outsider.get(f"/courses/{other_course.code}/progress").status_code == 200

    learner = client_for(app, cohort.birute)
    for url in (REPORT, f"{REPORT}.csv"):
        response = learner.get(url)
        assert response.status_code == 403, url
        assert "Ema Eglė" not in response.text


def test_report_of_an_unknown_course_is_not_found(trainer: TestClient) -> None:
    assert trainer.get("/courses/NOPE/progress").status_code == 404


def test_report_follows_new_progress(db: Session, cohort: Cohort, trainer: TestClient) -> None:
    take_quiz(db, cohort.algis, 90.0)
    algis = page_text(_row(trainer.get(REPORT).text, "Algis Adomaitis"))
    assert "90%" in algis and "50%" in algis  # 1 lesson + the quiz of 4 units
    tick_lessons(db, cohort.algis)
    assert completion_of(db, cohort.algis).state == CompletionState.COMPLETED  # type: ignore[union-attr]
    assert "Completed" in page_text(_row(trainer.get(REPORT).text, "Algis Adomaitis"))
