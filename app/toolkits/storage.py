"""Where uploaded files live: one small interface, a local-folder and an S3-compatible implementation.

Files are written from a stream of chunks, so no upload is ever held whole in memory; the size limit
is enforced while writing, and a refused or failed upload leaves nothing behind. Keys are random and
chosen here: a user's file name never becomes a path or an object name.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK_BYTES = 1024 * 1024


class FileTooLarge(Exception):
    """The stream passed the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class StoredFileMissing(Exception):
    pass


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


def new_key() -> str:
    """A random storage key, fanned out over 256 folders so no directory grows huge."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}"


class Storage(Protocol):
    def save(self, chunks: Iterable[bytes], *, max_bytes: int) -> StoredFile:
        """Store the stream under a new key; raises FileTooLarge (storing nothing) past `max_bytes`."""
        ...

    def size(self, key: str) -> int: ...

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes from `start` to `end` inclusive (the whole file by default), in chunks."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file; removing a missing file is not an error (purges may run twice)."""
        ...

    def exists(self, key: str) -> bool: ...


class _Digest:
    """Counts and hashes bytes as they pass, and stops the stream at the limit."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.sha256 = hashlib.sha256()

    def take(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise FileTooLarge(self.max_bytes)
        self.sha256.update(chunk)
        return chunk


class LocalStorage:
    """Files under one folder (default `var/uploads`); several app servers may share it on a network volume."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StoredFileMissing(key)  # keys are ours, but a bad one must never reach outside the folder
        return path

    def save(self, chunks: Iterable[bytes], *, max_bytes: int) -> StoredFile:
        key = new_key()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        digest = _Digest(max_bytes)
        try:
            with partial.open("xb") as target:
                for chunk in chunks:
                    target.write(digest.take(chunk))
                target.flush()
                os.fsync(target.fileno())
            partial.rename(path)  # appears whole or not at all
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=digest.size, sha256=digest.sha256.hexdigest())

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as error:
            raise StoredFileMissing(key) from error

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError as error:
            raise StoredFileMissing(key) from error
        return self._chunks(handle, start, end)

    @staticmethod
    def _chunks(handle: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
        with handle:
            handle.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = handle.read(CHUNK_BYTES if remaining is None else min(CHUNK_BYTES, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except StoredFileMissing:
            return False
