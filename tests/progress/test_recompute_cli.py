"""`klasteris progress recompute` repairs missing completion records and reports what it changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import make_engine, make_sessionmaker
from app.progress.models import Certificate, CompletionState, CourseCompletion
from tests.conftest import CONTENT_FIXTURE, sync
from tests.factories import seed_organisations
from tests.progress.completion_setup import (
    LESSONS,
    certificate_code,
    certificate_of,
    completed_at,
    completion_of,
    finish_attempt,
    learner,
    standing,
    tick,
)


def test_recompute_recreates_deleted_completions_and_a_second_run_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'recompute.db'}"
    monkeypatch.setenv("KLASTERIS_DATABASE_URL", url)
    monkeypatch.setenv("KLASTERIS_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        seed_organisations(session)
        sync(session, CONTENT_FIXTURE)
        halfway, finished, uncertified, untouched = (learner(session) for _ in range(4))
        tick(session, halfway, *LESSONS[:2])
        for user in (finished, uncertified):
            tick(session, user, *LESSONS)
            finish_attempt(session, user, 90)
        recorded = {user.id: completed_at(session, user) for user in (finished, uncertified)}
        code = certificate_code(session, finished)
        # What needs repairing: every completion record, and one learner's certificate, are gone.
        session.execute(delete(CourseCompletion))
        session.execute(delete(Certificate).where(Certificate.user_id == uncertified.id))
        session.commit()

    first = runner.invoke(cli, ["progress", "recompute"])
    assert first.exit_code == 0, first.output
    assert "4 learner place(s) checked in 1 course(s): 3 changed, 2 newly completed." in first.output
    with sessions() as session:
        assert standing(session, halfway) == (CompletionState.IN_PROGRESS, 50)
        assert standing(session, untouched) is None
        for user in (finished, uncertified):
            row = completion_of(session, user)
            assert row is not None and (row.state, row.completed_at) == (CompletionState.COMPLETED, recorded[user.id])
        assert certificate_code(session, finished) == code
        reissued = certificate_of(session, uncertified)
        assert reissued is not None and reissued.completed_at == recorded[uncertified.id]

    second = runner.invoke(cli, ["progress", "recompute", "--course", "SC9"])
    assert second.exit_code == 0, second.output
    assert "4 learner place(s) checked in 1 course(s): 0 changed, 0 newly completed." in second.output
    other = runner.invoke(cli, ["progress", "recompute", "--course", "NOPE"])
    assert "0 learner place(s) checked in 0 course(s)" in other.output
    engine.dispose()
