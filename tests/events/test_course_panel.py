"""The course page lists the course's next training events (a panel the events package adds)."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.events.models import EventStatus
from tests.events.event_setup import bare_course, browser, make_event
from tests.gates.queries import assert_constant_queries


def test_course_page_lists_upcoming_events_but_not_past_or_cancelled_ones(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    course = bare_course(db)
    other = bare_course(db)
    soon = make_event(db, courses=[course], title={"lt": "Greitai", "en": "Coming soon"})
    make_event(
        db, courses=[course], title={"lt": "Praėjęs", "en": "Already over"}, starts_at=utcnow() - dt.timedelta(days=3)
    )
    make_event(db, courses=[course], title={"lt": "Atšauktas", "en": "Called off"}, status=EventStatus.CANCELLED)
    make_event(db, courses=[other], title={"lt": "Kitas", "en": "Another course's"})

    page = browser(app, db, settings).get(f"/courses/{course.code}?lang=en")

    assert page.status_code == 200
    assert "Upcoming training events" in page.text
    assert f'href="/events/{soon.id}"' in page.text and "Coming soon" in page.text
    assert "Already over" not in page.text and "Called off" not in page.text and "Another course" not in page.text
    assert f'href="/events?course={course.code}"' in page.text


def test_course_without_events_has_no_panel(app: FastAPI, db: Session, settings: Settings) -> None:
    course = bare_course(db)
    page = browser(app, db, settings).get(f"/courses/{course.code}?lang=en")
    assert page.status_code == 200 and "Upcoming training events" not in page.text


def test_panel_query_count_does_not_grow_with_events(app: FastAPI, db: Session, settings: Settings) -> None:
    course = bare_course(db)

    def grow(count: int) -> None:
        for _ in range(count):
            make_event(db, courses=[course])

    # An anonymous visitor: the course outline, the programme, the panel's events (the page shows five).
    assert_constant_queries(browser(app, db, settings), db, f"/courses/{course.code}", grow, budget=6)
