"""Which files may be uploaded: decided by their content (magic bytes) and their name's extension together.

A name alone proves nothing (an executable renamed `.pdf`), and content alone would let a `.exe`
name through for a ZIP; both must agree on an allowed kind.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype

SNIFF_BYTES = 8192  # enough for every signature below, office formats included
MAX_NAME_LENGTH = 180


@dataclass(frozen=True)
class FileKind:
    name: str  # what the interface calls it, e.g. "PDF"
    mime: str
    extensions: tuple[str, ...]


_OFFICE = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
ALLOWED: dict[str, FileKind] = {
    kind.extensions[0]: kind
    for kind in (
        FileKind("PDF", "application/pdf", ("pdf",)),
        FileKind("Word", f"{_OFFICE}.wordprocessingml.document", ("docx",)),
        FileKind("PowerPoint", f"{_OFFICE}.presentationml.presentation", ("pptx",)),
        FileKind("Excel", f"{_OFFICE}.spreadsheetml.sheet", ("xlsx",)),
        FileKind("OpenDocument text", f"{_ODF}.text", ("odt",)),
        FileKind("OpenDocument presentation", f"{_ODF}.presentation", ("odp",)),
        FileKind("OpenDocument spreadsheet", f"{_ODF}.spreadsheet", ("ods",)),
        FileKind("ZIP", "application/zip", ("zip",)),
        FileKind("PNG", "image/png", ("png",)),
        FileKind("JPEG", "image/jpeg", ("jpg", "jpeg")),
        FileKind("MP4", "video/mp4", ("mp4",)),
        FileKind("Text", "text/plain", ("txt",)),
        FileKind("Markdown", "text/markdown", ("md",)),
    )
}
_BY_EXTENSION = {extension: kind for kind in ALLOWED.values() for extension in kind.extensions}
_TEXT_KINDS = {"txt", "md"}


def allowed_extensions() -> list[str]:
    return sorted(_BY_EXTENSION)


def extension_of(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower().lstrip(".")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may end in the middle of a character; anything else is not UTF-8 text.
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True


def detect_kind(head: bytes, filename: str) -> FileKind | None:
    """The allowed kind the file's first bytes and name agree on, or None to refuse it."""
    kind = _BY_EXTENSION.get(extension_of(filename))
    if kind is None:
        return None
    if kind.extensions[0] in _TEXT_KINDS:
        return kind if _looks_like_text(head) and filetype.guess(head) is None else None
    # Office documents are ZIP archives with known first entries, so a plain ZIP renamed .docx is refused.
    guessed = filetype.guess(head)
    return kind if guessed is not None and guessed.mime == kind.mime else None


# Characters that must not reach a page or a header: controls, and direction overrides that disguise names.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def display_name(filename: str) -> str:
    """A file name safe to show and to offer on download: last path part only, no controls, bounded length.

    It is only ever shown; files are stored under random keys.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        char for char in unicodedata.normalize("NFC", base) if unicodedata.category(char) not in _INVISIBLE_CATEGORIES
    ).strip(" .")
    if not cleaned:
        cleaned = "file"
    if len(cleaned) > MAX_NAME_LENGTH:
        stem, dot, extension = cleaned.rpartition(".")
        keep = MAX_NAME_LENGTH - len(extension) - 1 if dot and len(extension) <= 10 else MAX_NAME_LENGTH
        cleaned = f"{stem[:keep]}.{extension}" if dot and len(extension) <= 10 else cleaned[:MAX_NAME_LENGTH]
    return cleaned
