"""Bulk user import: upload a CSV/XLSX list, preview every row's checks, confirm once, invite the new people."""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, PasswordResetToken, User, UserImport, UserRole
from app.audit.service import AuditAction, entries_for
from app.core.access import Role
from app.core.config import Settings
from tests.factories import csrf_from, find_user, log_in, make_user, outbox_messages, post_form
from tests.gates.queries import assert_constant_queries

UPLOAD = "/admin/users/import"
HEADER = ["email", "full name", "organisation", "job title", "role", "locale"]
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_numbers = itertools.count(1)


# --- helpers ---------------------------------------------------------------------------------------


def _text(html: str) -> str:
    return _SPACES.sub(" ", _TAGS.sub(" ", html)).replace("&#34;", '"').replace("&#39;", "'")


def _csv(rows: list[list[str]], *, separator: str = ",", bom: bool = False, header: list[str] = HEADER) -> bytes:
    def quoted(value: str) -> str:
        return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in f'{separator}"\n') else value

    lines = [separator.join(quoted(value) for value in row) for row in [header, *rows]]
    return ("\ufeff" if bom else "").encode() + "\r\n".join(lines).encode() + b"\r\n"


def _xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client: TestClient, name: str, data: bytes) -> Response:
    token = csrf_from(client.get(UPLOAD).text)
    return client.post(UPLOAD, data={"csrf_token": token}, files={"file": (name, data, "application/octet-stream")})


def _uploaded(client: TestClient, name: str, data: bytes) -> str:
    """Upload and follow to the preview; returns the preview's address."""
    response = _upload(client, name, data)
    assert response.status_code == 303, _text(response.text)
    location = response.headers["location"]
    assert re.fullmatch(r"/admin/users/import/\d+", location)
    return location


def _confirm(client: TestClient, preview: str) -> Response:
    return post_form(client, preview, f"{preview}/confirm", {})


def _roles(db: Session, email: str) -> set[str]:
    user = find_user(db, email)
    assert user is not None, email
    return set(db.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))


def _imports(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(UserImport)) or 0


def _users(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(User)) or 0


@pytest.fixture
def admin(db: Session) -> User:
    return make_user(db, roles={Role.ADMIN, Role.LEARNER}, locale="en", full_name="Ona Administratorė")


@pytest.fixture
def admin_client(client: TestClient, admin: User) -> TestClient:
    log_in(client, admin.email)
    return client


@pytest.fixture
def institution(db: Session) -> Organisation:
    organisation = Organisation(
        slug="soc-istaiga", name_lt="Socialinių paslaugų įstaiga", name_en="Social Services Office"
    )
    db.add(organisation)
    db.commit()
    return organisation


# --- the upload page and its templates -----------------------------------------------------------


def test_upload_page_explains_the_columns_and_links_both_templates(admin_client: TestClient) -> None:
    page = admin_client.get(UPLOAD)
    assert page.status_code == 200
    text = _text(page.text)
    for heading in (
        "email",
        "full name",
        "organisation",
        "job title",
        "role",
        "locale",
        "el. paštas",
        "vardas ir pavardė",
    ):
        assert heading in text
    assert 'href="/admin/users/import/template.csv"' in page.text
    assert 'href="/admin/users/import/template.xlsx"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert "Biržų rajono savivaldybės administracija" in text  # the organisations one may name


