"""Turning Pydantic validation errors into translated, per-field messages for HTML forms."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from fastapi import Request
from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from app.core.errors import DomainError
from app.core.i18n import _

FormModel = TypeVar("FormModel", bound=BaseModel)
FORM_ERROR_KEY = "__form__"
MAX_DB_ID = 2**31 - 1
# Report periods: days outside these years cannot hold the programme's data (and keep SQL dates sane).
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)


def _check_db_id(value: int) -> int:
    # Larger numbers cannot be row ids and would overflow the database driver.
    if not 1 <= value <= MAX_DB_ID:
        raise PydanticCustomError("klasteris_choice", _("Choose one of the options."))
    return value


DbId = Annotated[int, AfterValidator(_check_db_id)]


def _blank_choice_or_id(value: object) -> object:
    if not isinstance(value, str) or not value.strip():
        return None if isinstance(value, str) else value
    # A select's value: anything but an id is a tampered address, not a typing mistake.
    if not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("klasteris_choice", _("Choose one of the options."))
    return value


# A filter's <select> of rows ("All …" sends an empty value): None for all, else a row id.
ChoiceId = Annotated[DbId | None, BeforeValidator(_blank_choice_or_id)]


def form_id(value: str | None) -> int | None:
    """A row id or position sent by a form's hidden field or button, or None when it cannot be one."""
    if not value or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_DB_ID else None


def _message_for(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_short":
        return _("Enter at least %(count)s characters.", count=ctx.get("min_length"))
    if kind == "string_too_long":
        return _("Enter at most %(count)s characters.", count=ctx.get("max_length"))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("float_parsing", "float_type", "finite_number"):
        return _("Enter a number.")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _("The number is outside the allowed range.")
    if kind in ("literal_error", "enum"):
        return _("Choose one of the options.")
    if kind.startswith("klasteris_"):
        # Our own validators raise messages that are already translated.
        return error["msg"]
    return _("This value is not valid.")


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        location = error["loc"]
        # Cross-field checks name the field they belong to in their context.
        name = str(location[0]) if location else str((error.get("ctx") or {}).get("field", FORM_ERROR_KEY))
        errors.setdefault(name, _message_for(error))
    return errors


class FormInvalid(Exception):
    """Carries per-field messages back to the handler that re-displays the form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def parse_form(model: type[FormModel], data: dict[str, Any]) -> FormModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormInvalid(field_errors(exc)) from exc


def errors_from(error: DomainError) -> dict[str, str]:
    return {error.field or FORM_ERROR_KEY: error.message}


def query_values(request: Request) -> dict[str, str]:
    """A filter form's values from the query string; `lang` belongs to the language switcher, not the form."""
    return {key: value for key, value in request.query_params.items() if key != "lang"}


def _optional_day(value: object) -> object:
    """A date field: blank is no limit; otherwise an ISO day within the years the programme can have data."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise PydanticCustomError("klasteris_date", _("Enter a date like 2024-03-31.")) from exc
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise PydanticCustomError("klasteris_date_range", _("Enter a date between 2000 and 2099."))
    return day


OptionalDay = Annotated[dt.date | None, BeforeValidator(_optional_day)]
