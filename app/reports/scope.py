"""Whose records a report may show: administrators see every organisation, organisation managers their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.core.access import Role
from app.core.errors import Forbidden, NotFound
from app.core.i18n import _


class ReportReader(Protocol):
    id: int
    organisation_id: int | None

    @property
    def role_set(self) -> frozenset[Role]: ...


@dataclass(frozen=True)
class ReportScope:
    # None: every organisation (an administrator, the command line, an unrestricted API token).
    organisation_id: int | None

    @property
    def is_everything(self) -> bool:
        return self.organisation_id is None

    def organisation_filter(self, requested: int | None) -> int | None:
        """The organisation to filter by, given what the reader asked for.

        A manager who asks for another organisation gets 404, as if it did not exist, rather than
        quietly receiving their own organisation's records under the other's name.
        """
        if self.organisation_id is None:
            return requested
        if requested is not None and requested != self.organisation_id:
            raise NotFound(_("This organisation was not found."))
        return self.organisation_id


EVERYTHING = ReportScope(organisation_id=None)


def report_scope(reader: ReportReader) -> ReportScope:
    if Role.ADMIN in reader.role_set:
        return EVERYTHING
    if Role.ORG_MANAGER in reader.role_set and reader.organisation_id is not None:
        return ReportScope(organisation_id=reader.organisation_id)
    # An organisation manager without an organisation has nothing they may see.
    raise Forbidden(_("You do not have permission to open this page."))
