"""Sections other domains add to the signed-in home page (surveys waiting…), without the site importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.accounts.models import User


@dataclass(frozen=True)
class HomePanel:
    template: str  # included in the home page; it sees `panel.context`
    context: dict[str, object] = field(default_factory=dict)


HomePanelBuilder = Callable[[Session, User], HomePanel | None]
_builders: list[HomePanelBuilder] = []


def add_home_panel(builder: HomePanelBuilder) -> None:
    """Register once at start-up; registering the same builder again changes nothing."""
    if builder not in _builders:
        _builders.append(builder)


def home_panels(session: Session, user: User | None) -> list[HomePanel]:
    """The panels for a signed-in person; visitors get none."""
    if user is None:
        return []
    return [panel for builder in _builders if (panel := builder(session, user)) is not None]
