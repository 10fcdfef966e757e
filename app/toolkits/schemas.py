"""Form models of the toolkit pages: a toolkit's description, a new version's note, the library filters."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from app.core.i18n import _
from app.toolkits.models import ToolkitKind, ToolkitLanguage

MAX_TAGS = 10
MAX_TAG_LENGTH = 40
MAX_QUERY_LENGTH = 100

Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ChangeNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


def split_tags(value: object) -> object:
    """Comma-separated keywords as typed: trimmed, without empty or repeated ones (ignoring case)."""
    if not isinstance(value, str):
        return value
    tags: list[str] = []
    seen: set[str] = set()
    for raw in value.split(","):
        tag = " ".join(raw.split())
        if not tag or tag.casefold() in seen:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise PydanticCustomError(
                "klasteris_tag", _("A keyword can have at most %(count)s characters.", count=MAX_TAG_LENGTH)
            )
        seen.add(tag.casefold())
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise PydanticCustomError("klasteris_tags", _("Enter at most %(count)s keywords.", count=MAX_TAGS))
    return tags


Tags = Annotated[list[str], BeforeValidator(split_tags)]


class ToolkitDetailsForm(BaseModel):
    """What describes a toolkit. On upload the titles may stay empty: each file's name is used instead."""

    model_config = ConfigDict(extra="ignore")

    title_lt: Title = ""
    title_en: Title = ""
    description_lt: Description = ""
    description_en: Description = ""
    language: ToolkitLanguage
    kind: ToolkitKind
    tags: Tags = []
    is_public: bool = False


class ToolkitEditForm(ToolkitDetailsForm):
    @model_validator(mode="after")
    def needs_a_title(self) -> ToolkitEditForm:
        if not (self.title_lt or self.title_en):
            raise PydanticCustomError(
                "klasteris_title", _("Enter a title in at least one language."), {"field": "title_lt"}
            )
        return self


class VersionForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    change_note: ChangeNote = ""


class LibraryFilters(BaseModel):
    """The library's search box and filters; an empty select means "all"."""

    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_QUERY_LENGTH)] = ""
    course: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    language: ToolkitLanguage | None = None
    kind: ToolkitKind | None = None
    page: Annotated[int, BeforeValidator(lambda value: value or 1)] = 1

    @model_validator(mode="before")
    @classmethod
    def blank_choices_mean_all(cls, data: object) -> object:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != "" or key in ("q", "course")}
        return data
