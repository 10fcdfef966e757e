"""Form models of the accounts pages, kept apart from the tables."""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from app.core.config import SUPPORTED_LOCALES
from app.core.forms import DbId
from app.core.i18n import _

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


def normalise_email(value: str) -> str:
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PydanticCustomError("klasteris_email", _("Enter a valid email address, like name@example.lt.")) from exc
    return checked.normalized.lower()


def check_locale(value: str) -> str:
    if value not in SUPPORTED_LOCALES:
        raise PydanticCustomError("klasteris_locale", _("Choose one of the offered languages."))
    return value


Email = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254), AfterValidator(normalise_email)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
AnyPassword = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
LocaleCode = Annotated[str, AfterValidator(check_locale)]


class FormModel(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=10_000)


def _passwords_match(password: str, confirmation: str, field: str) -> None:
    if password != confirmation:
        raise PydanticCustomError("klasteris_password_mismatch", _("The two passwords do not match."), {"field": field})


class RegisterForm(FormModel):
    email: Email
    full_name: Name
    organisation_id: DbId
    job_title: OptionalText = ""
    locale: LocaleCode = "lt"
    password: Password
    password_confirm: AnyPassword

    @model_validator(mode="after")
    def _confirm(self) -> RegisterForm:
        _passwords_match(self.password, self.password_confirm, "password_confirm")
        return self


class LoginForm(FormModel):
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=254)]
    password: AnyPassword
    next: str = "/"


class ForgotPasswordForm(FormModel):
    email: Email


class ResetPasswordForm(FormModel):
    password: Password
    password_confirm: AnyPassword

    @model_validator(mode="after")
    def _confirm(self) -> ResetPasswordForm:
        _passwords_match(self.password, self.password_confirm, "password_confirm")
        return self


class ProfileForm(FormModel):
    full_name: Name
    job_title: OptionalText = ""
    locale: LocaleCode


class ChangePasswordForm(FormModel):
    current_password: AnyPassword
    new_password: Password
    new_password_confirm: AnyPassword

    @model_validator(mode="after")
    def _confirm(self) -> ChangePasswordForm:
        _passwords_match(self.new_password, self.new_password_confirm, "new_password_confirm")
        return self
