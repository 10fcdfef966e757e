"""Programme indicators: the arithmetic on a seeded dataset, periods, organisations, access, the page, the workbook."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import AuditAction, entries_for
from app.core.access import Role
from app.courses.models import Course
from app.events.models import Attendance, EventCourse, EventRegistration, EventStatus, RegistrationStatus, TrainingEvent
from app.progress.models import CompletionState
from app.reports.charts import bar_chart, nice_maximum
from app.reports.indicators import CourseFigures, IndicatorFilters, ProgrammeIndicators, programme_indicators
from app.reports.scope import EVERYTHING, ReportScope
from tests.factories import make_user
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import client_for, page_text
from tests.reports.indicator_setup import (
    Dataset,
    at,
    attempt,
    completion,
    enrol,
    make_course,
    make_programme,
    organisations,
    person,
    seed_dataset,
    tick,
)

PERIOD = IndicatorFilters(date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 3, 31))


@pytest.fixture
def data(db: Session) -> Dataset:
    return seed_dataset(db)


def _course(figures: ProgrammeIndicators, code: str) -> CourseFigures:
    return next(course for course in figures.courses if course.code == code)


def _admin(app: FastAPI, db: Session) -> TestClient:
    return client_for(app, make_user(db, roles={Role.ADMIN}, locale="en"))


def _manager(app: FastAPI, db: Session, data: Dataset) -> TestClient:
    return client_for(app, make_user(db, roles={Role.ORG_MANAGER}, locale="en", organisation=data.org_a))


def _figure(html: str, label: str) -> str:
    """The value cell of a row headed `label` in the page's tables, as the reader sees it."""
    match = re.search(rf'<th scope="row">{re.escape(label)}</th>\s*<td[^>]*>([^<]*)</td>', html)
    assert match, f"no row {label!r}"
    return match.group(1).strip()


# --- the arithmetic -----------------------------------------------------------------------------------------


def test_every_indicator_without_filters_matches_the_hand_count(db: Session, data: Dataset) -> None:
    figures = programme_indicators(db, filters=IndicatorFilters(), scope=EVERYTHING)

    # The trainer has the learner role too; the anonymised learner still counts.
    assert figures.registered_learners == 9
    # a1, a2, a4, b1, b2, c1: not a3 (enrolled only), b3 (no course) or the trainer (preview attempt only).
    assert figures.participants == 6
    assert figures.completions == 4
    assert [(course.code, course.completions) for course in figures.courses] == [("IA1", 2), ("IA2", 0), ("IB1", 2)]
    assert [(programme.code, programme.completions) for programme in figures.programmes] == [("IA", 2), ("IB", 2)]

    ia1, ia2, ib1 = (_course(figures, code) for code in ("IA1", "IA2", "IB1"))
    assert (ia1.participants, ia1.completed_participants) == (3, 2)
    assert ia1.completion_rate == pytest.approx(2 / 3)
    # b1's "not started" row in IB1 does not make a participant; a1's lesson tick does.
    assert (ib1.participants, ib1.completed_participants, ib1.completion_rate) == (4, 2, 0.5)
    assert (ia2.participants, ia2.completion_rate, ia2.average_grade) == (0, None, None)
    # Finished grades only: the trainer's preview (100) and b2's unfinished attempt do not count.
    assert (ia1.graded_learners, ia1.average_grade) == (3, pytest.approx(190 / 3, abs=1e-4))
    assert (ib1.graded_learners, ib1.average_grade) == (2, 85.0)
    assert figures.average_grade == 72.0

    per_organisation = {row.organisation_id: row for row in figures.organisations}
    assert len(per_organisation) == len(organisations(db))
    a, b, c = (per_organisation[organisation.id] for organisation in (data.org_a, data.org_b, data.org_c))
    assert (a.registered_learners, a.participants, a.completions) == (5, 3, 2)
    assert (b.registered_learners, b.participants, b.completions) == (3, 2, 1)
    assert (c.registered_learners, c.participants, c.completions) == (1, 1, 1)

    assert figures.registrations_by == "month"
    assert [(period.start.isoformat(), period.count) for period in figures.registrations] == [
        ("2024-01-01", 3),
        ("2024-02-01", 2),
        ("2024-03-01", 1),
        ("2024-04-01", 2),
        ("2024-05-01", 1),
    ]
    # No training event was held: events are recorded, so that is zero, not "not recorded".
    assert (figures.training_events, figures.event_attendance) == (0, 0)
    # Surveys are not recorded yet: unknown, never zero.
    assert figures.satisfaction_rate is None


