"""The audit log page's filters, from its query string."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from app.audit.service import AuditAction, AuditFilters
from app.core.forms import MAX_DB_ID
from app.core.i18n import _


class AuditQuery(BaseModel):
    """An empty field means "any"."""

    model_config = ConfigDict(extra="ignore")

    action: AuditAction | None = None
    target_type: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    target_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    since: dt.date | None = None
    until: dt.date | None = None
    page: Annotated[int, BeforeValidator(lambda value: value or 1), Field(ge=1, le=MAX_DB_ID)] = 1

    @model_validator(mode="before")
    @classmethod
    def blank_means_any(cls, data: object) -> object:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data

    @model_validator(mode="after")
    def range_in_order(self) -> AuditQuery:
        if self.since and self.until and self.since > self.until:
            raise ValueError(_("The start date must not be after the end date."))
        return self

    def filters(self) -> AuditFilters:
        return AuditFilters(
            action=self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            since=self.since,
            until=self.until,
        )
