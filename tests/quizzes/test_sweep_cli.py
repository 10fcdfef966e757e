"""`klasteris quizzes sweep` submits abandoned attempts whose time ran out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import make_engine, make_sessionmaker, utcnow
from app.courses.content import load_content
from app.courses.importer import sync_content
from app.quizzes.attempts import create_attempt
from app.quizzes.content_sync import sync_course_quizzes
from app.quizzes.models import Quiz, QuizAttempt
from tests.conftest import CONTENT_FIXTURE
from tests.factories import make_user, seed_organisations


def test_sweep_submits_overdue_attempts_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    monkeypatch.setenv("KLASTERIS_DATABASE_URL", url)
    monkeypatch.setenv("KLASTERIS_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        seed_organisations(session)
        bundle = load_content(CONTENT_FIXTURE)
        sync_content(session, bundle)
        sync_course_quizzes(session, bundle)
        quiz = session.scalar(select(Quiz))
        assert quiz is not None
        attempt = create_attempt(session, quiz=quiz, user=make_user(session), is_preview=False, locale="lt")
        attempt.deadline_at = utcnow() - dt.timedelta(minutes=1)
        session.commit()
        attempt_id = attempt.id
    first = runner.invoke(cli, ["quizzes", "sweep"])
    assert first.exit_code == 0 and "1 overdue attempt(s) submitted" in first.output, first.output
    assert "0 overdue" in runner.invoke(cli, ["quizzes", "sweep"]).output
    with make_sessionmaker(engine)() as session:
        swept = session.get(QuizAttempt, attempt_id)
        assert swept is not None and swept.state == "finished" and swept.auto_submitted
    engine.dispose()
