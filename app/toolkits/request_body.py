"""Pulling a request's body chunk by chunk from a synchronous route, with a cap on the whole body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio.from_thread
from fastapi import Request

from app.toolkits.storage import FileTooLarge


def body_chunks(request: Request, *, max_total_bytes: int) -> Iterator[bytes]:
    """The body as it arrives. Sync routes run in a worker thread, so each chunk is awaited on the event loop.

    The per-file limit is enforced by storage; this cap bounds what refused files can make us read.
    """
    stream: AsyncIterator[bytes] = request.stream()

    async def next_chunk() -> bytes | None:
        try:
            return await anext(stream)
        except StopAsyncIteration:
            return None

    received = 0
    while (chunk := anyio.from_thread.run(next_chunk)) is not None:
        received += len(chunk)
        if received > max_total_bytes:
            raise FileTooLarge(max_total_bytes)
        if chunk:
            yield chunk
