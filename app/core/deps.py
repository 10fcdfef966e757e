"""Request-scoped dependencies shared by every domain: settings, the database session and forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from app.core.config import Settings
from app.core.db import READS_ONLY
from app.core.errors import BadRequest
from app.core.i18n import _

MAX_FORM_FIELD_BYTES = 1024 * 1024
# Tab, line feed and carriage return are fine in text areas; other control characters are not text.
_FORBIDDEN_CODEPOINTS = frozenset(chr(c) for c in range(32) if c not in (9, 10, 13)) | {"\x7f"}


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the handler returns, rolled back when it raises."""
    with request.app.state.sessionmaker() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_reading_session(request: Request) -> Iterator[Session]:
    """A session for responses that read while they stream (exports); it never writes.

    It lives until the response is sent, so on SQLite it must not begin with the write lock that
    ordinary request transactions take, or every other request would wait for the download to finish.
    """
    engine = request.app.state.engine.execution_options(**{READS_ONLY: True})
    with Session(bind=engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response is sent, so a failed commit is never a silent loss.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# For a StreamingResponse that reads as it sends: open until the last byte is sent.
ReadingSessionDep = Annotated[Session, Depends(get_reading_session, scope="request")]


def contains_control_characters(value: str) -> bool:
    return any(ch in _FORBIDDEN_CODEPOINTS for ch in value)


async def form_fields(request: Request) -> dict[str, list[str]]:
    """The submitted form's text fields, parsed once per request and checked for binary junk."""
    cached: dict[str, list[str]] | None = getattr(request.state, "form_fields", None)
    if cached is not None:
        return cached
    content_type = request.headers.get("content-type", "")
    fields: dict[str, list[str]] = {}
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            form = await request.form(max_part_size=MAX_FORM_FIELD_BYTES)
        except MultiPartException as exc:
            raise BadRequest(_("The form could not be read. Please try again.")) from exc
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                continue
            if contains_control_characters(value) or contains_control_characters(name):
                raise BadRequest(_("The form contains characters that are not allowed. Remove them and try again."))
            fields.setdefault(name, []).append(value)
    request.state.form_fields = fields
    return fields


async def form_data(request: Request) -> dict[str, str]:
    """Single-valued view of the form: the last value wins, as browsers send one per field."""
    return {name: values[-1] for name, values in (await form_fields(request)).items()}


FormData = Annotated[dict[str, str], Depends(form_data)]