def test_csv_template_is_excel_friendly_and_imports_as_it_is(admin_client: TestClient, db: Session) -> None:
    response = admin_client.get("/admin/users/import/template.csv?lang=lt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    header, example = response.content.decode("utf-8-sig").splitlines()
    assert header == "el. paštas;vardas ir pavardė;organizacija;pareigos;rolė;kalba"  # Excel in Lithuanian splits at ;
    assert "Rūta Žemaitė" in example
    preview = _uploaded(admin_client, "template.csv", response.content)
    assert "1 new account will be created." in _text(admin_client.get(f"{preview}?lang=en").text)


def test_xlsx_template_has_a_styled_frozen_header_and_the_organisations(admin_client: TestClient, db: Session) -> None:
    response = admin_client.get("/admin/users/import/template.xlsx?lang=en")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    people = workbook.worksheets[0]
    assert [cell.value for cell in people[1]] == HEADER
    assert people["A1"].font.bold and people.freeze_panes == "A2"
    assert people["A2"].value == "ruta.zemaite@example.lt"
    organisations = workbook.worksheets[1]
    assert organisations.max_row == 1 + db.scalar(select(func.count()).select_from(Organisation))
    preview = _uploaded(admin_client, "template.xlsx", response.content)
    assert "1 new account will be created." in _text(admin_client.get(preview).text)


# --- reading files --------------------------------------------------------------------------------


def test_semicolon_csv_with_bom_keeps_lithuanian_letters(
    admin_client: TestClient, db: Session, institution: Organisation
) -> None:
    data = _csv(
        [
            ["zemaite@example.lt", "Julija Žemaitė", "socialinių  paslaugų ĮSTAIGA", "Socialinė darbuotoja", "", ""],
            ["  Sarunas@Example.LT ", "Šarūnas Įstaigaitis", "soc-istaiga", "Vadovas; skyriaus", "lektorius", "lt"],
        ],
        separator=";",
        bom=True,
        header=["el. paštas", "Vardas ir pavardė", "Organizacija", "Pareigos", "Rolė", "Kalba"],
    )
    preview = _uploaded(admin_client, "žmonės.csv", data)
    text = _text(admin_client.get(preview).text)
    assert "2 new accounts will be created." in text
    assert "Julija Žemaitė" in text and "Šarūnas Įstaigaitis" in text and "žmonės.csv" in text
    assert _confirm(admin_client, preview).status_code == 303
    julija = find_user(db, "zemaite@example.lt")
    sarunas = find_user(db, "sarunas@example.lt")
    assert julija is not None and sarunas is not None
    assert julija.full_name == "Julija Žemaitė" and julija.job_title == "Socialinė darbuotoja"
    assert julija.organisation_id == institution.id == sarunas.organisation_id
    assert sarunas.job_title == "Vadovas; skyriaus"  # a quoted field keeps its separator
    assert julija.locale == "lt" and julija.password_hash is None
    assert _roles(db, "zemaite@example.lt") == {"learner"}
    assert _roles(db, "sarunas@example.lt") == {"learner", "trainer"}


def test_comma_csv_without_bom_and_extra_columns(
    admin_client: TestClient, db: Session, institution: Organisation
) -> None:
    data = _csv(
        [["anne@example.no", "Anne Hansen", "Social Services Office", "Rådgiver", "org_manager", "nb", "ignored"]],
        header=[*HEADER, "notes"],
    )
    preview = _uploaded(admin_client, "people.csv", data)
    _confirm(admin_client, preview)
    anne = find_user(db, "anne@example.no")
    assert anne is not None and anne.locale == "nb" and anne.job_title == "Rådgiver"
    assert _roles(db, "anne@example.no") == {"learner", "org_manager"}


def test_xlsx_rows_are_read_from_the_first_sheet(
    admin_client: TestClient, db: Session, institution: Organisation
) -> None:
    data = _xlsx(
        [
            ["xlsx.one@example.lt", "Ona Žemaitytė", "SOC-ISTAIGA", None, "besimokantysis", "English"],
            [None, None, None, None, None, None],  # blank rows are skipped
            ["xlsx.two@example.lt", "Petras Šimkus", None, 2024, "trainer, learner", None],
        ]
    )
    preview = _uploaded(admin_client, "people.xlsx", data)
    text = _text(admin_client.get(preview).text)
    assert "2 new accounts will be created." in text
    _confirm(admin_client, preview)
    one = find_user(db, "xlsx.one@example.lt")
    two = find_user(db, "xlsx.two@example.lt")
    assert one is not None and two is not None
    assert one.full_name == "Ona Žemaitytė" and one.locale == "en" and one.organisation_id == institution.id
    assert two.job_title == "2024" and two.organisation_id is None  # a number cell, not "2024.0"
    assert _roles(db, "xlsx.two@example.lt") == {"learner", "trainer"}


def test_excel_unicode_text_file_in_utf16_with_tabs_is_read(admin_client: TestClient, db: Session) -> None:
    data = _csv([["utf16@example.lt", "Gražina Čepaitė", "", "", "", ""]], separator="\t")
    preview = _uploaded(admin_client, "people.txt", b"\xff\xfe" + data.decode().encode("utf-16-le"))
    _confirm(admin_client, preview)
    person = find_user(db, "utf16@example.lt")
    assert person is not None and person.full_name == "Gražina Čepaitė"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("people.csv", b"", "The file is empty."),
        ("people.csv", b"\r\n  \r\n", "The file is empty."),
        ("people.pdf", b"%PDF-1.4 not a list", "Upload a .csv or .xlsx file."),
        ("people.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "old Excel file"),
        ("people.xlsx", b"PK\x03\x04 broken", "cannot be read as an Excel workbook"),
        ("people.csv", b"email;organisation\nx@example.lt;leu\n", "no column for full name"),
        ("people.csv", b"first;second\n1;2\n", "The first row must name the columns"),
        ("people.csv", b"email,full name\n", "no people under it"),
        ("people.csv", b"email,name,full name\na@example.lt,A,A\n", "mean the same thing"),
        ("people.csv", "email,full name\nx@example.lt,Žydrūnė\n".encode("cp1257"), "not in UTF-8"),
        ("people.csv", b'email,full name\n"x@example.lt,"A\x00\n', "does not look like a CSV file"),
    ],
    ids=[
        "empty",
        "blank-lines",
        "wrong-type",
        "old-excel",
        "broken-xlsx",
        "missing-column",
        "no-header",
        "header-only",
        "same-column-twice",
        "not-utf8",
        "binary",
    ],
)
def test_unusable_file_is_refused_with_the_form_and_nothing_is_kept(
    admin_client: TestClient, db: Session, name: str, data: bytes, message: str
) -> None:
    response = _upload(admin_client, name, data)
    assert response.status_code == 422
    assert message in _text(response.text)
    assert 'class="error-summary"' in response.text and 'id="field-file"' in response.text
    assert _imports(db) == 0


