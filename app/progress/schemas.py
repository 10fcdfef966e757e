"""Form models of the progress pages: completion criteria and certificate revocation."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


class CriteriaForm(BaseModel):
    """Checkboxes: a ticked box sends "on", an unticked one sends nothing."""

    model_config = ConfigDict(extra="ignore")

    require_lessons: bool = False
    require_quiz: bool = False
    require_attendance: bool = False


class RevokeForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: Reason
