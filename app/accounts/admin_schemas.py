"""Form and filter models of the administrators' pages for organisations and people."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from babel import Locale
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from app.accounts.schemas import FormModel, LocaleCode, Name, OptionalText
from app.core.access import Role
from app.core.forms import ChoiceId, DbId, form_id
from app.core.i18n import _

# Offered first in the country select: the programme's two countries, then the other donor and Baltic/Nordic ones.
COUNTRIES = ("LT", "NO", "IS", "LI", "LV", "EE", "PL", "FI", "SE", "DK")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_slug(value: str) -> str:
    if value and not _SLUG.fullmatch(value):
        raise PydanticCustomError(
            "klasteris_slug", _("Use only small Latin letters, digits and single hyphens, like vilnius-city.")
        )
    return value


def _check_website(value: str) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host or any(char.isspace() for char in value):
        raise PydanticCustomError("klasteris_website", _("Enter a web address that starts with http:// or https://."))
    return value


def _check_country(value: str) -> str:
    # Any real two-letter country code is kept (an organisation may already have one not offered first).
    if not (len(value) == 2 and value.isascii() and value.isupper() and value in Locale("en").territories):
        raise PydanticCustomError("klasteris_choice", _("Choose one of the options."))
    return value


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _page_number(value: object) -> int:
    # A page number is only ever followed from our own links: anything odd simply shows the first page.
    return form_id(value if isinstance(value, str) else str(value)) or 1


PageNumber = Annotated[int, BeforeValidator(_page_number)]


class OrganisationForm(FormModel):
    name_lt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    name_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    # Empty: derived from the English name.
    slug: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80), AfterValidator(_check_slug)] = ""
    website: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(_check_website)
    ] = ""
    country: Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_country)]


class MergeForm(FormModel):
    keep_id: DbId
    # Unset: show what the merge would move; set by the confirmation page's button.
    confirm: Annotated[bool, BeforeValidator(lambda value: value or False)] = False


class PersonStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    ANONYMISED = "anonymised"


class PeopleFilters(BaseModel):
    """The people list's search box and filters, from the query string."""

    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    organisation: ChoiceId = None
    role: Annotated[Role | None, BeforeValidator(_blank_is_none)] = None
    status: Annotated[PersonStatus | None, BeforeValidator(_blank_is_none)] = None
    page: PageNumber = 1


class OrganisationFilters(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    page: PageNumber = 1


class PersonForm(FormModel):
    full_name: Name
    job_title: OptionalText = ""
    organisation_id: ChoiceId = None
    locale: LocaleCode


class RolesForm(FormModel):
    """One tick box per site role (a ticked box sends "on")."""

    role_learner: bool = False
    role_trainer: bool = False
    role_org_manager: bool = False
    role_admin: bool = False

    @property
    def roles(self) -> set[Role]:
        return {role for role in Role if getattr(self, f"role_{role.value}")}


def role_field(role: Role) -> str:
    return f"role_{role.value}"
