"""Serving a stored file: whole or by byte range, with a validator so browsers and proxies can revalidate.

Stored files never change (a new upload is a new version under a new key), so the file's SHA-256 is a
strong ETag, and a resumed download can safely continue from where it stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from app.core.responses import attachment_disposition
from app.toolkits.storage import Storage

_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range asked for, or None to send the whole file (no header, or one we do not serve).

    Several ranges in one request (multipart/byteranges) are answered with the whole file, which the
    standard allows; download managers and media players ask for one range at a time.
    """
    if not header:
        return None
    match = _SINGLE_RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "bytes=-500": the last 500 bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable()
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable()
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return None  # a malformed range is ignored, not refused (RFC 9110, 14.2)
    return ByteRange(start, end)


@dataclass(frozen=True)
class FileToSend:
    key: str
    size: int
    sha256: str
    mime: str
    file_name: str


def _etag(file: FileToSend) -> str:
    return f'"{file.sha256}"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    return header.strip() == "*" or etag in [candidate.strip().removeprefix("W/") for candidate in header.split(",")]


def not_modified(request: Request, file: FileToSend) -> bool:
    return _matches(request.headers.get("if-none-match"), _etag(file))


def wanted_range(request: Request, file: FileToSend) -> ByteRange | None:
    """The range to send; an If-Range naming another version means the client's part is stale: send it all."""
    if_range = request.headers.get("if-range")
    if if_range and if_range.strip() != _etag(file):
        return None
    return parse_range(request.headers.get("range"), file.size)


def file_response(storage: Storage, file: FileToSend, byte_range: ByteRange | None) -> Response:
    media_type = f"{file.mime}; charset=utf-8" if file.mime.startswith("text/") else file.mime
    headers = {
        "Content-Disposition": attachment_disposition(file.file_name),
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
        "ETag": _etag(file),
        # Only for this person's browser, and checked with us (the ETag) before each reuse.
        "Cache-Control": "private, no-cache",
    }
    if byte_range is None:
        headers["Content-Length"] = str(file.size)
        return StreamingResponse(storage.read(file.key), status_code=200, media_type=media_type, headers=headers)
    headers["Content-Length"] = str(byte_range.length)
    headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{file.size}"
    return StreamingResponse(
        storage.read(file.key, start=byte_range.start, end=byte_range.end),
        status_code=206,
        media_type=media_type,
        headers=headers,
    )


def not_modified_response(file: FileToSend) -> Response:
    return Response(status_code=304, headers={"ETag": _etag(file), "Cache-Control": "private, no-cache"})


def range_not_satisfiable_response(file: FileToSend) -> Response:
    return Response(
        status_code=416, headers={"Content-Range": f"bytes */{file.size}", "X-Content-Type-Options": "nosniff"}
    )
