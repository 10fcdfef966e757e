"""The completion records page and its downloads: contents equal the database, filters, scope, audit, bad input."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.audit.service import AuditAction, entries_for
from app.core.access import Role
from app.core.i18n import ngettext, using_locale
from app.courses.importer import SyncSummary
from app.courses.models import CourseRole, Enrolment
from app.progress.models import CompletionState, CourseCompletion
from app.progress.report import state_labels
from app.reports.exports import reader_labels
from tests.factories import make_user
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import client_for, page_text
from tests.reports.export_setup import (
    FORMULA_JOB,
    FORMULA_NAME,
    ExportWorld,
    Predicate,
    csv_rows,
    expected_records,
    formula_safe,
    iso,
    seed_world,
    when,
)

PAGE = "/reports/completions"
DOWNLOAD = "/reports/completions/download"
MACHINE_HEADER = [
    "learner_id", "full_name", "email", "organisation", "job_title", "programme", "course_code", "course_title",
    "enrolled_at", "completed_at", "state", "quiz_grade", "hours", "certificate_code", "certificate_url",
]  # fmt: skip


@pytest.fixture
def world(db: Session, synced: SyncSummary) -> ExportWorld:
    return seed_world(db)


@pytest.fixture
def admin(app: FastAPI, world: ExportWorld) -> TestClient:
    return client_for(app, world.admin)


@pytest.fixture
def manager(app: FastAPI, world: ExportWorld) -> TestClient:
    return client_for(app, world.manager)


def download(client: TestClient, **params: str) -> bytes:
    response = client.get(DOWNLOAD, params=params)
    assert response.status_code == 200, response.text
    return response.content


def csv_body(client: TestClient, **params: str) -> list[list[str]]:
    rows = csv_rows(download(client, format="csv", **params))
    assert rows[0] == MACHINE_HEADER
    return rows[1:]


def expected_rows(db: Session, world: ExportWorld, keep: Predicate = lambda _record: True) -> list[list[str]]:
    return [formula_safe(record.machine_row()) for record in expected_records(db, world) if keep(record)]


# --- contents ------------------------------------------------------------------------------------------------


def test_csv_download_equals_the_database_row_by_row(admin: TestClient, db: Session, world: ExportWorld) -> None:
    response = admin.get(DOWNLOAD, params={"format": "csv"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    today = dt.datetime.now(dt.UTC).date()
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "completions-20" in disposition and ".csv" in disposition
    assert str(today.year) in disposition
    assert not response.content.startswith(b"\xef\xbb\xbf"), "the plain CSV has no byte-order mark"
    rows = csv_rows(response.content)
    assert rows[0] == MACHINE_HEADER
    assert rows[1:] == expected_rows(db, world)
    assert len(rows) - 1 == 9  # every learner place; the trainer's place is not a record


def test_csv_shows_states_grades_certificates_and_anonymised_people_as_recorded(
    admin: TestClient, world: ExportWorld
) -> None:
    by_person = {(row[1], row[6]): row for row in csv_body(admin)}
    ona = by_person[("Ona Žemaitė", "SC9")]
    assert ona[9:15] == ["2026-03-10T10:00:00+00:00", "completed", "85.5", "2", world.valid_certificate,
                         f"http://testserver/verify/{world.valid_certificate}"]  # fmt: skip
    assert ona[4] == "Vyriausioji specialistė"
    jonas = by_person[("Jonas Šimkus", "SC9")]
    assert jonas[10:14] == ["completed", "92.25", "2", ""], "a revoked certificate is not exported"
    assert world.revoked_certificate not in str(by_person)
    petras = by_person[("Petras Ąžuolas", "SC9")]
    assert petras[9:14] == ["", "failed", "40", "", ""], "hours are credited only once completed"
    assert by_person[("Asta Ėglė", "SC9")][10] == "in_progress"
    assert by_person[("Marius Čepas", "SC9")][10] == "not_started"
    anonymous = by_person[("Anonimizuotas naudotojas", world.extra.code)]
    assert anonymous[2] == "" and anonymous[10] == "completed" and anonymous[13]
    assert all("@invalid.klasteris.lt" not in cell for row in by_person.values() for cell in row)


def test_excel_csv_has_bom_semicolons_decimal_commas_and_translated_header(
    app: FastAPI, db: Session, world: ExportWorld
) -> None:
    world.admin.locale = "en"
    db.commit()
    client = client_for(app, world.admin)
    response = client.get(DOWNLOAD, params={"format": "csv-excel"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "-excel.csv" in response.headers["content-disposition"]
    rows = csv_rows(response.content[3:], delimiter=";")
    assert rows[0][:3] == ["Learner ID", "Full name", "Email"]
    assert rows[0][8] == "Enrolled at (UTC)"
    by_person = {(row[1], row[6]): row for row in rows[1:]}
    ona = by_person[("Ona Žemaitė", "SC9")]
    assert ona[10:12] == ["Completed", "85,5"]
    assert ona[5] == "Social cluster programme", "titles follow the reader's language"
    assert by_person[("Petras Ąžuolas", "SC9")][10] == "Failed"
    assert len(rows) - 1 == len(expected_records(db, world))


def test_xlsx_has_typed_cells_styled_frozen_header_and_equals_the_database(
    admin: TestClient, db: Session, world: ExportWorld
) -> None:
    response = admin.get(DOWNLOAD, params={"format": "xlsx"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert response.headers["content-disposition"].split("filename=")[1].startswith('"completions-')
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O10"
    header = [cell.value for cell in sheet[1]]
    with using_locale("lt"):
        assert header == list(reader_labels().header), "the reader's language (Lithuanian)"
        labels = state_labels()
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet[1][0].fill.fill_type == "solid"
    assert sheet.column_dimensions["H"].width > sheet.column_dimensions["A"].width
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    expected = expected_records(db, world)
    assert len(rows) == len(expected)
    for row, record in zip(rows, expected, strict=True):
        assert row[0] == record.learner_id and isinstance(row[0], int)
        assert list(row[1:8]) == [
            record.full_name, record.email or None, record.organisation, record.job_title or None, record.programme,
            record.course_code, record.course_title,
        ]  # fmt: skip
        assert row[8] == record.enrolled_at.replace(tzinfo=None) and isinstance(row[8], dt.datetime)
        assert row[9] == (record.completed_at.replace(tzinfo=None) if record.completed_at else None)
        assert row[10] == labels[record.state]
        assert row[11] == record.grade
        assert row[12] == record.hours
        assert (row[13] or "", row[14] or "") == (record.certificate_code, record.certificate_url)
    graded = next(row for row in rows if row[11] is not None)
    assert isinstance(graded[11], float) and isinstance(graded[12], int)
    assert sheet.cell(row=2, column=9).number_format.startswith("yyyy-mm-dd")


def test_xlsx_temporary_file_is_deleted_after_sending(
    admin: TestClient, world: ExportWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert download(admin, format="xlsx").startswith(b"PK")
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("klasteris-completions-")] == []


def test_formula_text_is_neutralised_in_csv_and_stays_text_in_xlsx(admin: TestClient, world: ExportWorld) -> None:
    row = next(row for row in csv_body(admin) if FORMULA_NAME in row[1])
    assert row[1] == "'" + FORMULA_NAME and row[4] == "'" + FORMULA_JOB
    excel = csv_rows(download(admin, format="csv-excel")[3:], delimiter=";")
    assert any(cells[1] == "'" + FORMULA_NAME for cells in excel)
    sheet = load_workbook(io.BytesIO(download(admin, format="xlsx"))).active
    assert sheet is not None
    cell = next(cells[1] for cells in sheet.iter_rows(min_row=2) if cells[1].value == FORMULA_NAME)
    assert cell.data_type == "s", "a name starting with = must not become a formula"


# --- filters -------------------------------------------------------------------------------------------------


def _filter_cases(world: ExportWorld) -> list[tuple[dict[str, str], Predicate]]:
    first, second, _third = world.organisations
    completed_days: Predicate = lambda record: (  # noqa: E731
        record.completed_at is not None and when(3, 10).date() <= record.completed_at.date() <= when(5, 15).date()
    )
    return [
        ({"programme": "SC"}, lambda record: record.programme_code == "SC"),
        ({"programme": "AC"}, lambda record: record.programme_code == "AC"),
        ({"course": "SC9"}, lambda record: record.course_code == "SC9"),
        ({"course": world.extra.code.lower()}, lambda record: record.course_code == world.extra.code),
        ({"organisation": str(second.id)}, lambda record: record.organisation_id == second.id),
        ({"state": "completed"}, lambda record: record.state is CompletionState.COMPLETED),
        ({"state": "failed"}, lambda record: record.state is CompletionState.FAILED),
        ({"state": "in_progress"}, lambda record: record.state is CompletionState.IN_PROGRESS),
        ({"state": "not_started"}, lambda record: record.state is CompletionState.NOT_STARTED),
        ({"from": "2026-03-10"}, lambda record: record.completed_at is not None and record.completed_at >= when(3, 10, 0)),
        ({"to": "2026-03-10"}, lambda record: record.completed_at is not None and record.completed_at < when(3, 11, 0)),
        ({"from": "2026-03-10", "to": "2026-05-15"}, completed_days),
        ({"from": "2026-06-30", "to": "2026-06-30"}, lambda record: record.full_name == "Lina Dūda"),
        (
            {"course": "SC9", "organisation": str(first.id), "state": "completed", "from": "2026-01-01"},
            lambda record: record.course_code == "SC9" and record.organisation_id == first.id
            and record.state is CompletionState.COMPLETED,
        ),
        (
            {"programme": "AC", "state": "completed", "to": "2026-04-01"},
            lambda record: record.programme_code == "AC" and record.completed_at is not None
            and record.completed_at < when(4, 2, 0),
        ),
        ({"programme": "AC", "course": "SC9"}, lambda _record: False),
    ]  # fmt: skip


def test_each_filter_alone_and_combined_gives_exactly_the_matching_records(
    admin: TestClient, db: Session, world: ExportWorld
) -> None:
    for params, keep in _filter_cases(world):
        wanted = expected_rows(db, world, keep)
        assert csv_body(admin, **params) == wanted, params
        page = admin.get(PAGE, params=params)
        assert page.status_code == 200, params
        with using_locale("lt"):
            matches = ngettext("%(num)s record matches.", "%(num)s records match.", len(wanted))
        assert matches in page.text, params


def test_filter_form_keeps_the_chosen_values(admin: TestClient, world: ExportWorld) -> None:
    page = admin.get(PAGE, params={"course": "SC9", "state": "failed", "from": "2026-01-01"}).text
    assert '<option value="SC9" selected>' in page
    assert '<option value="failed" selected>' in page
    assert 'value="2026-01-01"' in page
    assert "course=SC9" in page and "state=failed" in page and "from=2026-01-01" in page  # download links keep them


# --- the page ------------------------------------------------------------------------------------------------


def test_page_shows_the_count_a_preview_and_the_download_links(admin: TestClient, world: ExportWorld) -> None:
    response = admin.get(PAGE)
    assert response.status_code == 200
    text = page_text(response.text)
    assert "Ona Žemaitė" in text and "Petras Ąžuolas" in text
    assert "Dėstytojas" not in text
    for export_format in ("csv", "csv-excel", "xlsx", "xapi"):
        assert f'href="{DOWNLOAD}?format={export_format}"' in response.text
    assert f'href="/verify/{world.valid_certificate}"' in response.text
    assert world.revoked_certificate not in response.text
    assert "<caption>" in response.text and 'scope="col"' in response.text
    assert "&lt;" not in FORMULA_NAME and "HYPERLINK" in response.text


def test_preview_lists_the_first_fifty_of_many(admin: TestClient, db: Session, world: ExportWorld) -> None:
    _grow_records(db, world)(55)
    response = admin.get(PAGE)
    assert response.status_code == 200
    assert response.text.count('<th scope="row">') == 50
    assert "64" in page_text(response.text)


def _grow_records(db: Session, world: ExportWorld):  # type: ignore[no-untyped-def]
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            learner = make_user(db, organisation=world.organisations[0])
            db.add(Enrolment(user_id=learner.id, course_id=world.sc9.id, role=CourseRole.LEARNER))
            db.add(
                CourseCompletion(
                    user_id=learner.id, course_id=world.sc9.id, state=CompletionState.COMPLETED, percent=100,
                    completed_at=when(8, 1),
                )
            )  # fmt: skip
        db.commit()

    return grow


def test_page_query_count_stays_the_same_with_one_or_fifty_more_records(
    admin: TestClient, manager: TestClient, db: Session, world: ExportWorld
) -> None:
    # the session with its user and roles, programmes, courses, organisations, the count, the preview
    assert_constant_queries(admin, db, PAGE, _grow_records(db, world), budget=7)
    filtered = f"{PAGE}?course=SC9&state=completed&from=2026-01-01"
    # ... plus looking up the course code
    assert_constant_queries(manager, db, filtered, _grow_records(db, world), budget=8)


# --- who may see what ----------------------------------------------------------------------------------------


def test_organisation_manager_sees_only_their_own_organisation(
    manager: TestClient, db: Session, world: ExportWorld
) -> None:
    own = world.organisations[0]
    assert csv_body(manager) == expected_rows(db, world, lambda record: record.organisation_id == own.id)
    assert csv_body(manager, organisation=str(own.id), state="completed") == expected_rows(
        db, world, lambda record: record.organisation_id == own.id and record.state is CompletionState.COMPLETED
    )
    page = manager.get(PAGE)
    assert page.status_code == 200
    assert "Petras Ąžuolas" not in page.text and "Ona Žemaitė" in page.text
    assert 'name="organisation"' not in page.text, "a manager's organisation is fixed, not a choice"
    assert own.name_lt in page.text
    xapi = manager.get(DOWNLOAD, params={"format": "xapi"}).text
    assert "Petras" not in xapi and "Ona" in xapi


def test_organisation_manager_asking_for_another_organisation_gets_404(
    manager: TestClient, db: Session, world: ExportWorld
) -> None:
    other = world.organisations[1]
    for url in (PAGE, DOWNLOAD):
        for export_format in ("csv", "xlsx"):
            response = manager.get(url, params={"organisation": str(other.id), "format": export_format})
            assert response.status_code == 404, url
            assert "Petras" not in response.text
    assert entries_for(db, action=AuditAction.COMPLETIONS_EXPORTED) == []


@pytest.mark.parametrize("roles", [{Role.LEARNER}, {Role.TRAINER, Role.LEARNER}], ids=["learner", "trainer"])
def test_learners_and_trainers_are_refused(app: FastAPI, db: Session, world: ExportWorld, roles: set[Role]) -> None:
    client = client_for(app, make_user(db, roles=roles))
    for url in (PAGE, f"{DOWNLOAD}?format=csv"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Ona" not in response.text
    assert entries_for(db, action=AuditAction.COMPLETIONS_EXPORTED) == []


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient, world: ExportWorld) -> None:
    response = client.get(f"{DOWNLOAD}?format=csv")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_organisation_manager_without_an_organisation_is_refused(app: FastAPI, db: Session, world: ExportWorld) -> None:
    person = make_user(db, roles={Role.ORG_MANAGER})
    person.organisation_id = None
    db.commit()
    assert client_for(app, person).get(PAGE).status_code == 403


# --- audit ---------------------------------------------------------------------------------------------------


def test_each_download_is_audited_with_format_filters_and_row_count(
    admin: TestClient, manager: TestClient, db: Session, world: ExportWorld
) -> None:
    admin.get(PAGE)  # looking is not exporting
    assert entries_for(db, action=AuditAction.COMPLETIONS_EXPORTED) == []
    download(admin, format="xlsx", course="sc9", state="completed", **{"from": "2026-01-01", "to": "2026-12-31"})
    download(manager, format="csv")
    first, second = entries_for(db, action=AuditAction.COMPLETIONS_EXPORTED)
    assert first.actor_id == world.admin.id and world.admin.email in first.actor_label
    assert first.details == {
        "format": "xlsx", "programme": None, "course": "SC9", "organisation_id": None, "state": "completed",
        "completed_from": "2026-01-01", "completed_to": "2026-12-31", "rows": 3,
    }  # fmt: skip
    assert (first.target_type, first.target_id, first.ip_address) == ("export", "completions", "testclient")
    assert second.actor_id == world.manager.id
    own = world.organisations[0]
    assert second.details["organisation_id"] == own.id and second.details["format"] == "csv"
    assert second.details["rows"] == len([r for r in expected_records(db, world) if r.organisation_id == own.id])


# --- bad input -----------------------------------------------------------------------------------------------

BAD_FILTERS: list[tuple[dict[str, str], str, str]] = [
    ({"course": "NOPE1"}, "course", "NOPE1"),
    ({"course": "<script>x</script>"}, "course", ""),
    ({"programme": "ZZ"}, "programme", "ZZ"),
    ({"from": "2026-13-01"}, "from", "2026-13-01"),
    ({"from": "yesterday"}, "from", "yesterday"),
    ({"to": "2026-02-30"}, "to", "2026-02-30"),
    ({"from": "2026-05-01", "to": "2026-04-01"}, "to", "2026-04-01"),
    ({"state": "finished"}, "state", ""),
    ({"organisation": "abc"}, "organisation", ""),
    ({"organisation": "999999"}, "organisation", ""),
    ({"organisation": "9" * 40}, "organisation", ""),
]


@pytest.mark.parametrize(("params", "field", "typed"), BAD_FILTERS, ids=lambda value: str(value)[:30])
def test_bad_filters_answer_422_with_the_messages_and_what_was_typed(
    admin: TestClient, db: Session, world: ExportWorld, params: dict[str, str], field: str, typed: str
) -> None:
    for url in (PAGE, DOWNLOAD):
        response = admin.get(url, params={**params, "format": "xlsx"})
        assert response.status_code == 422, (url, response.text[:300])
        assert 'class="error-summary"' in response.text
        assert f'href="#field-{field}"' in response.text
        assert f'id="error-{field}"' in response.text
        if typed:
            assert typed in response.text
        assert "<script>x" not in response.text
        assert " download>" not in response.text, "no download links for invalid filters"
    assert entries_for(db, action=AuditAction.COMPLETIONS_EXPORTED) == []


def test_unknown_export_format_is_refused(admin: TestClient, db: Session, world: ExportWorld) -> None:
    response = admin.get(DOWNLOAD, params={"format": "pdf"})
    assert response.status_code == 422
    assert entries_for(db, action=AuditAction.COMPLETIONS_EXPORTED) == []


def test_download_without_format_is_the_plain_csv(admin: TestClient, world: ExportWorld) -> None:
    response = admin.get(DOWNLOAD)
    assert response.status_code == 200
    assert csv_rows(response.content)[0] == MACHINE_HEADER


def test_dates_in_exports_are_iso_8601_utc_with_offset(admin: TestClient, world: ExportWorld) -> None:
    rows = csv_body(admin, state="completed")
    for row in rows:
        for cell in (row[8], row[9]):
            parsed = dt.datetime.fromisoformat(cell)
            assert parsed.utcoffset() == dt.timedelta(0) and cell.endswith("+00:00")
    assert iso(when(6, 30, 23, 30)) in {row[9] for row in rows}
