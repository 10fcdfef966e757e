"""Sections other domains add to an administrator's person page (course places…), without accounts importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.accounts.models import User


@dataclass(frozen=True)
class PersonPanel:
    template: str  # included in the person page; it sees `panel.context`
    context: dict[str, object] = field(default_factory=dict)


PersonPanelBuilder = Callable[[Session, User], PersonPanel | None]
_builders: list[PersonPanelBuilder] = []


def add_person_panel(builder: PersonPanelBuilder) -> None:
    """Register once at start-up; registering the same builder again changes nothing."""
    if builder not in _builders:
        _builders.append(builder)


def person_panels(session: Session, *, person: User) -> list[PersonPanel]:
    return [panel for builder in _builders if (panel := builder(session, person)) is not None]
