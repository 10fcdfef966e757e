"""Test fixtures: migrate once per run, then every test in its own rolled-back transaction.

Set KLASTERIS_TEST_DATABASE_URL to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.cli import upgrade_connection
from app.core.config import Settings
from app.core.db import make_engine
from app.core.deps import get_reading_session, get_session
from app.courses.content import load_content
from app.courses.importer import SyncSummary, sync_content
from app.events import wiring as events_wiring
from app.main import create_app
from app.progress.rules import sync_criteria_and_recompute
from app.progress.wiring import certify, connect
from app.quizzes.content_sync import sync_course_quizzes
from app.surveys import wiring as surveys_wiring
from app.toolkits import wiring as toolkits_wiring
from tests.factories import seed_organisations

TEST_DATABASE_URL = os.environ.get("KLASTERIS_TEST_DATABASE_URL")
CONTENT_FIXTURE = Path(__file__).parent / "courses" / "content_fixture"
COURSE_DIR = Path("social-cluster/sc9-test-course")


def migrate(engine: Engine) -> None:
    with engine.begin() as connection:
        upgrade_connection(connection)


def reset_postgres_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session", autouse=True)
def progress_follows_events() -> None:
    """As in the app and the CLI: lesson ticks and quiz grades move course completion (tests without an app too)."""
    connect()
    toolkits_wiring.connect()
    events_wiring.connect()
    surveys_wiring.connect()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        return worker_database(TEST_DATABASE_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'klasteris-test.db'}"


def worker_database(url: str) -> str:
    """With pytest-xdist, each worker process gets its own PostgreSQL database (`<name>_gw0`, ...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        reset_postgres_schema(engine)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose commits only release savepoints; everything is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    seed_organisations(session)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def content_root(tmp_path: Path) -> Path:
    """A copy of the test content folder, which each test may edit."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_FIXTURE, root)
    return root


def sync(session: Session, root: Path, *, quizzes: bool = True) -> SyncSummary:
    bundle = load_content(root)
    summary = sync_content(session, bundle)
    if quizzes:
        sync_course_quizzes(session, bundle)
    sync_criteria_and_recompute(session, on_completed=certify)
    session.commit()
    return summary


@pytest.fixture
def synced(db: Session, content_root: Path) -> SyncSummary:
    return sync(db, content_root)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, content_root: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=database_url,
        var_dir=tmp_path / "var",
        content_dir=content_root,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        base_url="http://testserver",
    )


@pytest.fixture
def app(settings: Settings, db: Session) -> FastAPI:
    application = create_app(settings)

    def session_override() -> Iterator[Session]:
        # Same unit-of-work semantics as production, on the test's savepoint.
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    application.dependency_overrides[get_session] = session_override
    application.dependency_overrides[get_reading_session] = session_override
    return application


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://testserver", follow_redirects=False)
