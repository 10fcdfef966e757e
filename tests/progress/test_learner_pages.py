"""The learner's own pages through HTTP: My learning, the competency profile (page, chart, table, PDF)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from babel.dates import format_date
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.access import Role
from app.core.i18n import local_date
from app.progress.competencies import attained_levels, competency_profile
from tests.conftest import COURSE_DIR, sync
from tests.factories import csrf_from, make_user
from tests.progress.page_setup import (
    CODE,
    certificate_of,
    client_for,
    complete_sc9,
    completed_learner,
    enrol_directly,
    extra_course,
    learner_of,
    page_text,
    pdf_text,
    take_quiz,
    tick_lessons,
)

pytestmark = pytest.mark.usefixtures("synced")
HOLDER = "Žydrūnė Čepulytė"


def _section(html: str, heading_id: str) -> str:
    """The HTML of the page section labelled by `heading_id`."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def _card(html: str, code: str) -> str:
    """The course card (list item) of `code` among the courses in progress."""
    cards = [card for card in _section(html, "current-heading").split('<li class="course-card">')[1:]]
    found = [card for card in cards if f'href="/courses/{code}"' in card]
    assert len(found) == 1, f"{code}: {len(found)} cards"
    return found[0]


def _continue_link(card: str) -> str:
    match = re.search(r'<a class="button" href="([^"]+)"', card)
    assert match, card
    return match.group(1)


# --- My learning -----------------------------------------------------------------------------------


def test_my_learning_shows_progress_and_where_to_continue(app: FastAPI, db: Session) -> None:
    learner = learner_of(db, CODE, full_name=HOLDER, locale="en")
    other_course = extra_course(db, lessons=2)
    enrol_directly(db, learner, other_course)
    db.commit()
    browser = client_for(app, learner)

    # The first lesson ticked as a learner does it: open the lesson, press "complete".
    lesson = browser.get(f"/courses/{CODE}/lessons/first-steps")
    ticked = browser.post(f"/courses/{CODE}/lessons/first-steps/complete", data={"csrf_token": csrf_from(lesson.text)})
    assert ticked.status_code == 303

    html = browser.get("/my/learning").text
    sc9 = _card(html, CODE)
    assert "25% done" in page_text(sc9)  # 1 of 3 lessons + the quiz = 1 of 4 units
    assert "Lessons completed: 1 of 3" in page_text(sc9)
    assert _continue_link(sc9) == f"/courses/{CODE}/lessons/partners"
    assert "Continue: SC9" in sc9
    extra = _card(html, other_course.code)
    assert "0% done" in page_text(extra)
    assert _continue_link(extra) == f"/courses/{other_course.code}/lessons/l1"
    assert f"Start: {other_course.code}" in extra
    assert "Quiz grade" not in sc9

    # Opening a later lesson makes it the place to continue, until it is completed.
    assert browser.get(f"/courses/{CODE}/lessons/english-only").status_code == 200
    assert _continue_link(_card(browser.get("/my/learning").text, CODE)) == f"/courses/{CODE}/lessons/english-only"
    tick_lessons(db, learner, ["english-only"])
    assert _continue_link(_card(browser.get("/my/learning").text, CODE)) == f"/courses/{CODE}/lessons/partners"

    take_quiz(db, learner, 50.0)  # failed, attempts left
    sc9 = _card(browser.get("/my/learning").text, CODE)
    assert "Quiz grade: 50%" in page_text(sc9)
    assert "50% done" in page_text(sc9)  # 2 of 4 units


def test_my_learning_offers_the_quiz_once_every_lesson_is_done(app: FastAPI, db: Session) -> None:
    learner = learner_of(db, CODE, locale="en")
    tick_lessons(db, learner)
    card = _card(client_for(app, learner).get("/my/learning").text, CODE)
    assert _continue_link(card) == f"/courses/{CODE}/quiz"
    assert "75% done" in page_text(card)


def test_completed_course_shows_date_grade_and_certificate(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER, locale="en", grade=80.0)
    certificate = certificate_of(db, learner)
    html = client_for(app, learner).get("/my/learning").text
    assert f'href="/courses/{CODE}"' not in _section(html, "current-heading")
    completed = _section(html, "completed-heading")
    row = page_text(completed.split("<tbody>")[1].split("</tr>")[0])
    assert "SC9 · Test course" in row
    assert format_date(local_date(certificate.completed_at), "medium", locale="en") in row
    assert "80%" in row
    assert f'href="/my/certificates/{certificate.code}"' in completed
    assert certificate.code in row


def _programme_progress(browser: TestClient) -> str:
    return page_text(_section(browser.get("/my/learning").text, "programmes-heading"))


