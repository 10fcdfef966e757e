"""Connects progress to the events lower packages publish; called once by create_app and the CLI."""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session

from app.accounts.panels import add_person_panel
from app.core.events import CourseCompleted, CourseRulesChanged, LearnerProgressChanged, publish, subscribe
from app.progress.certificates import issue_certificate
from app.progress.completion import on_course_rules, on_learner_progress
from app.progress.models import CourseCompletion
from app.progress.person_places import course_places_panel


def certify(session: Session, completion: CourseCompletion) -> None:
    issue_certificate(session, completion)
    # Higher packages (surveys) follow completions without progress knowing them.
    publish(session, CourseCompleted(user_id=completion.user_id, course_id=completion.course_id))


_on_learner_progress = partial(on_learner_progress, on_completed=certify)
_on_course_rules = partial(on_course_rules, on_completed=certify)


def connect() -> None:
    subscribe(LearnerProgressChanged, _on_learner_progress)
    subscribe(CourseRulesChanged, _on_course_rules)
    add_person_panel(course_places_panel)  # the administrator's person page lists course places
