"""Builds the upload storage the settings ask for: a local folder or an S3-compatible bucket."""

from __future__ import annotations

from typing import Annotated, Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from fastapi import Depends, Request

from app.core.config import Settings
from app.toolkits.s3_storage import S3Storage
from app.toolkits.storage import LocalStorage, Storage


def make_storage(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:  # Settings refuses this already; this keeps the type checker honest
            raise ValueError("KLASTERIS_S3_BUCKET must be set when KLASTERIS_STORAGE_BACKEND is s3")
        return S3Storage(make_s3_client(settings), settings.s3_bucket)
    return LocalStorage(settings.uploads_path)


def make_s3_client(settings: Settings) -> BaseClient:
    """A client for AWS S3, or for any S3-compatible server when an endpoint URL is set."""
    credentials: dict[str, Any] = {}
    if settings.s3_access_key_id and settings.s3_secret_access_key:  # Settings refuses half a pair
        credentials = {
            "aws_access_key_id": settings.s3_access_key_id,
            "aws_secret_access_key": settings.s3_secret_access_key.get_secret_value(),
        }
    # Neither given: boto3's own chain (environment, ~/.aws, instance or container role) supplies them.
    config = Config(
        signature_version="s3v4",
        # MinIO, Ceph and moto serve buckets under the path, not as DNS subdomains of the endpoint.
        s3={"addressing_style": "path"} if settings.s3_endpoint_url else {},
        retries={"mode": "standard"},
        # Since botocore 1.36 every upload carries extra CRC checksum headers that many S3 look-alikes reject.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # A session of our own: boto3's default session is process-global and not safe to share between threads.
    session = boto3.session.Session()
    return session.client(
        "s3",
        region_name=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url or None,
        config=config,
        **credentials,
    )


def get_storage(request: Request) -> Storage:
    """The app's upload storage, built once from its settings."""
    storage: Storage | None = getattr(request.app.state, "storage", None)
    if storage is None:
        storage = request.app.state.storage = make_storage(request.app.state.settings)
    return storage


StorageDep = Annotated[Storage, Depends(get_storage)]
