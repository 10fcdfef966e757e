"""Uploading toolkits through the page and downloading them: bytes, hashes, names, types, limits, ranges."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.core.access import Role
from app.core.config import Settings
from tests.factories import csrf_from, make_user
from tests.progress.page_setup import client_for
from tests.quizzes.quiz_setup import learner_of, trainer_of
from tests.toolkits import multipart_bodies as body
from tests.toolkits.page_setup import (
    CODE,
    ELF,
    UPLOAD_URL,
    docx_bytes,
    pdf_bytes,
    stored_files,
    toolkits_of,
    upload,
    versions_of,
)

pytestmark = pytest.mark.usefixtures("synced")


@pytest.fixture
def uploads(settings: Settings) -> Path:
    return settings.uploads_path


def test_upload_then_download_gives_identical_bytes_hash_and_safe_headers(app: FastAPI, db: Session) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    data = pdf_bytes("round trip")
    response = upload(trainer, [("Skaidrės – Ąžuolas.pdf", data)])
    assert response.status_code == 303
    [toolkit] = toolkits_of(db)
    assert response.headers["location"] == f"/toolkits/{toolkit.id}?notice=toolkit-uploaded"
    [version] = versions_of(db, toolkit.id)
    assert version.sha256 == hashlib.sha256(data).hexdigest() and version.size == len(data)
    assert toolkit.title == {"lt": "Mokymų skaidrės", "en": "Training slides"} and toolkit.tags == [
        "dirbtuvės",
        "workshop",
    ]

    learner = client_for(app, learner_of(db, CODE))
    download = learner.get(f"/toolkits/{toolkit.id}/download")
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["etag"] == f'"{version.sha256}"'
    assert download.headers["accept-ranges"] == "bytes"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Skaidres _ Azuolas.pdf"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Skaidrės – Ąžuolas.pdf"


def test_the_stored_file_is_under_a_random_name_not_the_uploaded_one(app: FastAPI, db: Session, uploads: Path) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    upload(trainer, [("report.pdf", pdf_bytes("names"))])
    [stored] = stored_files(uploads)
    assert "report" not in str(stored) and stored.suffix == ""


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.pdf", "system.pdf"),
        ("gpj.\u202efdp.pdf", "gpj.fdp.pdf"),  # a right-to-left override would disguise the extension
        ("x" * 400 + ".pdf", "x" * 176 + ".pdf"),
    ],
)
def test_hostile_file_names_only_become_harmless_display_names(
    app: FastAPI, db: Session, uploads: Path, tmp_path: Path, sent: str, shown: str
) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    assert upload(trainer, [(sent, pdf_bytes(sent))]).status_code == 303
    [toolkit] = toolkits_of(db)
    [version] = versions_of(db, toolkit.id)
    assert version.file_name == shown
    [stored] = stored_files(uploads)
    assert uploads.resolve() in stored.resolve().parents
    assert not (tmp_path.parent / "etc").exists()


def test_a_nul_byte_in_the_file_name_is_dropped(app: FastAPI, db: Session, uploads: Path) -> None:
    user = trainer_of(db, CODE)
    trainer = client_for(app, user)
    token = csrf_from(trainer.get(UPLOAD_URL).text)
    parts = [
        *body.field("csrf_token", token),
        *body.field("language", "lt"),
        *body.field("kind", "guide"),
        *body.file("files", "guide\x00.exe.pdf", [pdf_bytes("nul")], "application/pdf"),
        *body.end(),
    ]
    response = trainer.post(UPLOAD_URL, content=b"".join(parts), headers={"content-type": body.CONTENT_TYPE})
    assert response.status_code == 303
    [toolkit] = toolkits_of(db)
    assert versions_of(db, toolkit.id)[0].file_name == "guide.exe.pdf"


def test_a_disguised_executable_is_refused_and_nothing_is_kept(app: FastAPI, db: Session, uploads: Path) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    response = upload(trainer, [("handout.pdf", ELF)])
    assert response.status_code == 422
    assert "handout.pdf" in response.text
    assert toolkits_of(db) == [] and stored_files(uploads) == []


def test_a_zip_renamed_docx_is_refused_but_a_real_docx_is_accepted(app: FastAPI, db: Session) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    plain_zip = docx_bytes().replace(b"word/document.xml", b"other/content.xml")
    assert upload(trainer, [("fake.docx", plain_zip)]).status_code == 422
    assert upload(trainer, [("real.docx", docx_bytes())]).status_code == 303
    [toolkit] = toolkits_of(db)
    assert versions_of(db, toolkit.id)[0].mime.endswith("wordprocessingml.document")


def test_an_upload_over_the_limit_is_refused_with_413_and_leaves_nothing(
    app: FastAPI, db: Session, settings: Settings, uploads: Path
) -> None:
    settings.upload_max_bytes = 4096
    trainer = client_for(app, trainer_of(db, CODE))
    response = upload(trainer, [("small.pdf", pdf_bytes("small")), ("big.pdf", pdf_bytes("big") + bytes(8192))])
    assert response.status_code == 413
    assert "big.pdf" in response.text and "4 kB" in response.text.replace("\xa0", " ")
    assert 'value="Mokymų skaidrės"' in response.text  # what was typed is shown again
    assert toolkits_of(db) == [] and stored_files(uploads) == []


def test_several_files_at_once_make_one_toolkit_each_and_a_repeat_upload_makes_none(
    app: FastAPI, db: Session, uploads: Path
) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    files = [("day-one.pdf", pdf_bytes("one")), ("day-two.pdf", pdf_bytes("two"))]
    first = upload(trainer, files)
    assert first.status_code == 200
    titles = sorted(toolkit.title["en"] for toolkit in toolkits_of(db))
    assert titles == ["Training slides – day-one", "Training slides – day-two"]

    again = upload(trainer, files)  # a double submit, or the same files chosen again
    assert again.status_code == 422
    assert "day-one.pdf" in again.text and "day-two.pdf" in again.text
    assert len(toolkits_of(db)) == 2 and len(stored_files(uploads)) == 2


def test_without_a_title_the_file_name_becomes_the_title(app: FastAPI, db: Session) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    details = {"language": "lt", "kind": "template"}
    assert upload(trainer, [("Klasterio_apzvalgos_forma.pdf", pdf_bytes("t"))], details=details).status_code == 303
    [toolkit] = toolkits_of(db)
    assert toolkit.title == {"lt": "Klasterio apzvalgos forma", "en": "Klasterio apzvalgos forma"}


def test_invalid_details_show_the_form_again_and_keep_no_file(app: FastAPI, db: Session, uploads: Path) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    details = {"title_lt": "Skaidrės <b>", "language": "klingon", "kind": "slides"}
    response = upload(trainer, [("a.pdf", pdf_bytes("a"))], details=details)
    assert response.status_code == 422
    assert "Skaidrės &lt;b&gt;" in response.text
    assert toolkits_of(db) == [] and stored_files(uploads) == []


def test_an_upload_without_a_csrf_token_first_is_refused_before_anything_is_stored(
    app: FastAPI, db: Session, uploads: Path
) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    token = csrf_from(trainer.get(UPLOAD_URL).text)
    missing = [*body.field("language", "lt"), *body.file("files", "a.pdf", [pdf_bytes("x")]), *body.end()]
    token_after_file = [
        *body.field("language", "lt"),
        *body.file("files", "a.pdf", [pdf_bytes("y")]),
        *body.field("csrf_token", token),
        *body.end(),
    ]
    for parts in (missing, token_after_file):
        response = trainer.post(UPLOAD_URL, content=b"".join(parts), headers={"content-type": body.CONTENT_TYPE})
        assert response.status_code == 403
    assert toolkits_of(db) == [] and stored_files(uploads) == []


def test_a_broken_multipart_body_is_a_400_and_leaves_nothing(app: FastAPI, db: Session, uploads: Path) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    token = csrf_from(trainer.get(UPLOAD_URL).text)
    parts = [*body.field("csrf_token", token), *body.file("files", "a.pdf", [pdf_bytes("cut")])]  # no end
    response = trainer.post(UPLOAD_URL, content=b"".join(parts), headers={"content-type": body.CONTENT_TYPE})
    assert response.status_code == 400
    assert toolkits_of(db) == [] and stored_files(uploads) == []


def test_only_the_course_trainers_and_administrators_may_upload(app: FastAPI, db: Session) -> None:
    learner = client_for(app, learner_of(db, CODE))
    assert learner.get(UPLOAD_URL).status_code == 403
    other_trainer = client_for(app, make_user(db, roles={Role.TRAINER}))
    assert other_trainer.get(UPLOAD_URL).status_code == 404
    admin = client_for(app, make_user(db, roles={Role.ADMIN}))
    assert upload(admin, [("a.pdf", pdf_bytes("admin"))]).status_code == 303


def test_administrators_upload_programme_wide_toolkits_that_the_programme_s_learners_see(
    app: FastAPI, db: Session
) -> None:
    admin = client_for(app, make_user(db, roles={Role.ADMIN}))
    response = upload(admin, [("guide.pdf", pdf_bytes("programme"))], url="/programmes/SC/toolkits/upload")
    assert response.status_code == 303
    [toolkit] = toolkits_of(db)
    assert toolkit.course_id is None and toolkit.programme_id is not None
    assert client_for(app, learner_of(db, CODE)).get(f"/toolkits/{toolkit.id}").status_code == 200
    assert client_for(app, make_user(db)).get(f"/toolkits/{toolkit.id}").status_code == 404
    trainer = client_for(app, trainer_of(db, CODE))
    assert trainer.get("/programmes/SC/toolkits/upload").status_code == 403