def test_a_period_counts_whole_days_from_the_first_to_the_last_inclusive(db: Session, data: Dataset) -> None:
    figures = programme_indicators(db, filters=PERIOD, scope=EVERYTHING)

    # a3 registered at 00:00 on the first day (in), a2 one second before it (out).
    assert figures.registered_learners == 3
    # First activity in the period: a1 (1 Feb), a2, a4, b1; b2 and c1 started later.
    assert figures.participants == 4
    # a4 completed at 23:59:59 on the last day (in); b1 at 00:00 the day after (out).
    assert figures.completions == 2
    ia1, ib1 = _course(figures, "IA1"), _course(figures, "IB1")
    assert (ia1.completions, ib1.completions) == (1, 1)
    # Of IA1's starters in the period (a1, a2, b1) only a1 completed by its end; of IB1's (a1, a4), a4 did.
    assert (ia1.participants, ia1.completed_participants) == (3, 1)
    assert (ib1.participants, ib1.completed_participants) == (2, 1)
    # Grades of learners who finished an attempt in the period: b1 finished at midnight after it.
    assert (ia1.graded_learners, ia1.average_grade) == (2, 65.0)
    assert (ib1.graded_learners, ib1.average_grade) == (1, 70.0)
    assert [(period.start.isoformat(), period.count) for period in figures.registrations] == [
        ("2024-02-01", 2),
        ("2024-03-01", 1),
    ]
    per_organisation = {row.organisation_id: row for row in figures.organisations}
    assert (per_organisation[data.org_a.id].registered_learners, per_organisation[data.org_a.id].participants) == (2, 3)
    assert per_organisation[data.org_b.id].completions == 0


def test_a_one_day_period_holds_exactly_that_day(db: Session, data: Dataset) -> None:
    first_of_april = dt.date(2024, 4, 1)
    figures = programme_indicators(
        db, filters=IndicatorFilters(date_from=first_of_april, date_to=first_of_april), scope=EVERYTHING
    )
    assert figures.completions == 1  # b1's, recorded at 00:00
    assert figures.registered_learners == 0
    assert _course(figures, "IA1").graded_learners == 1  # b1 finished the attempt at 00:00

    open_ended = programme_indicators(db, filters=IndicatorFilters(date_from=dt.date(2024, 4, 2)), scope=EVERYTHING)
    assert (open_ended.registered_learners, open_ended.participants, open_ended.completions) == (3, 2, 1)
    up_to = programme_indicators(db, filters=IndicatorFilters(date_to=dt.date(2024, 1, 31)), scope=EVERYTHING)
    assert (up_to.registered_learners, up_to.participants, up_to.completions) == (3, 0, 0)


def test_the_organisation_filter_narrows_every_figure(db: Session, data: Dataset) -> None:
    figures = programme_indicators(db, filters=IndicatorFilters(organisation_id=data.org_b.id), scope=EVERYTHING)

    assert (figures.registered_learners, figures.participants, figures.completions) == (3, 2, 1)
    ia1, ib1 = _course(figures, "IA1"), _course(figures, "IB1")
    assert (ia1.participants, ia1.completion_rate, ia1.average_grade) == (1, 1.0, 60.0)
    assert (ib1.participants, ib1.completion_rate, ib1.average_grade) == (1, 0.0, None)
    assert [row.organisation_id for row in figures.organisations] == [data.org_b.id]
    assert [(period.start.isoformat(), period.count) for period in figures.registrations] == [
        ("2024-02-01", 1),
        ("2024-03-01", 0),
        ("2024-04-01", 2),
    ]


def test_a_manager_scope_counts_only_their_organisation(db: Session, data: Dataset) -> None:
    figures = programme_indicators(db, filters=IndicatorFilters(), scope=ReportScope(organisation_id=data.org_a.id))
    assert figures.filters.organisation_id == data.org_a.id
    assert (figures.registered_learners, figures.participants, figures.completions) == (5, 3, 2)


