"""The `klasteris` command: seeding partner organisations and creating an administrator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.accounts.models import Organisation
from app.accounts.service import create_admin, seed_partner_organisations
from app.cli import cli
from app.core.access import Role
from tests.factories import log_in


def test_partner_organisations_are_seeded_once_with_both_names(db: Session) -> None:
    assert seed_partner_organisations(db) == 0  # the fixture already seeded them
    assert db.scalar(select(func.count()).select_from(Organisation)) == 13
    birzai = db.scalar(select(Organisation).where(Organisation.slug == "birzai-municipality"))
    assert birzai is not None
    assert birzai.name("lt") == "Biržų rajono savivaldybės administracija"
    assert birzai.name("en") == "Biržai District Municipality Administration"


def test_created_admin_gets_a_one_time_password_that_works(client: TestClient, db: Session) -> None:
    admin, password = create_admin(db, email="Admin@Klasteris.lt", full_name="Administratorė")
    db.commit()
    assert admin.role_set == {Role.ADMIN, Role.TRAINER, Role.LEARNER}
    assert len(password) >= 16
    log_in(client, "admin@klasteris.lt", password)


def test_cli_migrates_seeds_and_creates_an_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLASTERIS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("KLASTERIS_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    first = runner.invoke(cli, ["seed-organisations"])
    assert "13 added" in first.output
    assert "0 added" in runner.invoke(cli, ["seed-organisations"]).output

    created = runner.invoke(cli, ["create-admin", "--email", "admin@example.lt"])
    assert created.exit_code == 0, created.output
    assert re.search(r"One-time password: \S{16,}", created.output)
    duplicate = runner.invoke(cli, ["create-admin", "--email", "ADMIN@example.lt"])
    assert duplicate.exit_code == 1