def test_programme_progress_counts_completed_modules(app: FastAPI, db: Session) -> None:
    learner = learner_of(db, CODE, locale="en")
    extra_course(db)  # a second module of the programme, not taken
    db.commit()
    browser = client_for(app, learner)
    assert re.search(r"\b0 of 2 modules? completed", _programme_progress(browser))
    complete_sc9(db, learner)
    programmes = _programme_progress(browser)
    assert re.search(r"\b1 of 2 modules? completed", programmes), programmes
    assert "50% done" in programmes


def test_programme_progress_reads_as_english_with_one_module_done(app: FastAPI, db: Session) -> None:
    """ "1 of 2 modules": the noun agrees with the total, not with the number completed."""
    learner = completed_learner(db, locale="en")
    extra_course(db)
    db.commit()
    assert "1 of 2 modules completed" in _programme_progress(client_for(app, learner))


def test_revoked_certificate_is_marked_and_not_offered_for_download(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, locale="en")
    certificate = certificate_of(db, learner)
    admin = client_for(app, make_user(db, roles={Role.ADMIN}, locale="en"))
    form = admin.get(f"/admin/certificates/{certificate.code}/revoke")
    revoked = admin.post(
        f"/admin/certificates/{certificate.code}/revoke",
        data={"csrf_token": csrf_from(form.text), "reason": "Duplicate account."},
    )
    assert revoked.status_code == 303
    completed = _section(client_for(app, learner).get("/my/learning").text, "completed-heading")
    assert "Revoked" in completed
    assert f'href="/my/certificates/{certificate.code}"' not in completed


def test_another_learners_courses_never_appear(app: FastAPI, db: Session) -> None:
    mine = learner_of(db, CODE, full_name=HOLDER, locale="en")
    theirs = completed_learner(db, full_name="Jonas Jonaitis", locale="en")
    their_course = extra_course(db)
    enrol_directly(db, theirs, their_course)
    db.commit()
    tick_lessons(db, theirs, ["l1"], code=their_course.code)
    their_certificate = certificate_of(db, theirs)

    html = client_for(app, mine).get("/my/learning").text
    assert f'href="/courses/{their_course.code}"' not in html
    assert their_certificate.code not in html
    assert "You have not completed a course yet." in html
    assert "Lessons completed: 0 of 3" in page_text(_card(html, CODE))


def test_completed_course_stays_on_my_learning_after_the_course_is_archived(
    app: FastAPI, db: Session, content_root: Path
) -> None:
    """Completion is never lost: the certificate stays reachable when the course leaves the catalogue."""
    learner = completed_learner(db, locale="en")
    certificate = certificate_of(db, learner)
    other = content_root / "social-cluster" / "sc10-copy"
    shutil.copytree(content_root / COURSE_DIR, other)
    course_file = other / "course.yaml"
    course_file.write_text(course_file.read_text(encoding="utf-8").replace("code: SC9", "code: SC10"), "utf-8")
    shutil.rmtree(content_root / COURSE_DIR)  # SC9 removed from the content: the sync archives it
    sync(db, content_root)

    html = client_for(app, learner).get("/my/learning").text
    assert f'href="/my/certificates/{certificate.code}"' in _section(html, "completed-heading")


def test_my_pages_ask_anonymous_visitors_to_sign_in(client: TestClient) -> None:
    for url in ("/my/learning", "/my/competencies", "/my/competencies.pdf"):
        response = client.get(url)
        assert response.status_code in (302, 303), url
        assert "/login" in response.headers["location"]


# --- competency profile ----------------------------------------------------------------------------


def _competency_row(html: str, code: str) -> str:
    row = html.split(f'href="/competencies#competency-{code}"', 1)[1]
    return page_text(row.split("</tr>", 1)[0])


def _chart_bars(html: str) -> dict[str, int]:
    """Competency code → level as drawn in the SVG chart (labels and bars in row order)."""
    svg = re.search(r"<svg[^>]*>(.*?)</svg>", html, re.S)
    assert svg, "no chart"
    labels = re.findall(r'class="chart-label">([^<]+)</text>', svg.group(1))
    rows = re.split(r'class="chart-label">[^<]+</text>', svg.group(1))[1:]
    levels = {}
    for label, rest in zip(labels, rows, strict=True):
        bar = re.search(r'class="chart-bar chart-bar--(\d)"', rest.split("<text", 1)[0])
        levels[label] = int(bar.group(1)) if bar else 0
    return levels