def test_erasing_a_learners_personal_data_leaves_every_figure_unchanged(db: Session, data: Dataset) -> None:
    before = [programme_indicators(db, filters=filters, scope=EVERYTHING) for filters in (IndicatorFilters(), PERIOD)]
    learner = data.people["b1"]
    learner.full_name = "Anonymised"
    learner.email = f"erased-{learner.id}@invalid"
    learner.job_title = ""
    learner.password_hash = None
    learner.is_active = False
    learner.anonymised_at = at("2024-07-01 00:00")
    db.commit()
    after = [programme_indicators(db, filters=filters, scope=EVERYTHING) for filters in (IndicatorFilters(), PERIOD)]
    assert after == before


def test_figures_come_from_real_lesson_ticks_and_quiz_grades(db: Session, synced: object) -> None:
    from tests.progress.page_setup import completed_learner, learner_of, tick_lessons

    completed_learner(db, grade=80.0)
    starter = learner_of(db, "SC9")
    tick_lessons(db, starter, ["first-steps"])
    learner_of(db, "SC9")  # enrolled only

    sc9 = _course(programme_indicators(db, filters=IndicatorFilters(), scope=EVERYTHING), "SC9")
    assert (sc9.participants, sc9.completed_participants, sc9.completions) == (2, 1, 1)
    assert (sc9.graded_learners, sc9.average_grade) == (1, 80.0)


def test_registrations_over_more_than_two_years_are_counted_per_year(db: Session) -> None:
    first = organisations(db)[0]
    for registered in ("2021-03-01 10:00", "2021-11-01 10:00", "2023-06-01 10:00"):
        person(db, first, registered)
    db.commit()
    figures = programme_indicators(db, filters=IndicatorFilters(), scope=EVERYTHING)
    assert figures.registrations_by == "year"
    assert [(period.start.year, period.count) for period in figures.registrations] == [(2021, 2), (2022, 0), (2023, 1)]


# --- charts -------------------------------------------------------------------------------------------------


def test_count_scales_end_on_a_round_number() -> None:
    assert nice_maximum(0) == (1.0, 1.0)
    assert nice_maximum(3) == (3.0, 1.0)
    assert nice_maximum(7) == (8.0, 2.0)
    assert nice_maximum(50) == (60.0, 20.0)


def test_bars_are_proportional_and_shares_run_to_one_hundred_percent() -> None:
    counts = bar_chart(chart_id="c", title="t", description="d", kind="count", data=[("A", 2), ("B", 4)])
    assert counts.bars[1].width == 2 * counts.bars[0].width
    assert counts.ticks[-1].value == 4.0
    shares = bar_chart(chart_id="s", title="t", description="d", kind="share", data=[("A", 0.5)])
    assert [tick.value for tick in shares.ticks] == [0, 0.25, 0.5, 0.75, 1.0]
    assert shares.bars[0].width == shares.plot_width / 2
    assert bar_chart(chart_id="e", title="t", description="d", kind="count", data=[("A", 0)]).is_empty


# --- the page -----------------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_figures_in_tables(app: FastAPI, db: Session, data: Dataset) -> None:
    response = _admin(app, db).get("/reports/indicators")
    assert response.status_code == 200
    html = response.text
    assert _figure(html, "Registered learners") == "9"
    assert _figure(html, "Participants") == "6"
    assert _figure(html, "Completions") == "4"
    assert _figure(html, "Average quiz grade") == "72%"
    assert _figure(html, "Training events held") == "0"
    assert (
        _figure(html, "Satisfaction rate (answers of 4 or 5)")
        == "Not shown: fewer than 3 survey responses in this period."
    )
    assert _figure(html, "IA · Programme IA") == "2"
    text = page_text(html)
    assert "IA1 · Course IA1 IA 2" in text
    assert "IA1 · Course IA1 3 2 67%" in text
    assert "IA2 · Course IA2 0 0 no participants" in text
    assert "IB1 · Course IB1 2 85%" in text
    assert "January 2024 3" in text
    assert f"{data.org_a.name_en} 5 3 2" in text
    assert "How the figures are counted" in text
    assert "People who attended a training event held in the period count too" in text
    assert 'href="/reports/indicators.xlsx"' in html


