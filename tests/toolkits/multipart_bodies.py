"""Multipart/form-data bodies built chunk by chunk, as a browser would send them, for the upload tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

BOUNDARY = "----klasteris-test-boundary-7d1f"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def field(name: str, value: str) -> Iterator[bytes]:
    yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()


def file(
    name: str, filename: str, chunks: Iterable[bytes], content_type: str = "application/octet-stream"
) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    yield from chunks
    yield b"\r\n"


def end() -> Iterator[bytes]:
    yield f"--{BOUNDARY}--\r\n".encode()


def rechunk(parts: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The same bytes in pieces of `size`, so boundaries and headers fall across chunk edges."""
    buffer = bytearray()
    for part in parts:
        buffer += part
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def repeated(block: bytes, total: int) -> Iterator[bytes]:
    """`total` bytes made of `block`, generated lazily (a 200 MB upload never exists in memory)."""
    sent = 0
    while sent < total:
        piece = block[: total - sent]
        sent += len(piece)
        yield piece
