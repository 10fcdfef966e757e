"""Settings validate themselves: a weak production secret or an unknown locale is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def test_production_refuses_a_missing_or_short_secret() -> None:
    with pytest.raises(ValidationError, match="KLASTERIS_SECRET_KEY"):
        Settings(_env_file=None, environment="production", base_url="https://klasteris.example")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="KLASTERIS_SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key="short", base_url="https://klasteris.example")  # type: ignore[call-arg]


def test_production_requires_https() -> None:
    with pytest.raises(ValidationError, match="https"):
        Settings(_env_file=None, environment="production", secret_key="x" * 40, base_url="http://klasteris.example")  # type: ignore[call-arg]


def test_locales_are_read_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLASTERIS_LOCALES", "lt, en")
    assert Settings(_env_file=None).locales == ("lt", "en")  # type: ignore[call-arg]
    monkeypatch.setenv("KLASTERIS_LOCALES", "lt,xx")
    with pytest.raises(ValidationError, match="unsupported locales"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_development_secret_is_generated_once_into_var(tmp_path: Path) -> None:
    first = Settings(_env_file=None, var_dir=tmp_path).secret  # type: ignore[call-arg]
    second = Settings(_env_file=None, var_dir=tmp_path).secret  # type: ignore[call-arg]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