def test_each_chart_is_a_named_image_followed_by_its_table(app: FastAPI, db: Session, data: Dataset) -> None:
    html = _admin(app, db).get("/reports/indicators").text
    for chart_id, title in (
        ("chart-completions", "Completions per course"),
        ("chart-rates", "Completion rate per course"),
        ("chart-registrations", "Registered learners per month"),
    ):
        svg = re.search(rf'<svg [^>]*aria-labelledby="{chart_id}-title"[^>]*>(.*?)</svg>(.*?)</table>', html, re.S)
        assert svg, chart_id
        assert 'role="img"' in svg.group(0) and 'viewBox="0 0 ' in svg.group(0)
        assert f'aria-describedby="{chart_id}-desc"' in svg.group(0)
        assert f'<title id="{chart_id}-title">{title}</title>' in svg.group(1)
        assert f'<desc id="{chart_id}-desc">' in svg.group(1)
        # Every bar has its label and figure written out; the data table follows with a caption and headers.
        assert svg.group(1).count('class="chart-label"') >= 2
        assert "<caption>" in svg.group(2) and '<th scope="col">' in svg.group(2) and '<th scope="row">' in svg.group(2)
    rates = re.search(r'aria-labelledby="chart-rates-title".*?</svg>', html, re.S)
    assert rates and ">67%</text>" in rates.group(0) and ">50%</text>" in rates.group(0)
    assert "<script" not in html


def test_figures_are_written_in_the_readers_language(app: FastAPI, db: Session, data: Dataset) -> None:
    reader = make_user(db, roles={Role.ADMIN}, locale="lt")
    html = client_for(app, reader).get("/reports/indicators").text
    assert _figure(html, "Vidutinis testo įvertinimas") == "72\xa0%"  # Lithuanian spacing; English writes 72%
    assert "2024 m. sausis" in page_text(html)


def test_the_period_and_organisation_filters_apply_on_the_page(app: FastAPI, db: Session, data: Dataset) -> None:
    admin = _admin(app, db)
    html = admin.get(f"/reports/indicators?from=2024-02-01&to=2024-03-31&organisation={data.org_b.id}").text
    assert (_figure(html, "Registered learners"), _figure(html, "Participants"), _figure(html, "Completions")) == (
        "1",
        "1",
        "0",
    )
    assert "Figures per organisation" not in html
    assert f"Figures for the people of {data.org_b.name_en}. Period: Feb 1, 2024 to Mar 31, 2024, both days" in html
    assert f'href="/reports/indicators.xlsx?from=2024-02-01&amp;to=2024-03-31&amp;organisation={data.org_b.id}"' in html


def test_a_manager_sees_their_own_organisation_and_no_other(app: FastAPI, db: Session, data: Dataset) -> None:
    manager = _manager(app, db, data)
    html = manager.get("/reports/indicators").text
    assert _figure(html, "Registered learners") == "5"
    assert 'name="organisation"' not in html  # nothing to choose
    assert manager.get(f"/reports/indicators?organisation={data.org_a.id}").status_code == 200
    assert manager.get(f"/reports/indicators?organisation={data.org_b.id}").status_code == 404
    assert manager.get(f"/reports/indicators.xlsx?organisation={data.org_b.id}").status_code == 404
    assert entries_for(db, action=AuditAction.INDICATORS_EXPORTED) == []


def test_an_unknown_organisation_is_not_found(app: FastAPI, db: Session, data: Dataset) -> None:
    assert _admin(app, db).get("/reports/indicators?organisation=999999").status_code == 404


