"""Uploads in an S3-compatible bucket (AWS S3, MinIO, Ceph...), behind the same contract as LocalStorage.

Uploads stream: bytes are hashed, counted and sent a part at a time, so at most one part (8 MiB) is
held in memory. A refused or failed upload aborts its multipart upload, so the bucket keeps nothing.
If even the abort fails (the network is gone), a bucket lifecycle rule `AbortIncompleteMultipartUpload`
is the safety net; operators should set one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import suppress
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from app.toolkits.storage import CHUNK_BYTES, StoredFile, StoredFileMissing, _Digest, new_key

# S3 refuses parts under 5 MiB except the last; 8 MiB parts allow files up to ~80 GB (10,000 parts).
PART_BYTES = 8 * 1024 * 1024

# HEAD answers carry no body, so botocore reports a missing object as a bare "404".
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class _ObjectUpload:
    """One object being written: a single put_object when it fits in one part, else a multipart upload."""

    def __init__(self, client: BaseClient, bucket: str, name: str) -> None:
        self.client = client
        self.bucket = bucket
        self.name = name
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.finishing = False

    def send_part(self, part: bytearray) -> None:
        if self.upload_id is None:
            created = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.name)
            self.upload_id = created["UploadId"]
        number = len(self.parts) + 1
        sent = self.client.upload_part(
            Bucket=self.bucket, Key=self.name, UploadId=self.upload_id, PartNumber=number, Body=part
        )
        self.parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def finish(self, last_part: bytearray) -> None:
        self.finishing = True
        if self.upload_id is None:
            self.client.put_object(Bucket=self.bucket, Key=self.name, Body=last_part)
            return
        if last_part:
            self.send_part(last_part)
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.name, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )

    def abandon(self) -> None:
        """Best effort: the original error matters more than a failed clean-up, so clean-up errors are swallowed."""
        if self.upload_id is not None:
            with suppress(ClientError, BotoCoreError):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.name, UploadId=self.upload_id)
        if self.finishing:  # the put or the completion may have landed before the error reached us
            with suppress(ClientError, BotoCoreError):
                self.client.delete_object(Bucket=self.bucket, Key=self.name)


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()  # hands the connection back to the pool even when the reader stops early


class S3Storage:
    """Files as objects in one bucket, optionally under a key prefix (e.g. "toolkits/")."""

    def __init__(self, client: BaseClient, bucket: str, *, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    def _object_name(self, key: str) -> str:
        # Object names are flat, but ".." in a path-style URL can be normalised by a proxy into another bucket.
        if any(segment in ("", ".", "..") for segment in key.split("/")):
            raise StoredFileMissing(key)
        return self.prefix + key

    def save(self, chunks: Iterable[bytes], *, max_bytes: int) -> StoredFile:
        key = new_key()
        upload = _ObjectUpload(self.client, self.bucket, self._object_name(key))
        digest = _Digest(max_bytes)
        part = bytearray()
        try:
            for chunk in chunks:
                remaining = memoryview(digest.take(chunk))
                while remaining:
                    if len(part) == PART_BYTES:
                        # Sent only once more bytes arrive, so a file of exactly one part is a single put.
                        upload.send_part(part)
                        part = bytearray()
                    room = PART_BYTES - len(part)
                    part += remaining[:room]
                    remaining = remaining[room:]
            upload.finish(part)
        except BaseException:
            upload.abandon()
            raise
        return StoredFile(key=key, size=digest.size, sha256=digest.sha256.hexdigest())

    def _head(self, key: str) -> dict[str, Any]:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._object_name(key))
        except ClientError as error:
            if _error_code(error) in _MISSING_CODES:
                raise StoredFileMissing(key) from error
            raise

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        name = self._object_name(key)
        if end is not None and end < start:
            # S3 ignores a malformed range and would send the whole object; an empty span still needs the file.
            self._head(key)
            return iter(())
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": name}
        if start > 0 or end is not None:
            request["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = self.client.get_object(**request)
        except ClientError as error:
            code = _error_code(error)
            if code in _MISSING_CODES:
                raise StoredFileMissing(key) from error
            if code == "InvalidRange":  # starts past the end (or the file is empty): nothing to send
                return iter(())
            raise
        return _body_chunks(response["Body"])

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._object_name(key))
        except ClientError as error:
            if _error_code(error) not in _MISSING_CODES:  # S3 itself answers 204; some look-alikes say 404
                raise

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except StoredFileMissing:
            return False
        return True
