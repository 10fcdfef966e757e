"""Toolkit files from the content folder: manifests are checked, and a sync adds, versions and leaves alone."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.access import Role
from app.courses.content import ContentError, load_content
from app.courses.models import Course, Programme
from app.toolkits import service
from app.toolkits.content_import import ToolkitSource, ToolkitSyncSummary, load_toolkit_sources, sync_toolkits
from app.toolkits.models import Toolkit, ToolkitKind, ToolkitLanguage, ToolkitVersion
from app.toolkits.schemas import ToolkitEditForm
from app.toolkits.storage import LocalStorage, StoredFile
from tests.factories import make_user

COURSE_FOLDER = "social-cluster/sc9-test-course/toolkit"
PROGRAMME_FOLDER = "social-cluster/toolkit"
COURSE_MANIFEST = f"{COURSE_FOLDER}/toolkit.yaml"
PROGRAMME_MANIFEST = f"{PROGRAMME_FOLDER}/toolkit.yaml"
GUIDE = f"{COURSE_FOLDER}/facilitation-guide.lt.md"
SLIDES = f"{COURSE_FOLDER}/session-slides.pdf"
PROGRAMME_GUIDE = f"{PROGRAMME_FOLDER}/programme-guide.en.md"
MAX_BYTES = 10 * 1024 * 1024
ELF = b"\x7fELF" + bytes(60)

pytestmark = pytest.mark.usefixtures("synced")  # the courses and programmes the toolkits belong to


@pytest.fixture
def uploads(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "uploads")


def load(root: Path) -> tuple[list[ToolkitSource], list[ContentError]]:
    errors: list[ContentError] = []
    sources = load_toolkit_sources(load_content(root), root, errors)
    return sources, errors


def run_sync(db: Session, root: Path, storage: LocalStorage) -> ToolkitSyncSummary:
    sources, errors = load(root)
    assert errors == []
    summary = sync_toolkits(db, storage=storage, sources=sources, max_bytes=MAX_BYTES)
    db.commit()
    return summary


def stored_files(storage: LocalStorage) -> set[Path]:
    return {path for path in storage.root.rglob("*") if path.is_file()} if storage.root.exists() else set()


def read_stored(storage: LocalStorage, key: str) -> bytes:
    return b"".join(storage.read(key))


def toolkit_at(db: Session, content_path: str) -> Toolkit:
    db.expire_all()
    toolkit = db.scalar(select(Toolkit).where(Toolkit.content_path == content_path))
    assert toolkit is not None
    return toolkit


def versions_of(db: Session, toolkit: Toolkit) -> list[ToolkitVersion]:
    statement = select(ToolkitVersion).where(ToolkitVersion.toolkit_id == toolkit.id).order_by(ToolkitVersion.number)
    return list(db.scalars(statement))


def count(db: Session, model: type[Toolkit] | type[ToolkitVersion]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def admin_edits_description(db: Session, toolkit: Toolkit, description_en: str) -> None:
    admin = make_user(db, roles={Role.ADMIN})
    details = ToolkitEditForm(
        title_lt=toolkit.title["lt"],
        title_en=toolkit.title["en"],
        description_lt=toolkit.description["lt"],
        description_en=description_en,
        language=ToolkitLanguage(toolkit.language),
        kind=ToolkitKind(toolkit.kind),
        tags=list(toolkit.tags),
        is_public=toolkit.is_public,
    )
    service.update_details(db, toolkit_id=toolkit.id, details=details, user=admin)
    db.commit()


def test_first_sync_creates_one_toolkit_per_entry_with_the_files_bytes(
    db: Session, content_root: Path, uploads: LocalStorage
) -> None:
    summary = run_sync(db, content_root, uploads)

    course_id = db.scalar(select(Course.id).where(Course.code == "SC9"))
    programme_id = db.scalar(select(Programme.id).where(Programme.code == "SC"))
    toolkits = list(db.scalars(select(Toolkit).order_by(Toolkit.content_path)))
    assert summary.created == 3
    assert [(t.content_path, t.course_id, t.programme_id, t.version_count) for t in toolkits] == [
        (GUIDE, course_id, None, 1),
        (SLIDES, course_id, None, 1),
        (PROGRAMME_GUIDE, None, programme_id, 1),
    ]
    assert toolkit_at(db, SLIDES).title == {"lt": "Užsiėmimo skaidrės", "en": "Session slides"}
    for toolkit in toolkits:
        assert toolkit.content_path is not None
        data = (content_root / toolkit.content_path).read_bytes()
        [version] = versions_of(db, toolkit)
        assert version.number == 1
        assert read_stored(uploads, version.storage_key) == data
        assert version.sha256 == hashlib.sha256(data).hexdigest()


def test_second_sync_without_changes_creates_and_stores_nothing(
    db: Session, content_root: Path, uploads: LocalStorage
) -> None:
    run_sync(db, content_root, uploads)
    files = stored_files(uploads)

    summary = run_sync(db, content_root, uploads)

    assert (summary.created, summary.new_versions, summary.descriptions_updated, summary.unchanged) == (0, 0, 0, 3)
    assert len(files) == 3
    assert stored_files(uploads) == files
    assert (count(db, Toolkit), count(db, ToolkitVersion)) == (3, 3)


def test_edited_file_becomes_version_two_and_version_one_is_kept(
    db: Session, content_root: Path, uploads: LocalStorage
) -> None:
    run_sync(db, content_root, uploads)
    path = content_root / GUIDE
    original = path.read_bytes()
    path.write_bytes(original + b"\nNauja pastraipa.\n")

    summary = run_sync(db, content_root, uploads)

    toolkit = toolkit_at(db, GUIDE)
    first, second = versions_of(db, toolkit)
    assert (summary.new_versions, summary.unchanged, toolkit.version_count) == (1, 2, 2)
    assert read_stored(uploads, first.storage_key) == original
    assert read_stored(uploads, second.storage_key) == path.read_bytes()
    assert second.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (second.number, second.change_note, second.uploaded_by_id) == (2, "", None)


def test_edited_manifest_title_reapplies_the_description(
    db: Session, content_root: Path, uploads: LocalStorage
) -> None:
    run_sync(db, content_root, uploads)
    admin_edits_description(db, toolkit_at(db, SLIDES), "Edited in the app.")
    edit(content_root / COURSE_MANIFEST, '"Session slides"', '"Session slides, day two"')

    summary = run_sync(db, content_root, uploads)

    toolkit = toolkit_at(db, SLIDES)
    assert (summary.descriptions_updated, summary.new_versions) == (1, 0)
    assert toolkit.title == {"lt": "Užsiėmimo skaidrės", "en": "Session slides, day two"}
    assert toolkit.description == {"lt": "Skaidrės mokymų dienai.", "en": "Slides for the training day."}


def test_description_edited_in_the_app_survives_a_sync_of_an_unchanged_manifest(
    db: Session, content_root: Path, uploads: LocalStorage
) -> None:
    run_sync(db, content_root, uploads)
    admin_edits_description(db, toolkit_at(db, SLIDES), "Edited in the app.")

    summary = run_sync(db, content_root, uploads)

    assert (summary.descriptions_updated, summary.unchanged) == (0, 3)
    assert toolkit_at(db, SLIDES).description == {"lt": "Skaidrės mokymų dienai.", "en": "Edited in the app."}


def test_toolkit_deleted_in_the_app_is_neither_restored_nor_recreated(
    db: Session, content_root: Path, uploads: LocalStorage
) -> None:
    run_sync(db, content_root, uploads)
    slides_id = toolkit_at(db, SLIDES).id
    admin = make_user(db, roles={Role.ADMIN})
    service.delete_toolkit(db, toolkit_id=slides_id, user=admin)
    db.commit()
    files = stored_files(uploads)
    (content_root / SLIDES).write_bytes((content_root / SLIDES).read_bytes() + b"\n% changed\n")
    edit(content_root / COURSE_MANIFEST, '"Session slides"', '"Session slides, day two"')

    summary = run_sync(db, content_root, uploads)

    toolkit = toolkit_at(db, SLIDES)
    assert (summary.skipped_deleted, summary.created, summary.new_versions) == (1, 0, 0)
    assert toolkit.deleted_at is not None
    assert (toolkit.version_count, toolkit.title["en"]) == (1, "Session slides")
    assert (count(db, Toolkit), count(db, ToolkitVersion)) == (3, 3)
    assert stored_files(uploads) == files


def test_listed_file_that_is_missing_is_reported(content_root: Path) -> None:
    (content_root / GUIDE).unlink()
    sources, errors = load(content_root)
    assert errors == [
        ContentError(COURSE_MANIFEST, "toolkits.0.file", "facilitation-guide.lt.md does not exist in toolkit/")
    ]
    assert GUIDE not in {source.content_path for source in sources}


def test_file_in_the_folder_but_not_listed_is_reported(content_root: Path) -> None:
    (content_root / COURSE_FOLDER / "notes.md").write_text("# Notes\n", encoding="utf-8")
    _, errors = load(content_root)
    assert errors == [ContentError(COURSE_MANIFEST, "toolkits", "notes.md is in the folder but not listed")]


def test_executable_disguised_as_pdf_is_reported(content_root: Path) -> None:
    (content_root / SLIDES).write_bytes(ELF)
    sources, errors = load(content_root)
    assert errors == [
        ContentError(COURSE_MANIFEST, "toolkits.1.file", "session-slides.pdf is not an allowed file type")
    ]
    assert SLIDES not in {source.content_path for source in sources}


def test_unknown_key_in_an_entry_is_reported_with_its_line(content_root: Path) -> None:
    manifest = content_root / PROGRAMME_MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8") + "    colour: red\n", encoding="utf-8")
    _, errors = load(content_root)
    assert errors == [ContentError(PROGRAMME_MANIFEST, "line 7, toolkits.0.colour", "unknown key")]


def test_unknown_kind_is_reported_with_its_line(content_root: Path) -> None:
    edit(content_root / PROGRAMME_MANIFEST, "kind: guide", "kind: poster")
    _, errors = load(content_root)
    assert [(error.file, error.location) for error in errors] == [(PROGRAMME_MANIFEST, "line 6, toolkits.0.kind")]
    assert "slides" in errors[0].message


class FailsOnSecondSave(LocalStorage):
    """A local folder whose second save fails, as a full disk or a lost bucket would."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.saves = 0

    def save(self, chunks: Iterable[bytes], *, max_bytes: int) -> StoredFile:
        self.saves += 1
        if self.saves == 2:
            raise OSError("disk full")
        return super().save(chunks, max_bytes=max_bytes)


def test_failure_half_way_removes_the_files_stored_in_that_sync(
    db: Session, content_root: Path, uploads: LocalStorage
) -> None:
    run_sync(db, content_root, uploads)
    earlier = stored_files(uploads)
    for path in (GUIDE, SLIDES, PROGRAMME_GUIDE):
        (content_root / path).write_bytes((content_root / path).read_bytes() + b"\n")
    failing = FailsOnSecondSave(uploads.root)
    sources, _ = load(content_root)

    with pytest.raises(OSError, match="disk full"):
        sync_toolkits(db, storage=failing, sources=sources, max_bytes=MAX_BYTES)
    db.rollback()

    assert failing.saves == 2  # the first new version was stored before the failure
    assert stored_files(uploads) == earlier