@pytest.mark.parametrize("roles", [{Role.LEARNER}, {Role.TRAINER, Role.LEARNER}], ids=["learner", "trainer"])
@pytest.mark.parametrize("path", ["/reports/indicators", "/reports/indicators.xlsx"])
def test_learners_and_trainers_may_not_open_the_indicators(
    app: FastAPI, db: Session, roles: set[Role], path: str
) -> None:
    browser = client_for(app, make_user(db, roles=roles, locale="en"))
    assert browser.get(path).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/reports/indicators")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2024-13-01", "from", "Enter a date like 2024-03-31."),
        ("to=yesterday", "to", "Enter a date like 2024-03-31."),
        ("from=9999-12-31", "from", "Enter a date between 2000 and 2099."),
        ("from=2024-04-01&to=2024-03-01", "to", "The end date must not be before the start date."),
        ("organisation=abc", "organisation", "Choose one of the options."),
        ("organisation=99999999999", "organisation", "Choose one of the options."),
    ],
)
def test_bad_filters_show_the_form_again_with_the_message(
    app: FastAPI, db: Session, data: Dataset, query: str, field: str, message: str
) -> None:
    admin = _admin(app, db)
    for path in ("/reports/indicators", "/reports/indicators.xlsx"):
        response = admin.get(f"{path}?{query}")
        assert response.status_code == 422
        assert f'<a href="#field-{field}">{message}</a>' in response.text
        assert f'id="field-{field}"' in response.text and 'aria-invalid="true"' in response.text
        assert "Key figures" not in response.text
    assert entries_for(db, action=AuditAction.INDICATORS_EXPORTED) == []


def test_typed_values_are_kept_when_the_form_is_shown_again(app: FastAPI, db: Session) -> None:
    html = _admin(app, db).get("/reports/indicators?from=2024-04-01&to=2024-03-01").text
    assert 'value="2024-04-01"' in html and 'value="2024-03-01"' in html


# --- the workbook -------------------------------------------------------------------------------------------