def test_more_than_five_thousand_people_is_refused(admin_client: TestClient, db: Session) -> None:
    rows = [[f"p{number}@example.lt", f"Person {number}", "", "", "", ""] for number in range(5_001)]
    response = _upload(admin_client, "people.csv", _csv(rows))
    assert response.status_code == 422
    assert "more than 5,000 people" in _text(response.text)
    assert _imports(db) == 0


def test_no_file_chosen_redisplays_the_form(admin_client: TestClient, db: Session) -> None:
    token = csrf_from(admin_client.get(UPLOAD).text)
    response = admin_client.post(UPLOAD, data={"csrf_token": token})
    assert response.status_code == 422
    assert "Choose a CSV or XLSX file" in response.text
    assert _imports(db) == 0


# --- checks per row ---------------------------------------------------------------------------------


def test_preview_shows_every_kind_of_row_error_and_confirm_creates_only_good_rows(
    admin_client: TestClient, db: Session, institution: Organisation
) -> None:
    make_user(db, email_address="already@example.lt", full_name="Esamas Vartotojas")
    rows = [
        ["good@example.lt", "Gera Eilutė", "soc-istaiga", "", "", ""],  # row 2
        ["not-an-email", "Bloga Eilutė", "", "", "", ""],  # 3
        ["noname@example.lt", "", "", "", "", ""],  # 4
        ["org@example.lt", "Nežinoma Įstaiga", "Nowhere Institute", "", "", ""],  # 5
        ["role@example.lt", "Nežinoma Rolė", "", "", "superuser", ""],  # 6
        ["admin@example.lt", "Būsimas Administratorius", "", "", "admin", ""],  # 7
        ["lang@example.lt", "Nežinoma Kalba", "", "", "", "fr"],  # 8
        ["GOOD@example.lt", "Dvigubas Adresas", "", "", "", ""],  # 9
        ["manager@example.lt", "Vadovė Be Įstaigos", "", "", "org_manager", ""],  # 10
        ["already@example.lt", "Esamas Vartotojas", "", "", "", ""],  # 11
        ["", "Be Adreso", "", "", "", ""],  # 12
        ["long@example.lt", "A" * 201, "", "", "", ""],  # 13
    ]
    preview = _uploaded(admin_client, "mixed.csv", _csv(rows))
    text = _text(admin_client.get(preview).text)
    assert "1 new account will be created." in text
    assert "1 person already has an account, which stays as it is." in text
    assert "10 rows have errors and will be left out." in text
    for message in (
        "This is not a valid email address.",
        "The full name is missing.",
        "No organisation has this name or code.",
        "“superuser” is not a role that can be given here",
        "Administrators cannot be imported",
        "Unknown language: use lt, en or nb.",
        "This address is already on row 2 of the file.",
        "An organisation manager needs an organisation.",
        "The email address is missing.",
        "“full name” is longer than 200 characters.",
    ):
        assert message in text, message
    errors_only = _text(admin_client.get(f"{preview}?show=error").text)
    assert "10 rows" in errors_only and "Gera Eilutė" not in errors_only and "Bloga Eilutė" in errors_only

    before = _users(db)
    assert _confirm(admin_client, preview).status_code == 303
    assert _users(db) == before + 1
    assert find_user(db, "good@example.lt") is not None
    for email in ("noname@example.lt", "org@example.lt", "role@example.lt", "admin@example.lt", "manager@example.lt"):
        assert find_user(db, email) is None
    existing = find_user(db, "already@example.lt")
    assert existing is not None and existing.password_hash is not None  # left exactly as it was
    result = _text(admin_client.get(preview).text)
    assert "1 account was created." in result and "Ona Administratorė" in result and "Created" in result


