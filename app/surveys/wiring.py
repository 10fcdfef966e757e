"""Connects surveys to the domain events they follow (an event held, a course completed) and the home page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.config import Settings
from app.core.events import CourseCompleted, TrainingEventHeld, subscribe
from app.core.i18n import get_locale
from app.site.panels import HomePanel, add_home_panel
from app.surveys import invitations


def _waiting_surveys_panel(session: Session, user: User) -> HomePanel | None:
    waiting = invitations.waiting_surveys(session, user=user, locale=get_locale())
    return HomePanel("surveys/_home_panel.html", {"waiting": waiting}) if waiting else None


def connect(settings: Settings | None = None) -> None:
    """Called once by create_app and the CLI; with settings, invitations are also emailed."""
    subscribe(TrainingEventHeld, invitations.invite_event_participants)
    subscribe(CourseCompleted, invitations.invite_course_completer)
    add_home_panel(_waiting_surveys_panel)
    if settings is not None:
        invitations.use_mail_settings(settings)