def test_the_workbook_holds_the_pages_figures_and_is_audited(app: FastAPI, db: Session, data: Dataset) -> None:
    reader = make_user(db, roles={Role.ADMIN}, locale="en")
    admin = client_for(app, reader)
    query = "?from=2024-02-01&to=2024-03-31"
    page = admin.get(f"/reports/indicators{query}").text
    response = admin.get(f"/reports/indicators.xlsx{query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "programme-indicators-" in response.headers["content-disposition"]

    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Summary", "Courses", "Programmes", "Organisations", "Registrations", "How counted"]
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Period from"] == dt.datetime(2024, 2, 1)
    assert summary["Period to"] == dt.datetime(2024, 3, 31)
    assert summary["Organisation"] == "All organisations"
    for label in ("Registered learners", "Participants", "Completions"):
        assert summary[label] == int(_figure(page, label))
    assert summary["Average quiz grade"] == pytest.approx((90 + 40 + 70) / 3 / 100, abs=1e-6)
    assert summary["Training events held"] == 0

    courses = workbook["Courses"]
    assert courses.freeze_panes == "A2"
    assert all(cell.font.bold for cell in courses[1])
    rows = list(courses.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("IA", "IA1", "Course IA1", 3, 1, pytest.approx(1 / 3, abs=1e-6), 1, 2, 0.65)
    assert rows[1][:7] == ("IA", "IA2", "Course IA2", 0, 0, None, 0)
    assert rows[2] == ("IB", "IB1", "Course IB1", 2, 1, 0.5, 1, 1, 0.7)
    assert courses.cell(row=2, column=6).number_format == "0.0%"
    assert list(workbook["Programmes"].iter_rows(min_row=2, values_only=True)) == [
        ("IA", "Programme IA", 1),
        ("IB", "Programme IB", 1),
    ]
    organisations_sheet = {row[0]: row[1:] for row in workbook["Organisations"].iter_rows(min_row=2, values_only=True)}
    assert organisations_sheet[data.org_a.name_en] == (2, 3, 2)
    assert list(workbook["Registrations"].iter_rows(min_row=2, values_only=True)) == [
        (dt.datetime(2024, 2, 1), 2),
        (dt.datetime(2024, 3, 1), 1),
    ]

    (entry,) = entries_for(db, action=AuditAction.INDICATORS_EXPORTED)
    assert entry.details == {"from": "2024-02-01", "to": "2024-03-31", "organisation_id": None, "format": "xlsx"}
    assert (entry.actor_id, entry.target_type) == (reader.id, "indicators")


def test_a_managers_workbook_records_their_organisation(app: FastAPI, db: Session, data: Dataset) -> None:
    response = _manager(app, db, data).get("/reports/indicators.xlsx")
    assert response.status_code == 200
    summary = {
        row[0]: row[1] for row in load_workbook(io.BytesIO(response.content))["Summary"].iter_rows(values_only=True)
    }
    assert summary["Organisation"] == data.org_a.name_en
    assert summary["Registered learners"] == 5
    (entry,) = entries_for(db, action=AuditAction.INDICATORS_EXPORTED)
    assert entry.details["organisation_id"] == data.org_a.id


# --- training events ----------------------------------------------------------------------------------------


def _event(db: Session, starts: str, status: EventStatus, attendance: dict[User, str], *, course: Course) -> None:
    """An event of `course` starting at `starts` (UTC), with the people registered and their marks."""
    starts_at = at(starts)
    event = TrainingEvent(
        title={"lt": "Renginys", "en": "Event"}, country="LT", time_zone="Europe/Vilnius", starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=6), registration_deadline=starts_at - dt.timedelta(days=2),
        capacity=20, status=status.value,
    )  # fmt: skip
    db.add(event)
    db.flush()
    db.add(EventCourse(event_id=event.id, course_id=course.id))
    for user, mark in attendance.items():
        db.add(
            EventRegistration(
                event_id=event.id, user_id=user.id, status=RegistrationStatus.REGISTERED.value, attendance=mark,
                attendance_marked_at=starts_at + dt.timedelta(hours=6),
            )
        )  # fmt: skip
    db.commit()


def test_held_events_their_attendance_and_attendees_as_participants(db: Session, data: Dataset) -> None:
    people = data.people
    everything, org_b = IndicatorFilters(), IndicatorFilters(organisation_id=data.org_b.id)
    before = {
        "all": programme_indicators(db, filters=everything, scope=EVERYTHING),
        "period": programme_indicators(db, filters=PERIOD, scope=EVERYTHING),
        "b": programme_indicators(db, filters=org_b, scope=EVERYTHING),
    }
    attended, absent = Attendance.ATTENDED.value, Attendance.ABSENT.value
    # In the period: a1 (already a participant), a3 (enrolled, nothing done) and b3 (no course) attended; b2 absent.
    _event(
        db, "2024-03-10 08:00", EventStatus.HELD,
        {people["a1"]: attended, people["a3"]: attended, people["b3"]: attended, people["b2"]: absent},
        course=data.ia1,
    )  # fmt: skip
    # Held after the period; and one in the period never marked held, whose marks do not count.
    _event(db, "2024-06-01 08:00", EventStatus.HELD, {people["c1"]: attended}, course=data.ib1)
    _event(db, "2024-03-20 08:00", EventStatus.OPEN, {people["a2"]: attended}, course=data.ia1)

    in_period = programme_indicators(db, filters=PERIOD, scope=EVERYTHING)
    assert (in_period.training_events, in_period.event_attendance) == (1, 3)
    assert in_period.participants == before["period"].participants + 2  # a3 and b3; a1 counts once
    figures = programme_indicators(db, filters=everything, scope=EVERYTHING)
    assert (figures.training_events, figures.event_attendance) == (2, 4)
    assert figures.participants == before["all"].participants + 2 == 8
    # An organisation narrows the attendance and the participants, not the events held.
    of_b = programme_indicators(db, filters=org_b, scope=EVERYTHING)
    assert (of_b.training_events, of_b.event_attendance) == (2, 1)
    assert of_b.participants == before["b"].participants + 1
    per_organisation = {row.organisation_id: row.participants for row in figures.organisations}
    assert per_organisation[data.org_a.id] == 4 and per_organisation[data.org_b.id] == 3


def test_the_page_and_the_workbook_show_the_event_figures(app: FastAPI, db: Session, data: Dataset) -> None:
    attended = Attendance.ATTENDED.value
    marks = {data.people[key]: attended for key in ("a1", "a3", "b3")} | {data.people["b2"]: Attendance.ABSENT.value}
    _event(db, "2024-03-10 08:00", EventStatus.HELD, marks, course=data.ia1)
    admin = _admin(app, db)
    query = "?from=2024-02-01&to=2024-03-31"
    html = admin.get(f"/reports/indicators{query}").text
    assert (_figure(html, "Training events held"), _figure(html, "Attendance at training events")) == ("1", "3")
    assert "marked “attended” at those events" in page_text(html)
    workbook = load_workbook(io.BytesIO(admin.get(f"/reports/indicators.xlsx{query}").content))
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)}
    assert (summary["Training events held"], summary["Attendance at training events"]) == (1, 3)
    explained = {row[0] for row in workbook["How counted"].iter_rows(min_row=2, values_only=True)}
    assert {"Training events held", "Attendance at training events"} <= explained


