"""Purging deleted toolkits: only deletions older than the limit, every version's file, safe to run twice."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import make_engine, make_sessionmaker, utcnow
from app.courses.content import ContentError, load_content
from app.toolkits.content_import import load_toolkit_sources, sync_toolkits
from app.toolkits.models import Toolkit, ToolkitVersion
from app.toolkits.service import deleted_before, purge_toolkit
from app.toolkits.storage import LocalStorage
from tests.conftest import CONTENT_FIXTURE

COURSE_FOLDER = "social-cluster/sc9-test-course/toolkit"
GUIDE = f"{COURSE_FOLDER}/facilitation-guide.lt.md"
SLIDES = f"{COURSE_FOLDER}/session-slides.pdf"
EXERCISE = f"{COURSE_FOLDER}/warm-up.md"
PROGRAMME_GUIDE = "social-cluster/toolkit/programme-guide.en.md"
EXERCISE_ENTRY = """  - file: warm-up.md
    title: {lt: "Apšilimas", en: "Warm-up"}
    description: {lt: "Pratimas pradžiai.", en: "An exercise to start with."}
    language: lt
    kind: exercise
"""


def run_sync(db: Session, root: Path, storage: LocalStorage) -> None:
    errors: list[ContentError] = []
    sources = load_toolkit_sources(load_content(root), root, errors)
    assert errors == []
    sync_toolkits(db, storage=storage, sources=sources, max_bytes=10 * 1024 * 1024)
    db.commit()


def delete_days_ago(session: Session, content_path: str, days: int) -> None:
    toolkit = session.scalar(select(Toolkit).where(Toolkit.content_path == content_path))
    assert toolkit is not None
    toolkit.deleted_at = utcnow() - dt.timedelta(days=days)
    session.commit()


def storage_keys(session: Session) -> dict[str, list[str]]:
    """Every toolkit's content path with its versions' storage keys."""
    rows = session.execute(
        select(Toolkit.content_path, ToolkitVersion.storage_key)
        .join(ToolkitVersion, ToolkitVersion.toolkit_id == Toolkit.id)
        .order_by(ToolkitVersion.number)
    )
    keys: dict[str, list[str]] = {}
    for content_path, key in rows:
        keys.setdefault(content_path, []).append(key)
    return keys


def purge_older_than(db: Session, storage: LocalStorage, days: int) -> int:
    """What `klasteris toolkits purge` does, each toolkit in a fresh transaction (no stale objects)."""
    files = 0
    for toolkit_id in deleted_before(db, moment=utcnow() - dt.timedelta(days=days)):
        db.expire_all()
        files += purge_toolkit(db, storage=storage, toolkit_id=toolkit_id)
        db.commit()
    return files


@pytest.fixture
def four_toolkits(db: Session, content_root: Path, tmp_path: Path, synced: object) -> LocalStorage:
    """The fixture's three toolkits plus an exercise; the course guide has two versions."""
    uploads = LocalStorage(tmp_path / "uploads")
    (content_root / EXERCISE).write_text("# Apšilimas\n", encoding="utf-8")
    with (content_root / COURSE_FOLDER / "toolkit.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write(EXERCISE_ENTRY)
    run_sync(db, content_root, uploads)
    (content_root / GUIDE).write_bytes((content_root / GUIDE).read_bytes() + b"\nAntra versija.\n")
    run_sync(db, content_root, uploads)
    return uploads


def test_toolkits_deleted_over_30_days_ago_are_purged_with_every_file(db: Session, four_toolkits: LocalStorage) -> None:
    keys = storage_keys(db)
    assert [len(keys[path]) for path in (GUIDE, EXERCISE, SLIDES, PROGRAMME_GUIDE)] == [2, 1, 1, 1]
    delete_days_ago(db, GUIDE, 31)
    delete_days_ago(db, EXERCISE, 31)
    delete_days_ago(db, SLIDES, 5)

    assert purge_older_than(db, four_toolkits, days=30) == 3

    assert storage_keys(db) == {path: keys[path] for path in (SLIDES, PROGRAMME_GUIDE)}
    assert not any(four_toolkits.exists(key) for path in (GUIDE, EXERCISE) for key in keys[path])
    assert all(four_toolkits.exists(key) for path in (SLIDES, PROGRAMME_GUIDE) for key in keys[path])


def test_purging_again_is_harmless(db: Session, four_toolkits: LocalStorage) -> None:
    keys = storage_keys(db)
    delete_days_ago(db, GUIDE, 31)
    guide_id = db.scalar(select(Toolkit.id).where(Toolkit.content_path == GUIDE))
    assert guide_id is not None
    purge_older_than(db, four_toolkits, days=30)

    assert purge_older_than(db, four_toolkits, days=30) == 0
    assert purge_toolkit(db, storage=four_toolkits, toolkit_id=guide_id) == 0
    assert sorted(storage_keys(db)) == sorted([EXERCISE, SLIDES, PROGRAMME_GUIDE])
    assert all(four_toolkits.exists(key) for path in (EXERCISE, SLIDES, PROGRAMME_GUIDE) for key in keys[path])


def test_purge_command_removes_toolkits_deleted_longer_ago_than_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'purge.db'}"
    shutil.copytree(CONTENT_FIXTURE, tmp_path / "content")
    monkeypatch.setenv("KLASTERIS_DATABASE_URL", url)
    monkeypatch.setenv("KLASTERIS_CONTENT_DIR", str(tmp_path / "content"))
    monkeypatch.setenv("KLASTERIS_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    for command in (["migrate"], ["seed-organisations"], ["content", "sync"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, result.output
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        keys = storage_keys(session)
        delete_days_ago(session, SLIDES, 40)
    slides_file = tmp_path / "var" / "uploads" / keys[SLIDES][0]
    assert slides_file.is_file()

    refused = runner.invoke(cli, ["toolkits", "purge", "--older-than", "abc"])
    assert refused.exit_code == 2, refused.output
    assert slides_file.is_file()

    result = runner.invoke(cli, ["toolkits", "purge", "--older-than", "30d"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 toolkit(s)" in result.output
    assert "1 file(s) removed" in result.output
    assert not slides_file.exists()
    with sessions() as session:
        assert sorted(storage_keys(session)) == sorted([GUIDE, PROGRAMME_GUIDE])
    engine.dispose()
