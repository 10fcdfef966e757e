"""Storage fixtures: every contract test runs on a local folder and on an S3 bucket served by moto.

moto's standalone server is a protocol emulator of S3, not AWS: it runs on loopback, keeps objects in
memory, and accepts any credentials. The tests speak the real S3 HTTP protocol to it through boto3
(signed requests, multipart uploads, ranged GETs), so what passes here is the wire behaviour, not a mock
of our own client calls. No test ever reaches AWS or uses real credentials.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botocore.client import BaseClient

from app.core.config import Settings
from app.toolkits.backends import make_s3_client
from app.toolkits.s3_storage import S3Storage
from app.toolkits.storage import LocalStorage, Storage

# Dummy values: moto checks the signature's shape, not who signed it.
DUMMY_ACCESS_KEY_ID = "testing-access-key"
DUMMY_SECRET_ACCESS_KEY = "testing-secret-key"
S3_REGION = "eu-north-1"
SERVER_START_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# urllib honours *_proxy variables; loopback must never go through a proxy.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _answers(url: str) -> bool:
    try:
        with _DIRECT.open(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto S3 server on loopback, started once per test session (per xdist worker)."""
    server = Path(sys.executable).parent / "moto_server"
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None or not server.exists():
        reason = "moto's standalone server is not installed (pip install 'moto[server]'); S3 tests need it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the S3 backend must be tested)", pytrace=False)
        pytest.skip(reason)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _answers(f"{url}/moto-api/"):
            if process.poll() is not None:
                pytest.fail(f"moto_server exited with {process.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"moto_server did not answer within {SERVER_START_SECONDS}s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def s3_settings(endpoint: str, bucket: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "storage_backend": "s3",
        "s3_bucket": bucket,
        "s3_endpoint_url": endpoint,
        "s3_region": S3_REGION,
        "s3_access_key_id": DUMMY_ACCESS_KEY_ID,
        "s3_secret_access_key": DUMMY_SECRET_ACCESS_KEY,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def random_bucket_name() -> str:
    return f"klasteris-test-{secrets.token_hex(6)}"


def create_bucket(client: BaseClient, bucket: str) -> None:
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION})


def empty_and_remove_bucket(client: BaseClient, bucket: str) -> None:
    """Frees moto's memory: objects stay in the server process for the whole session otherwise."""
    for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(scope="session")
def s3_client(moto_endpoint: str) -> BaseClient:
    """One client for the session: building one costs ~0.3 s, and clients are safe to share."""
    return make_s3_client(s3_settings(moto_endpoint, "unused"))


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """The backend under test: a fresh folder, or a fresh bucket with a random name."""
    if request.param == "local":
        yield LocalStorage(tmp_path / "uploads")
        return
    client: BaseClient = request.getfixturevalue("s3_client")
    bucket = random_bucket_name()
    create_bucket(client, bucket)
    try:
        yield S3Storage(client, bucket)
    finally:
        empty_and_remove_bucket(client, bucket)


@pytest.fixture
def leftovers(storage: Storage) -> Callable[[], list[str]]:
    """Lists everything the backend holds: hidden partial files, objects, and unfinished multipart uploads."""

    def stored_names() -> list[str]:
        if isinstance(storage, LocalStorage):
            if not storage.root.exists():
                return []
            return sorted(str(path.relative_to(storage.root)) for path in storage.root.rglob("*") if path.is_file())
        assert isinstance(storage, S3Storage)
        client, bucket = storage.client, storage.bucket
        objects = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        uploads = [f"upload:{item['Key']}" for item in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
        return sorted(objects + uploads)

    return stored_names