# --- query budget -------------------------------------------------------------------------------------------


def _more_learners(db: Session) -> Callable[[int], None]:
    """Learners in three organisations and two courses, in every state, with ticks, attempts and grades."""
    programme = make_programme(db, "QB", 950)
    courses = [make_course(db, programme, f"QB{number}", number) for number in (1, 2)]
    partners = organisations(db)[:3]
    numbers = itertools.count(1)
    db.commit()

    def grow(count: int) -> None:
        for _ in range(count):
            number = next(numbers)
            learner = person(db, partners[number % 3], f"2024-0{1 + number % 9}-15 10:00")
            course = courses[number % 2]
            enrol(db, learner, course)
            kind = number % 4
            if kind:
                tick(db, learner, course, "2024-03-01 10:00")
            if kind >= 2:
                grade = 50 + number % 50
                attempt(db, learner, course, "2024-03-02 10:00", finished="2024-03-02 10:30", grade=grade)
                state = CompletionState.COMPLETED if kind == 3 else CompletionState.IN_PROGRESS
                completion(db, learner, course, state, "2024-03-03 10:00")
        db.commit()

    return grow


@pytest.mark.parametrize("query", ["", "?from=2024-01-01&to=2024-12-31", "?organisation={organisation}"])
def test_the_dashboard_runs_the_same_statements_for_1_and_50_learners(app: FastAPI, db: Session, query: str) -> None:
    admin = _admin(app, db)
    url = "/reports/indicators" + query.format(organisation=organisations(db)[0].id)
    # the session; organisations; registered; participants; course participants; completions; grades;
    # registrations per month; courses with programmes; training events with their attendance
    assert_constant_queries(admin, db, url, _more_learners(db), budget=10)


def test_the_workbook_runs_the_same_statements_for_1_and_50_learners(app: FastAPI, db: Session) -> None:
    admin = _admin(app, db)
    # as the page, plus the audit entry
    assert_constant_queries(admin, db, "/reports/indicators.xlsx", _more_learners(db), budget=11)


# --- satisfaction (surveys) ---------------------------------------------------------------------------------


def test_satisfaction_is_the_share_of_4_and_5_from_three_responses_in_the_period(db: Session) -> None:
    from tests.surveys.survey_setup import attach_to, make_event, make_survey, respond

    target = attach_to(db, make_survey(db, likert=1, texts=1), event=make_event(db))
    february, march = dt.date(2024, 2, 10), dt.date(2024, 3, 10)
    for rating in (5, 4):
        respond(db, target, [rating], ["fine"], day=february)
    period = IndicatorFilters(date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 2, 29))
    # Two responses in the period: below the anonymity threshold, so not recorded.
    assert programme_indicators(db, filters=period, scope=EVERYTHING).satisfaction_rate is None

    respond(db, target, [3], day=february)
    # 5, 4, 3 → two of three ratings are 4 or 5 (comments do not count).
    assert programme_indicators(db, filters=period, scope=EVERYTHING).satisfaction_rate == pytest.approx(2 / 3)
    for rating in (2, 1, 5):
        respond(db, target, [rating], day=march)
    # All six: 5, 4, 3, 2, 1, 5 → 50 %.
    assert programme_indicators(db, filters=IndicatorFilters(), scope=EVERYTHING).satisfaction_rate == 0.5
    # Answers are anonymous, with no organisation: a chosen organisation has no satisfaction figure.
    organisation = organisations(db)[0].id
    chosen = IndicatorFilters(organisation_id=organisation)
    assert programme_indicators(db, filters=chosen, scope=EVERYTHING).satisfaction_rate is None
