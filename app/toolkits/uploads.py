"""Receiving uploaded files: each file is checked by its first bytes and name, then streamed into storage.

Nothing is read whole into memory: the first few kilobytes decide whether the file is allowed, and
the rest passes through in the chunks the client sends. A file above the limit stops the request
and every file already stored for it is removed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from app.toolkits.file_types import SNIFF_BYTES, FileKind, detect_kind, display_name
from app.toolkits.multipart_stream import MultipartStream
from app.toolkits.storage import FileTooLarge, Storage, StoredFile

MAX_FILES_PER_UPLOAD = 20


@dataclass(frozen=True)
class ReceivedFile:
    field: str
    name: str  # the display name (sanitised); never a path
    kind: FileKind
    stored: StoredFile


@dataclass(frozen=True)
class RefusedFile:
    name: str
    reason: str  # "type", "empty" or "count"


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[ReceivedFile] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)


def _head_and_rest(chunks: Iterator[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """The first SNIFF_BYTES (or the whole file if shorter), and an iterator over everything after them."""
    head = bytearray()
    for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    return bytes(head), chunks


class UploadTooLarge(FileTooLarge):
    """A file (or the whole body) passed the limit; carries what the form had said so far, to show it again."""

    def __init__(self, limit: int, *, fields: dict[str, str], file_name: str) -> None:
        super().__init__(limit)
        self.fields = fields
        self.file_name = file_name


FieldsCheck = Callable[[dict[str, str]], None]


def receive_form(
    stream: MultipartStream, *, storage: Storage, max_bytes: int, check_fields: FieldsCheck | None = None
) -> ReceivedForm:
    """Text fields and allowed files of a multipart body; raises FileTooLarge after removing what it stored.

    `check_fields` sees the text fields sent before the first file (or all of them, when no file came)
    and may raise to stop the request before anything is stored: forms put their CSRF token first.
    """
    form = ReceivedForm()
    checked = check_fields is None
    name = ""
    try:
        for part in stream.parts():
            if part.filename is None:
                form.fields[part.name] = stream.text()
                continue
            if not checked and check_fields is not None:
                check_fields(form.fields)
                checked = True
            if not part.filename and not part.content_type:
                stream.text()  # an empty file input: the browser sends a nameless, empty part
                continue
            name = display_name(part.filename)
            data = stream.data()
            if len(form.files) >= MAX_FILES_PER_UPLOAD:
                _drain(data)
                form.refused.append(RefusedFile(name, "count"))
                continue
            head, rest = _head_and_rest(data)
            kind = detect_kind(head, name) if head else None
            if kind is None:
                _drain(rest)
                form.refused.append(RefusedFile(name, "type" if head else "empty"))
                continue
            stored = storage.save(chain([head], rest), max_bytes=max_bytes)
            form.files.append(ReceivedFile(field=part.name, name=name, kind=kind, stored=stored))
        if not checked and check_fields is not None:
            check_fields(form.fields)
    except BaseException as error:
        for received in form.files:
            storage.delete(received.stored.key)
        if isinstance(error, FileTooLarge) and not isinstance(error, UploadTooLarge):
            raise UploadTooLarge(error.limit, fields=form.fields, file_name=name) from error
        raise
    return form


def _drain(chunks: Iterator[bytes]) -> None:
    """Read past a refused file without keeping it (the next part follows it in the body)."""
    for _chunk in chunks:
        pass


__all__ = ["FileTooLarge", "ReceivedFile", "ReceivedForm", "RefusedFile", "UploadTooLarge", "receive_form"]
