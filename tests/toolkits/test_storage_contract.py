"""The storage contract: a local folder and an S3 bucket store, read, refuse and delete files alike."""

from __future__ import annotations

import hashlib
import random
import re
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient

from app.core.config import Settings
from app.toolkits.backends import make_s3_client, make_storage
from app.toolkits.s3_storage import PART_BYTES, S3Storage
from app.toolkits.storage import CHUNK_BYTES, FileTooLarge, LocalStorage, Storage, StoredFileMissing, new_key
from tests.toolkits.conftest import create_bucket, empty_and_remove_bucket, random_bucket_name, s3_settings

MiB = 1024 * 1024
NO_LIMIT = 64 * MiB
Leftovers = Callable[[], list[str]]


def pattern_chunks(total: int, *, chunk_size: int = MiB + 7, seed: int = 0) -> Iterator[bytes]:
    """`total` repeatable pseudo-random bytes, a chunk at a time; the odd size puts part edges mid-chunk."""
    rng = random.Random(seed)
    left = total
    while left > 0:
        size = min(chunk_size, left)
        yield rng.randbytes(size)
        left -= size


def size_and_sha256(chunks: Iterable[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def read_bytes(storage: Storage, key: str, *, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(storage.read(key, start=start, end=end))


def bounded_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Passes chunks through, checking that a read streams rather than returning one huge block."""
    for chunk in chunks:
        assert len(chunk) <= CHUNK_BYTES
        yield chunk


@pytest.mark.parametrize(
    "size",
    [0, 1, CHUNK_BYTES, PART_BYTES, PART_BYTES + 1, 20 * MiB + 5],
    ids=["empty", "one-byte", "one-chunk", "one-part", "one-part-plus-one", "multipart-20MiB"],
)
def test_round_trip_returns_identical_bytes_hash_and_size(storage: Storage, size: int) -> None:
    expected = size_and_sha256(pattern_chunks(size))

    stored = storage.save(pattern_chunks(size), max_bytes=NO_LIMIT)

    assert (stored.size, stored.sha256) == expected
    assert storage.size(stored.key) == size
    assert storage.exists(stored.key)
    assert size_and_sha256(bounded_chunks(storage.read(stored.key))) == expected


def test_save_and_read_hold_at_most_about_one_part_in_memory(storage: Storage) -> None:
    tracemalloc.start()
    try:
        stored = storage.save(pattern_chunks(3 * PART_BYTES), max_bytes=NO_LIMIT)
        _, saving_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        size_and_sha256(storage.read(stored.key))
        _, reading_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # One S3 part (8 MiB) plus the chunk in flight; a 24 MiB file held whole would show 24 MiB or more.
    assert saving_peak < PART_BYTES + 4 * MiB
    assert reading_peak < 4 * MiB


def test_empty_file_has_the_hash_of_nothing(storage: Storage) -> None:
    stored = storage.save([], max_bytes=NO_LIMIT)

    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert read_bytes(storage, stored.key) == b""


def test_ranged_reads_return_exactly_the_requested_bytes(storage: Storage) -> None:
    content = random.Random(1).randbytes(PART_BYTES + MiB)  # two parts on S3
    stored = storage.save((content[at : at + MiB + 7] for at in range(0, len(content), MiB + 7)), max_bytes=NO_LIMIT)
    last = len(content) - 1
    spans: dict[str, tuple[int, int | None]] = {
        "first byte": (0, 0),
        "last byte": (last, last),
        "middle span": (1000, 200_000),
        "start equals end": (12_345, 12_345),
        "across the part boundary": (PART_BYTES - 10, PART_BYTES + 10),
        "across a read chunk boundary": (CHUNK_BYTES - 1, CHUNK_BYTES),
        "open end": (last - 99, None),
        "end past the size": (last - 4, last + 100),
    }

    for name, (start, end) in spans.items():
        expected = content[start : None if end is None else end + 1]
        assert read_bytes(storage, stored.key, start=start, end=end) == expected, name


def test_spans_outside_the_file_read_nothing(storage: Storage) -> None:
    stored = storage.save([b"0123456789"], max_bytes=NO_LIMIT)

    assert read_bytes(storage, stored.key, start=10) == b""
    assert read_bytes(storage, stored.key, start=20, end=30) == b""
    assert read_bytes(storage, stored.key, start=5, end=4) == b""  # not the whole file, as S3 would send


@pytest.mark.parametrize("limit", [1024, PART_BYTES + MiB + 3], ids=["small", "past-one-part"])
def test_limit_refuses_one_byte_more_and_accepts_exactly_the_limit(
    storage: Storage, leftovers: Leftovers, limit: int
) -> None:
    with pytest.raises(FileTooLarge) as refused:
        storage.save(pattern_chunks(limit + 1), max_bytes=limit)
    assert refused.value.limit == limit
    assert leftovers() == []

    stored = storage.save(pattern_chunks(limit), max_bytes=limit)

    assert stored.size == limit
    assert leftovers() == [stored.key]


@pytest.mark.parametrize("sent_before_failure", [10, PART_BYTES + MiB], ids=["early", "after-a-part"])
def test_stream_failing_midway_leaves_nothing(storage: Storage, leftovers: Leftovers, sent_before_failure: int) -> None:
    def broken_upload() -> Iterator[bytes]:
        yield from pattern_chunks(sent_before_failure)
        raise ConnectionResetError("the browser went away")

    with pytest.raises(ConnectionResetError):
        storage.save(broken_upload(), max_bytes=NO_LIMIT)

    assert leftovers() == []


def test_identical_content_gets_distinct_random_keys(storage: Storage) -> None:
    first = storage.save([b"same handout"], max_bytes=NO_LIMIT)
    second = storage.save([b"same handout"], max_bytes=NO_LIMIT)

    assert first.key != second.key
    assert first.sha256 == second.sha256  # duplicates are recognised by hash, not by key
    for key in (first.key, second.key):
        assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", key)
        assert read_bytes(storage, key) == b"same handout"


def test_deleted_file_is_gone_and_deleting_again_is_harmless(storage: Storage, leftovers: Leftovers) -> None:
    stored = storage.save([b"old version"], max_bytes=NO_LIMIT)

    storage.delete(stored.key)
    storage.delete(stored.key)  # purges may run twice
    storage.delete(new_key())  # and may meet files that were never there

    assert not storage.exists(stored.key)
    assert leftovers() == []
    with pytest.raises(StoredFileMissing):
        storage.size(stored.key)


def test_missing_key_raises_stored_file_missing(storage: Storage) -> None:
    missing = new_key()

    assert not storage.exists(missing)
    with pytest.raises(StoredFileMissing):
        storage.size(missing)
    # Raised on the call, before any chunk: a download must answer 404 before it sends headers.
    with pytest.raises(StoredFileMissing):
        storage.read(missing)
    with pytest.raises(StoredFileMissing):
        storage.read(missing, start=3, end=9)


@pytest.mark.parametrize("key", ["../outside.txt", "ab/../../outside.txt", "/etc/passwd", "ab//../../outside.txt"])
def test_keys_cannot_reach_outside_the_storage(storage: Storage, tmp_path: Path, key: str) -> None:
    outside = tmp_path / "outside.txt"  # the local root is tmp_path/uploads, so "../outside.txt" would hit this
    outside.write_text("not yours")
    storage.save([b"make the root exist"], max_bytes=NO_LIMIT)

    with pytest.raises(StoredFileMissing):
        storage.size(key)
    with pytest.raises(StoredFileMissing):
        storage.read(key)
    with pytest.raises(StoredFileMissing):
        storage.delete(key)
    assert outside.read_text() == "not yours"


def test_s3_sends_a_file_of_one_part_whole_and_larger_files_in_parts(s3_client: BaseClient) -> None:
    bucket = random_bucket_name()
    create_bucket(s3_client, bucket)
    storage = S3Storage(s3_client, bucket, prefix="toolkits")
    try:
        whole = storage.save(pattern_chunks(PART_BYTES), max_bytes=NO_LIMIT)
        parted = storage.save(pattern_chunks(2 * PART_BYTES + 5), max_bytes=NO_LIMIT)

        # A multipart object's ETag ends in "-<number of parts>"; a single put's does not.
        assert "-" not in s3_client.head_object(Bucket=bucket, Key=f"toolkits/{whole.key}")["ETag"]
        head = s3_client.head_object(Bucket=bucket, Key=f"toolkits/{parted.key}")
        assert head["ETag"].strip('"').endswith("-3")
        first_part = s3_client.head_object(Bucket=bucket, Key=f"toolkits/{parted.key}", PartNumber=1)
        assert first_part["ContentLength"] == PART_BYTES
        assert storage.size(parted.key) == 2 * PART_BYTES + 5
    finally:
        empty_and_remove_bucket(s3_client, bucket)


def test_make_storage_builds_a_local_folder_by_default(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, var_dir=tmp_path / "var")  # type: ignore[call-arg]

    storage = make_storage(settings)

    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "var" / "uploads"


def test_make_storage_builds_an_s3_bucket_store_that_works(moto_endpoint: str, s3_client: BaseClient) -> None:
    bucket = random_bucket_name()
    create_bucket(s3_client, bucket)
    try:
        storage = make_storage(s3_settings(moto_endpoint, bucket))

        assert isinstance(storage, S3Storage)
        assert storage.bucket == bucket
        config = storage.client.meta.config
        assert config.signature_version == "s3v4"
        assert config.s3 == {"addressing_style": "path"}
        assert storage.client.meta.region_name == "eu-north-1"
        stored = storage.save([b"via settings"], max_bytes=NO_LIMIT)
        assert read_bytes(storage, stored.key) == b"via settings"
    finally:
        empty_and_remove_bucket(s3_client, bucket)


def test_s3_client_without_keys_uses_boto3_credential_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = Settings(_env_file=None, storage_backend="s3", s3_bucket="klasteris-files")  # type: ignore[call-arg]

    client = make_s3_client(settings)

    credentials = client._request_signer._credentials  # no request is made: only how the client was built
    assert credentials.access_key == "from-the-environment"
    assert client.meta.endpoint_url == "https://s3.eu-north-1.amazonaws.com"
    assert not (client.meta.config.s3 or {}).get("addressing_style")  # AWS itself: virtual-host style


def test_settings_refuse_half_a_key_pair() -> None:
    with pytest.raises(ValueError, match="both"):
        Settings(_env_file=None, storage_backend="s3", s3_bucket="b", s3_access_key_id="only-id")  # type: ignore[call-arg]
