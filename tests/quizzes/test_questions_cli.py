"""`klasteris questions import|export`: one transaction, a per-question report, and a faithful round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.quizzes.gift import read_gift
from app.quizzes.moodle_xml import read_moodle_xml

CONTENT = Path(__file__).resolve().parents[2] / "content"
SC1_QUIZ = CONTENT / "social-cluster" / "sc1-social-clustering-basics" / "quiz.lt.gift"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A migrated SQLite database with the real content, used through the command line."""
    monkeypatch.setenv("KLASTERIS_DATABASE_URL", f"sqlite:///{tmp_path / 'questions.db'}")
    monkeypatch.setenv("KLASTERIS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KLASTERIS_CONTENT_DIR", str(CONTENT))
    runner = CliRunner()
    for command in (["migrate"], ["content", "sync"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0, result.output
    return runner


def test_gift_file_is_imported_with_a_report_and_exported_again(database: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "extra.gift"
    source.write_text("::A:: Two plus two? {=4 ~5}\n\n::B:: {1:MULTICHOICE:=a~b}\n\n::C:: Sky is blue {T}\n")
    result = database.invoke(cli, ["questions", "import", str(source), "--course", "SC2", "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "2 question(s) added to SC2; 1 skipped." in result.output
    assert "skipped:" in result.output

    exported = tmp_path / "sc2.gift"
    result = database.invoke(cli, ["questions", "export", "--course", "SC2", "--format", "gift", "--output", str(exported), "--language", "en"])  # fmt: skip
    assert result.exit_code == 0, result.output
    titles = [question.title for question in read_gift(exported.read_text()).questions]
    assert titles[-2:] == ["A", "C"]


def test_a_course_quiz_round_trips_through_the_bank_as_moodle_xml(database: CliRunner, tmp_path: Path) -> None:
    exported = tmp_path / "sc1.xml"
    result = database.invoke(cli, ["questions", "export", "--course", "SC1", "--format", "xml", "--output", str(exported), "--language", "lt"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_moodle_xml(exported.read_bytes()).questions == read_gift(SC1_QUIZ.read_text(encoding="utf-8")).questions


def test_unreadable_file_writes_nothing_and_fails(database: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<quiz><question type='truefalse'>")
    result = database.invoke(cli, ["questions", "import", str(broken), "--course", "SC1"])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    empty = tmp_path / "nothing.gift"
    empty.write_text("// only a comment\n")
    assert database.invoke(cli, ["questions", "import", str(empty), "--course", "SC1"]).exit_code == 1


def test_unknown_course_is_refused(database: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "one.gift"
    source.write_text("Sky is blue {T}\n")
    result = database.invoke(cli, ["questions", "import", str(source), "--course", "ZZ9"])
    assert result.exit_code == 1
    assert "added to" not in result.output
