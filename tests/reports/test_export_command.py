"""`klasteris export completions`: the same records as the web download, the audit entry, clean refusals.

The command opens its own database connection, so these tests use a committed SQLite file of their own
(seeded once for the module), and compare with what the web app serves from that same file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from app.audit.models import AuditEntry
from app.audit.service import AuditAction
from app.cli import cli
from app.core.config import Settings
from app.core.db import make_engine, make_sessionmaker
from app.main import create_app
from tests.conftest import CONTENT_FIXTURE, sync
from tests.factories import log_in, seed_organisations
from tests.reports.export_setup import BASE_URL, ExportWorld, csv_rows, seed_world

runner = CliRunner()


@dataclass(frozen=True)
class CliDatabase:
    url: str
    var_dir: Path
    world: ExportWorld


@pytest.fixture(scope="module")
def cli_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliDatabase]:
    folder = tmp_path_factory.mktemp("export-cli")
    url = f"sqlite:///{folder / 'export.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KLASTERIS_DATABASE_URL", url)
        patch.setenv("KLASTERIS_VAR_DIR", str(folder / "var"))
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        seed_organisations(session)
        sync(session, CONTENT_FIXTURE)
        world = seed_world(session)
        session.commit()
    engine.dispose()
    yield CliDatabase(url=url, var_dir=folder / "var", world=world)


@pytest.fixture
def database(cli_database: CliDatabase, monkeypatch: pytest.MonkeyPatch) -> CliDatabase:
    monkeypatch.setenv("KLASTERIS_DATABASE_URL", cli_database.url)
    monkeypatch.setenv("KLASTERIS_VAR_DIR", str(cli_database.var_dir))
    monkeypatch.setenv("KLASTERIS_BASE_URL", BASE_URL)
    monkeypatch.setenv("KLASTERIS_DEFAULT_LOCALE", "lt")
    return cli_database


def web_download(database: CliDatabase, **params: str) -> bytes:
    """What an administrator downloads from the web app running on the same database file."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=database.url,
        var_dir=database.var_dir,
        content_dir=CONTENT_FIXTURE,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        base_url=BASE_URL,
    )
    with TestClient(create_app(settings), base_url=BASE_URL, follow_redirects=False) as client:
        log_in(client, database.world.admin.email)
        response = client.get("/reports/completions/download", params=params)
        assert response.status_code == 200, response.text
        return response.content


def export(tmp_path: Path, *arguments: str, name: str = "out") -> tuple[int, str, Path]:
    target = tmp_path / name
    result = runner.invoke(cli, ["export", "completions", "--output", str(target), *arguments])
    return result.exit_code, result.output, target


def audit_entries(database: CliDatabase) -> list[AuditEntry]:
    engine = make_engine(database.url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(
                session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.action == AuditAction.COMPLETIONS_EXPORTED.value)
                    .order_by(AuditEntry.id)
                )
            )
    finally:
        engine.dispose()


def test_csv_from_the_command_line_equals_the_web_download(database: CliDatabase, tmp_path: Path) -> None:
    code, output, target = export(tmp_path, "--format", "csv", name="completions.csv")
    assert code == 0, output
    assert "9 completion record(s) written to" in output
    assert target.read_bytes() == web_download(database, format="csv")
    assert len(csv_rows(target.read_bytes())) == 10


def test_excel_csv_xlsx_and_xapi_equal_the_web_downloads(database: CliDatabase, tmp_path: Path) -> None:
    code, output, excel = export(tmp_path, "--format", "csv", "--excel", name="excel.csv")
    assert code == 0, output
    assert excel.read_bytes() == web_download(database, format="csv-excel")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf")

    code, output, workbook = export(tmp_path, "--format", "xlsx", name="completions.xlsx")
    assert code == 0, output
    from_cli = load_workbook(workbook).active
    from_web = load_workbook(io.BytesIO(web_download(database, format="xlsx"))).active
    assert from_cli is not None and from_web is not None
    assert list(from_cli.values) == list(from_web.values)
    assert from_cli.freeze_panes == "A2"

    code, output, statements = export(tmp_path, "--format", "xapi", name="statements.json")
    assert code == 0, output
    assert json.loads(statements.read_bytes()) == json.loads(web_download(database, format="xapi"))


