"""Application settings, read from KLASTERIS_* environment variables."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LOCALES = ("lt", "en", "nb")
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Every setting has a safe development default; production must set the secret and database."""

    model_config = SettingsConfigDict(env_prefix="KLASTERIS_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/klasteris.db"
    secret_key: SecretStr | None = None
    var_dir: Path = Path("var")
    upload_dir: Path | None = None
    upload_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    # Where uploaded files are kept: a local (or network-mounted) folder, or an S3-compatible bucket.
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # empty for AWS itself; set for MinIO, Ceph, other providers
    s3_region: str = "eu-north-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    content_dir: Path = Path("content")
    default_locale: str = "lt"
    locales: Annotated[tuple[str, ...], NoDecode] = SUPPORTED_LOCALES
    base_url: str = "http://127.0.0.1:8000"

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    mail_from: str = "Klasteris <no-reply@klasteris.local>"
    outbox_dir: Path | None = None

    session_idle_minutes: int = Field(default=8 * 60, ge=5)
    session_max_days: int = Field(default=14, ge=1)
    password_reset_minutes: int = Field(default=60, ge=5)
    invitation_days: int = Field(default=14, ge=1)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Requests per API token per minute (a fixed window kept on the token's row, shared by every worker).
    api_rate_limit_per_minute: int = Field(default=120, ge=1)

    @field_validator("locales", mode="before")
    @classmethod
    def _split_locales(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        unknown = set(self.locales) - set(SUPPORTED_LOCALES)
        if unknown:
            raise ValueError(f"unsupported locales: {sorted(unknown)}; choose from {SUPPORTED_LOCALES}")
        if self.default_locale not in self.locales:
            raise ValueError("default_locale must be one of locales")
        if self.environment == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"KLASTERIS_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} random characters in production"
                )
            if not self.base_url.startswith("https://"):
                raise ValueError("KLASTERIS_BASE_URL must use https:// in production")
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("KLASTERIS_S3_BUCKET must be set when KLASTERIS_STORAGE_BACKEND is s3")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("set both KLASTERIS_S3_ACCESS_KEY_ID and KLASTERIS_S3_SECRET_ACCESS_KEY, or neither")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def uploads_path(self) -> Path:
        return self.upload_dir or self.var_dir / "uploads"

    @property
    def outbox_path(self) -> Path:
        return self.outbox_dir or self.var_dir / "outbox"

    @cached_property
    def secret(self) -> bytes:
        """The signing secret: configured, or generated once into var/ so development needs no setup."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        key_file = self.var_dir / "secret_key"
        if not key_file.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            draft = self.var_dir / f".secret_key.{secrets.token_hex(8)}"
            draft.write_text(secrets.token_urlsafe(48))
            draft.chmod(0o600)
            # os.link refuses to replace: when several workers start at once, exactly one key wins.
            try:
                os.link(draft, key_file)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return key_file.read_text().strip().encode()
