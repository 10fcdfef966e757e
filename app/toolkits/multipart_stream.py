"""Reading a multipart/form-data body as it arrives, one part at a time, without spooling files anywhere.

Starlette's `request.form()` writes every uploaded file to a temporary file before the handler runs, so
a size limit could only be checked after the whole upload had been received. Here the handler pulls
the body chunk by chunk and hands each file's bytes straight to storage, which stops at the limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 64 * 1024  # ordinary text fields (titles, descriptions, the CSRF token)


class MalformedUpload(Exception):
    """The body is not multipart/form-data, or is broken or cut off."""


@dataclass
class Part:
    name: str
    filename: str | None  # None for a text field
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Events:
    queue: deque[tuple[str, object]] = field(default_factory=deque)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    headers: dict[str, str] = field(default_factory=dict)


class MultipartStream:
    """Iterate over `parts()`; for each, read its bytes with `data()` (files) or `text()` (fields) before the next."""

    def __init__(self, body: Iterator[bytes], content_type: str) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise MalformedUpload("expected multipart/form-data with a boundary")
        self._body = body
        self._events = _Events()
        self._finished = False
        self._parser = MultipartParser(boundary, self._callbacks())

    def _callbacks(self) -> dict[str, object]:
        events = self._events

        def on_part_begin() -> None:
            events.headers = {}

        def on_header_field(data: bytes, start: int, end: int) -> None:
            events.header_field += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            events.header_value += data[start:end]

        def on_header_end() -> None:
            name = events.header_field.decode("latin-1").strip().lower()
            # Latin-1 keeps the raw bytes: browsers send UTF-8 file names unencoded, decoded after parsing.
            events.headers[name] = events.header_value.decode("latin-1").strip()
            events.header_field.clear()
            events.header_value.clear()

        def on_headers_finished() -> None:
            events.queue.append(("part", dict(events.headers)))

        def on_part_data(data: bytes, start: int, end: int) -> None:
            events.queue.append(("data", bytes(data[start:end])))

        def on_part_end() -> None:
            events.queue.append(("end", None))

        return {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        }

    def _next_event(self) -> tuple[str, object] | None:
        while not self._events.queue:
            if self._finished:
                return None
            chunk = next(self._body, None)
            try:
                if chunk is None:
                    self._parser.finalize()
                    self._finished = True
                else:
                    self._parser.write(chunk)
            except Exception as error:  # the parser's own errors: a broken body, not our bug
                raise MalformedUpload(str(error)) from error
        return self._events.queue.popleft()

    def parts(self) -> Iterator[Part]:
        while True:
            event = self._next_event()
            if event is None:
                return
            kind, value = event
            if kind != "part":
                continue  # data of a part the caller skipped
            headers: dict[str, str] = value  # type: ignore[assignment]
            disposition, options = parse_options_header(headers.get("content-disposition", ""))
            if disposition != b"form-data" or b"name" not in options:
                raise MalformedUpload("a part without a form-data name")
            filename = options.get(b"filename")
            yield Part(
                name=options[b"name"].decode("utf-8", "replace"),
                filename=filename.decode("utf-8", "replace") if filename is not None else None,
                content_type=headers.get("content-type", "").encode("latin-1").decode("utf-8", "replace"),
                headers=headers,
            )

    def data(self) -> Iterator[bytes]:
        """The current part's bytes, as they arrive; ends at the part's end."""
        while True:
            event = self._next_event()
            if event is None:
                raise MalformedUpload("the body ended inside a part")
            kind, value = event
            if kind == "end":
                return
            if kind == "data" and value:
                yield value  # type: ignore[misc]

    def text(self) -> str:
        """The current part as text (a form field), refused above MAX_FIELD_BYTES."""
        collected = bytearray()
        for chunk in self.data():
            collected += chunk
            if len(collected) > MAX_FIELD_BYTES:
                raise MalformedUpload("a text field is too long")
        return collected.decode("utf-8", "replace")