def test_competency_profile_shows_levels_from_completed_courses(app: FastAPI, db: Session) -> None:
    learner = learner_of(db, CODE, locale="en")
    browser = client_for(app, learner)
    before = browser.get("/my/competencies")
    assert before.status_code == 200
    assert "Not yet attained" in _competency_row(before.text, "A1")
    assert _chart_bars(before.text) == {"A1": 0}

    tick_lessons(db, learner)  # not completed yet: lessons alone give no level
    assert "Not yet attained" in _competency_row(browser.get("/my/competencies").text, "A1")

    take_quiz(db, learner, 80.0)
    html = browser.get("/my/competencies").text
    assert re.search(r'<svg[^>]*role="img"', html)
    assert _chart_bars(html) == {"A1": 2}
    row = _competency_row(html, "A1")
    assert "2 · Practitioner" in row and "SC9" in row
    assert "1 competency attained." in page_text(html)


def _add_graded_target(content_root: Path) -> None:
    """A second competency A2, which SC9 gives at level 3 only with a quiz grade of at least 90 %."""
    model_file = content_root / "competencies.yaml"
    model = yaml.safe_load(model_file.read_text(encoding="utf-8"))
    model["areas"][0]["competencies"].append(
        {
            "code": "A2",
            "title": {"lt": "Partnerystė", "en": "Partnership"},
            "description": {"lt": "Aprašas.", "en": "A description."},
            "levels": {level: {"lt": ["Rodiklis."], "en": ["Indicator."]} for level in (1, 2, 3)},
        }
    )
    model_file.write_text(yaml.safe_dump(model, allow_unicode=True), encoding="utf-8")
    course_file = content_root / COURSE_DIR / "course.yaml"
    text = course_file.read_text(encoding="utf-8")
    course_file.write_text(
        text.replace(
            "  - {code: A1, level: 2}\n", "  - {code: A1, level: 2}\n  - {code: A2, level: 3, min_grade: 90}\n"
        ),
        encoding="utf-8",
    )


def test_a_level_with_a_grade_threshold_needs_that_grade(app: FastAPI, db: Session, content_root: Path) -> None:
    _add_graded_target(content_root)
    sync(db, content_root)
    good = completed_learner(db, locale="en", grade=80.0)
    excellent = completed_learner(db, locale="en", grade=95.0)

    good_html = client_for(app, good).get("/my/competencies").text
    assert _chart_bars(good_html) == {"A1": 2, "A2": 0}
    assert "Not yet attained" in _competency_row(good_html, "A2")
    excellent_html = client_for(app, excellent).get("/my/competencies").text
    assert _chart_bars(excellent_html) == {"A1": 2, "A2": 3}
    assert "3 · Leader" in _competency_row(excellent_html, "A2")

    db.expire_all()
    levels = {s.competency.code: s.level for s in competency_profile(db, user=excellent).standings}
    assert levels == {"A1": 2, "A2": 3}
    assert [item["code"] for item in certificate_of(db, excellent).details["competencies"]] == ["A1", "A2"]
    assert [item["code"] for item in certificate_of(db, good).details["competencies"]] == ["A1"]


@pytest.mark.parametrize(
    ("grade", "expected"),
    [(None, {"A1": 2}), (89.99, {"A1": 2}), (90.0, {"A1": 2, "A2": 3}), (100.0, {"A1": 2, "A2": 3})],
)
def test_attained_levels_apply_min_grade_at_the_threshold(grade: float | None, expected: dict[str, int]) -> None:
    targets = [{"code": "A1", "level": 2}, {"code": "A2", "level": 3, "min_grade": 90}]
    assert attained_levels(targets, grade) == expected


def test_attained_levels_keep_the_highest_level_per_competency() -> None:
    targets = [{"code": "A1", "level": 1}, {"code": "A1", "level": 3, "min_grade": 90}, {"code": "A1", "level": 2}]
    assert attained_levels(targets, 80.0) == {"A1": 2}
    assert attained_levels(targets, 95.0) == {"A1": 3}


def test_profile_takes_the_best_level_over_several_courses(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, locale="en")  # SC9: A1 level 2
    higher = extra_course(db, competencies=[{"code": "A1", "level": 3}])
    lower = extra_course(db, competencies=[{"code": "A1", "level": 1}])
    for course in (higher, lower):
        enrol_directly(db, learner, course)
    db.commit()
    browser = client_for(app, learner)
    tick_lessons(db, learner, ["l1"], code=lower.code)
    assert "2 · Practitioner" in _competency_row(browser.get("/my/competencies").text, "A1")
    tick_lessons(db, learner, ["l1"], code=higher.code)
    row = _competency_row(browser.get("/my/competencies").text, "A1")
    assert "3 · Leader" in row and higher.code in row and CODE not in row


def test_competency_profile_pdf_names_the_learner(app: FastAPI, db: Session) -> None:
    learner = completed_learner(db, full_name=HOLDER, locale="en")
    response = client_for(app, learner).get("/my/competencies.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    text = pdf_text(response.content)
    assert HOLDER in text
    assert "A1" in text and "Practitioner" in text
    assert "Test course" in text