def test_filters_on_the_command_line_match_the_web_filters(database: CliDatabase, tmp_path: Path) -> None:
    second = database.world.organisations[1]
    code, output, target = export(
        tmp_path, "--format", "csv", "--organisation", second.slug, "--programme", "sc", "--state", "failed"
    )
    assert code == 0, output
    web = web_download(database, format="csv", organisation=str(second.id), programme="SC", state="failed")
    assert target.read_bytes() == web
    assert [row[1] for row in csv_rows(web)[1:]] == ["Petras Ąžuolas"]
    code, output, by_number = export(
        tmp_path, "--format", "csv", "--organisation", str(second.id), "--from", "2026-06-30", "--to", "2026-06-30",
        "--course", "SC9", name="by-number",
    )  # fmt: skip
    assert code == 0, output
    assert [row[1] for row in csv_rows(by_number.read_bytes())[1:]] == ["Lina Dūda"]


def test_each_export_is_audited_as_the_command_line(database: CliDatabase, tmp_path: Path) -> None:
    before = len(audit_entries(database))
    code, output, _target = export(tmp_path, "--format", "xlsx", "--course", "SC9", "--state", "completed")
    assert code == 0, output
    entries = audit_entries(database)
    assert len(entries) == before + 1
    entry = entries[-1]
    assert (entry.actor_id, entry.actor_label) == (None, "command line")
    assert entry.details == {
        "format": "xlsx", "programme": None, "course": "SC9", "organisation_id": None, "state": "completed",
        "completed_from": None, "completed_to": None, "rows": 3,
    }  # fmt: skip


def test_an_existing_output_file_is_replaced_whole(database: CliDatabase, tmp_path: Path) -> None:
    target = tmp_path / "scheduled.csv"
    target.write_text("yesterday's export")
    code, output, _target = export(tmp_path, "--format", "csv", name="scheduled.csv")
    assert code == 0, output
    assert target.read_bytes() == web_download(database, format="csv")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["scheduled.csv"], "no temporary file is left"


BAD_ARGUMENTS = [
    (["--format", "pdf"], "--format must be csv, xlsx or xapi"),
    (["--format", "xlsx", "--excel"], "--excel goes with --format csv only"),
    (["--format", "csv", "--course", "NOPE1"], "--course: There is no course with the code NOPE1."),
    (["--format", "csv", "--programme", "ZZ"], "--programme: There is no programme with the code ZZ."),
    (["--format", "csv", "--organisation", "no-such-place"], "--organisation: no organisation"),
    (["--format", "csv", "--state", "finished"], "--state: Choose one of the options."),
    (["--format", "csv", "--from", "2026-13-01"], "--from: Enter a date like 2026-11-23"),
    (["--format", "csv", "--from", "2026-05-01", "--to", "2026-04-01"], "--to: The end date must not be before"),
    (["--format", "csv", "--language", "de"], "--language must be one of"),
    (["--course", "SC9"], "Missing option '--format'"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_ARGUMENTS, ids=lambda value: str(value)[:40])
def test_bad_arguments_stop_with_exit_code_2_and_write_nothing(
    database: CliDatabase, tmp_path: Path, arguments: list[str], message: str
) -> None:
    before = len(audit_entries(database))
    code, output, target = export(tmp_path, *arguments, name="never.csv")
    assert code == 2, output
    assert message in " ".join(output.split()), output
    assert list(tmp_path.iterdir()) == [], "no file, not even a temporary one"
    assert len(audit_entries(database)) == before


def test_an_output_folder_that_does_not_exist_is_refused(database: CliDatabase, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["export", "completions", "--format", "csv", "--output", str(tmp_path / "missing" / "out.csv")]
    )
    assert result.exit_code == 2
    assert "cannot be written" in result.output
    assert not (tmp_path / "missing").exists()


def test_exporting_nothing_writes_just_the_header(database: CliDatabase, tmp_path: Path) -> None:
    code, output, target = export(tmp_path, "--format", "csv", "--programme", "AC", "--state", "failed")
    assert code == 0, output
    assert "0 completion record(s)" in output
    assert len(csv_rows(target.read_bytes())) == 1