# --- confirming --------------------------------------------------------------------------------------


def test_invitation_link_lets_the_new_person_choose_a_password_and_sign_in(
    app: FastAPI, admin_client: TestClient, db: Session, settings: Settings
) -> None:
    preview = _uploaded(admin_client, "one.csv", _csv([["invited@example.lt", "Kviestinė Žemaitė", "", "", "", "en"]]))
    _confirm(admin_client, preview)
    messages = [message for message in outbox_messages(settings.outbox_path) if message["To"] == "invited@example.lt"]
    assert len(messages) == 1
    assert messages[0]["Subject"] == "Your Klasteris account is ready"
    body = messages[0].get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/reset-password/[\w-]+)", body)
    assert link, body
    person = TestClient(app, base_url="http://testserver", follow_redirects=False)
    password = "linden trees of Biržai"
    chosen = post_form(person, link.group(1), link.group(1), {"password": password, "password_confirm": password})
    assert chosen.status_code == 303
    log_in(person, "invited@example.lt", password)
    assert person.get("/profile").status_code == 200


def test_double_confirm_creates_the_accounts_once(admin_client: TestClient, db: Session, settings: Settings) -> None:
    preview = _uploaded(admin_client, "two.csv", _csv([["twice@example.lt", "Du Kartus", "", "", "", ""]]))
    page = admin_client.get(preview)
    token = csrf_from(page.text)
    first = admin_client.post(f"{preview}/confirm", data={"csrf_token": token})
    second = admin_client.post(f"{preview}/confirm", data={"csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == preview
    assert db.scalar(select(func.count()).select_from(User).where(User.email == "twice@example.lt")) == 1
    assert len(outbox_messages(settings.outbox_path)) == 1
    assert len(entries_for(db, action=AuditAction.USERS_IMPORTED)) == 1
    assert "/confirm" not in admin_client.get(preview).text  # no confirm button on an applied import


def test_reimporting_the_same_file_creates_nothing_and_sends_no_mail(
    admin_client: TestClient, db: Session, settings: Settings
) -> None:
    data = _csv([["again@example.lt", "Vėl Tas Pats", "", "", "", ""], ["again2@example.lt", "Ir Vėl", "", "", "", ""]])
    _confirm(admin_client, _uploaded(admin_client, "same.csv", data))
    users, mails = _users(db), len(outbox_messages(settings.outbox_path))
    second = _uploaded(admin_client, "same.csv", data)
    text = _text(admin_client.get(second).text)
    assert "2 people already have an account" in text and "0 new accounts will be created." in text
    assert "There is nothing to create" in text and "Earlier uploads of the same file" in text
    assert f'action="{second}/confirm"' not in admin_client.get(second).text
    token = csrf_from(admin_client.get(second).text)
    assert admin_client.post(f"{second}/confirm", data={"csrf_token": token}).status_code == 303
    assert _users(db) == users
    assert len(outbox_messages(settings.outbox_path)) == mails
    second_import = db.get(UserImport, int(second.rsplit("/", 1)[1]))
    assert second_import is not None and second_import.applied_at is None


def test_row_whose_address_got_an_account_after_the_preview_is_skipped(
    admin_client: TestClient, db: Session, settings: Settings
) -> None:
    data = _csv([["late@example.lt", "Pavėlavęs", "", "", "", ""], ["fresh@example.lt", "Naujas", "", "", "", ""]])
    preview = _uploaded(admin_client, "race.csv", data)
    make_user(db, email_address="late@example.lt", full_name="Užsiregistravęs Pats")
    assert _confirm(admin_client, preview).status_code == 303
    late = find_user(db, "late@example.lt")
    assert late is not None and late.full_name == "Užsiregistravęs Pats"
    assert find_user(db, "fresh@example.lt") is not None
    assert [message["To"] for message in outbox_messages(settings.outbox_path)] == ["fresh@example.lt"]
    text = _text(admin_client.get(preview).text)
    assert "1 new row was skipped" in text and "made after the preview" in text


def test_row_whose_organisation_was_removed_after_the_preview_is_skipped(
    admin_client: TestClient, db: Session, institution: Organisation
) -> None:
    preview = _uploaded(admin_client, "gone.csv", _csv([["gone@example.lt", "Be Įstaigos", "soc-istaiga", "", "", ""]]))
    db.delete(institution)  # merged into another organisation meanwhile
    db.commit()
    assert _confirm(admin_client, preview).status_code == 303
    assert find_user(db, "gone@example.lt") is None
    assert "the organisation no longer exists" in _text(admin_client.get(preview).text)


def test_confirming_writes_an_audit_entry_with_file_and_counts(
    admin_client: TestClient, db: Session, admin: User
) -> None:
    data = _csv([["audit@example.lt", "Audito Įrašas", "", "", "", ""], ["bad", "Klaida", "", "", "", ""]])
    preview = _uploaded(admin_client, "audit.csv", data)
    _confirm(admin_client, preview)
    (entry,) = entries_for(db, action=AuditAction.USERS_IMPORTED)
    import_id = preview.rsplit("/", 1)[1]
    assert entry.actor_id == admin.id and entry.target_type == "user_import" and entry.target_id == import_id
    user_import = db.get(UserImport, int(import_id))
    assert user_import is not None
    assert entry.details["file_name"] == "audit.csv" and entry.details["sha256"] == user_import.file_sha256
    assert entry.details["created"] == 1 and entry.details["errors"] == 1 and entry.details["rows"] == 2
    assert entry.details["invitations_sent"] == 1


def test_invitation_tokens_last_the_invitation_period(admin_client: TestClient, db: Session) -> None:
    _confirm(admin_client, _uploaded(admin_client, "t.csv", _csv([["token@example.lt", "Žetonas", "", "", "", ""]])))
    person = find_user(db, "token@example.lt")
    assert person is not None
    reset = db.scalar(select(PasswordResetToken).where(PasswordResetToken.user_id == person.id))
    assert reset is not None and (reset.expires_at - reset.created_at).days >= 13


def test_when_the_mail_server_is_down_the_accounts_stay_and_the_page_says_so(
    admin_client: TestClient, db: Session, settings: Settings
) -> None:
    settings.smtp_host, settings.smtp_port = "127.0.0.1", 1  # nothing listens there: connection refused
    data = _csv(
        [["nomail1@example.lt", "Be Laiško", "", "", "", ""], ["nomail2@example.lt", "Irgi Be", "", "", "", ""]]
    )
    preview = _uploaded(admin_client, "nomail.csv", data)
    assert _confirm(admin_client, preview).status_code == 303
    assert find_user(db, "nomail1@example.lt") is not None and find_user(db, "nomail2@example.lt") is not None
    text = _text(admin_client.get(preview).text)
    assert "2 accounts were created." in text and "0 invitations were sent." in text
    assert "Forgot your password?" in text and text.count("the invitation could not be sent") == 2
    (entry,) = entries_for(db, action=AuditAction.USERS_IMPORTED)
    assert entry.details["invitations_sent"] == 0


def test_long_previews_are_paged_and_filtered(admin_client: TestClient) -> None:
    rows = [[f"page{number}@example.lt", f"Asmuo {number}", "", "", "", ""] for number in range(1, 131)]
    rows[119][0] = "broken"  # row 121 of the file
    preview = _uploaded(admin_client, "long.csv", _csv(rows))
    first = _text(admin_client.get(preview).text)
    assert "130 rows – page 1 of 2" in first and "Asmuo 100 " in first and "Asmuo 101 " not in first
    second = admin_client.get(f"{preview}?page=2").text
    assert "Asmuo 101" in second and "Asmuo 130" in second and 'rel="prev"' in second
    errors = _text(admin_client.get(f"{preview}?show=error").text)
    assert "1 row" in errors and "Asmuo 120" in errors and "Asmuo 1 " not in errors


# --- the list, access, unknown ids -----------------------------------------------------------------


def test_imports_list_shows_file_uploader_status_and_counts(admin_client: TestClient, db: Session) -> None:
    _confirm(admin_client, _uploaded(admin_client, "done.csv", _csv([["done@example.lt", "Atlikta", "", "", "", ""]])))
    _uploaded(
        admin_client,
        "waiting.csv",
        _csv([["wait@example.lt", "Laukia", "", "", "", ""], ["x", "Bloga", "", "", "", ""]]),
    )
    page = admin_client.get("/admin/users/imports")
    assert page.status_code == 200
    text = _text(page.text)
    assert "2 imports" in text and "done.csv" in text and "waiting.csv" in text
    assert "Confirmed on" in text and "Waiting for confirmation" in text and "Ona Administratorė" in text
    assert text.index("waiting.csv") < text.index("done.csv")  # newest first


def test_another_admins_import_can_be_opened_but_an_unknown_one_is_not_found(
    app: FastAPI, admin_client: TestClient, db: Session
) -> None:
    preview = _uploaded(admin_client, "shared.csv", _csv([["shared@example.lt", "Bendras", "", "", "", ""]]))
    colleague = make_user(db, roles={Role.ADMIN}, locale="en")
    other = TestClient(app, base_url="http://testserver", follow_redirects=False)
    log_in(other, colleague.email)
    assert other.get(preview).status_code == 200
    assert other.get("/admin/users/import/999999").status_code == 404
    assert other.get("/admin/users/import/not-a-number").status_code == 404
    token = csrf_from(other.get(UPLOAD).text)
    assert other.post("/admin/users/import/999999/confirm", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("roles", [{Role.LEARNER}, {Role.TRAINER, Role.LEARNER}, {Role.ORG_MANAGER, Role.LEARNER}])
def test_people_who_are_not_administrators_are_refused(
    app: FastAPI, admin_client: TestClient, db: Session, roles: set[Role]
) -> None:
    preview = _uploaded(admin_client, "secret.csv", _csv([["secret@example.lt", "Slaptas", "", "", "", ""]]))
    person = make_user(db, roles=roles)
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    log_in(client, person.email)
    for url in (UPLOAD, "/admin/users/imports", preview, f"{UPLOAD}/template.csv", f"{UPLOAD}/template.xlsx"):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/profile").text)
    refused = client.post(
        UPLOAD, data={"csrf_token": token}, files={"file": ("p.csv", _csv([["x@example.lt", "X", "", "", "", ""]]))}
    )
    assert refused.status_code == 403
    assert client.post(f"{preview}/confirm", data={"csrf_token": token}).status_code == 403
    assert find_user(db, "secret@example.lt") is None


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get(UPLOAD)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# --- query budgets -----------------------------------------------------------------------------------


def test_preview_query_count_does_not_grow_with_rows(admin_client: TestClient, db: Session, admin: User) -> None:
    organisations = list(db.scalars(select(Organisation.id)))
    user_import = UserImport(created_by_id=admin.id, file_name="budget.csv", file_sha256="1" * 64, rows=[])
    db.add(user_import)
    db.commit()

    def grow(how_many: int) -> None:
        rows = list(user_import.rows)
        for _ in range(how_many):
            number = next(_numbers)
            rows.append(
                {
                    "line": len(rows) + 2,
                    "email": f"budget{number}@example.lt",
                    "full_name": f"Asmuo {number}",
                    "organisation": "",
                    "organisation_id": organisations[number % len(organisations)],
                    "job_title": "",
                    "role": "",
                    "roles": ["learner"],
                    "language": "",
                    "locale": "lt",
                    "status": "error" if number % 3 == 0 else "new",
                    "problems": [{"code": "name_missing"}] if number % 3 == 0 else [],
                }
            )
        user_import.rows = rows
        db.commit()

    # the signed-in user; the import with its uploader; the rows' organisations; other uploads of the file
    assert_constant_queries(admin_client, db, f"/admin/users/import/{user_import.id}", grow, budget=4)


def test_imports_list_query_count_does_not_grow_with_imports(
    admin_client: TestClient, db: Session, admin: User
) -> None:
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            number = next(_numbers)
            db.add(
                UserImport(
                    created_by_id=admin.id,
                    file_name=f"list-{number}.csv",
                    file_sha256=f"{number:064d}",
                    rows=[{"status": "new"}],
                    result={"new": 1, "exists": 0, "errors": 0},
                )
            )
        db.commit()

    # the signed-in user; the count; one page of imports with their uploaders
    assert_constant_queries(admin_client, db, "/admin/users/imports", grow, budget=3)
