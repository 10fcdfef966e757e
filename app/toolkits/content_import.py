"""Toolkit files from the content folder: `<programme>/toolkit/` and `<programme>/<course>/toolkit/`.

Each such folder has a `toolkit.yaml` describing its files. A sync adds new files as toolkits, a changed
file as a new version, and re-applies a description only when its manifest entry changed, so trainers'
edits survive ordinary re-imports. A toolkit deleted in the app is not brought back by a sync.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.courses.content import ContentBundle, ContentError, fingerprint, parse_yaml
from app.courses.content_schema import Localised, Strict
from app.courses.models import Course, Programme
from app.toolkits.file_types import SNIFF_BYTES, FileKind, detect_kind
from app.toolkits.models import Toolkit, ToolkitKind, ToolkitLanguage, ToolkitVersion
from app.toolkits.service import search_text_of
from app.toolkits.storage import CHUNK_BYTES, Storage

MANIFEST = "toolkit.yaml"

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
FileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=120)]


class ManifestEntry(Strict):
    file: FileName
    title: Localised
    description: Localised
    language: ToolkitLanguage
    kind: ToolkitKind
    tags: list[Tag] = Field(default_factory=list, max_length=10)
    public: bool = False


class ToolkitManifest(Strict):
    toolkits: list[ManifestEntry] = Field(min_length=1)


@dataclass(frozen=True)
class ToolkitSource:
    entry: ManifestEntry
    path: Path
    content_path: str  # relative to the content folder, with forward slashes: the toolkit's stable identity
    kind: FileKind
    course_code: str | None
    programme_code: str

    @property
    def manifest_hash(self) -> str:
        return fingerprint(self.entry.model_dump(mode="json"))


def _folders(bundle: ContentBundle, root: Path) -> Iterator[tuple[Path, str | None, str]]:
    """(toolkit folder, course code or None, programme code) for every toolkit folder that exists."""
    for programme in bundle.programmes.programmes:
        folder = root / programme.slug / "toolkit"
        if folder.is_dir():
            yield folder, None, programme.code
    for course in bundle.courses:
        folder = course.folder / "toolkit"
        if folder.is_dir():
            yield folder, course.definition.code, course.definition.programme


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def load_toolkit_sources(bundle: ContentBundle, root: Path, errors: list[ContentError]) -> list[ToolkitSource]:
    """Every toolkit file the manifests describe; problems are added to `errors` with file and field."""
    sources: list[ToolkitSource] = []
    for folder, course_code, programme_code in _folders(bundle, root):
        manifest_path = folder / MANIFEST
        relative = manifest_path.relative_to(root).as_posix()
        if not manifest_path.is_file():
            errors.append(ContentError(relative, "", "file is missing (it describes the folder's toolkit files)"))
            continue
        manifest = parse_yaml(manifest_path.read_text(encoding="utf-8"), relative, ToolkitManifest, errors)
        if manifest is None:
            continue
        listed: set[str] = set()
        for index, entry in enumerate(manifest.toolkits):
            location = f"toolkits.{index}.file"
            path = folder / entry.file
            if entry.file in listed:
                errors.append(ContentError(relative, location, f"{entry.file} is listed twice"))
                continue
            listed.add(entry.file)
            if not path.is_file():
                errors.append(ContentError(relative, location, f"{entry.file} does not exist in {folder.name}/"))
                continue
            kind = detect_kind(_head(path), entry.file)
            if kind is None:
                errors.append(ContentError(relative, location, f"{entry.file} is not an allowed file type"))
                continue
            sources.append(
                ToolkitSource(
                    entry=entry,
                    path=path,
                    content_path=path.relative_to(root).as_posix(),
                    kind=kind,
                    course_code=course_code,
                    programme_code=programme_code,
                )
            )
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name != MANIFEST and path.name not in listed:
                errors.append(ContentError(relative, "toolkits", f"{path.name} is in the folder but not listed"))
    return sources


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


@dataclass
class ToolkitSyncSummary:
    created: int = 0
    new_versions: int = 0
    descriptions_updated: int = 0
    unchanged: int = 0
    skipped_deleted: int = 0
    stored_keys: list[str] = field(default_factory=list)  # removed again if the transaction fails


def _apply_description(toolkit: Toolkit, source: ToolkitSource) -> None:
    entry = source.entry
    toolkit.title = entry.title.as_dict()
    toolkit.description = entry.description.as_dict()
    toolkit.language = entry.language
    toolkit.kind = entry.kind
    toolkit.tags = list(entry.tags)
    toolkit.is_public = entry.public
    toolkit.content_hash = source.manifest_hash


def sync_toolkits(
    session: Session,
    *,
    storage: Storage,
    sources: list[ToolkitSource],
    max_bytes: int,
    advance: Callable[[str], None] | None = None,
) -> ToolkitSyncSummary:
    """Bring the database's toolkits in line with the content files; unchanged files change nothing."""
    summary = ToolkitSyncSummary()
    course_ids = {code: course_id for code, course_id in session.execute(select(Course.code, Course.id))}
    programme_ids = {code: programme_id for code, programme_id in session.execute(select(Programme.code, Programme.id))}
    existing = {
        toolkit.content_path: toolkit
        for toolkit in session.scalars(select(Toolkit).where(Toolkit.content_path.is_not(None)))
    }
    latest = {
        version.toolkit_id: version
        for version in session.scalars(
            select(ToolkitVersion)
            .join(Toolkit, Toolkit.id == ToolkitVersion.toolkit_id)
            .where(Toolkit.content_path.is_not(None), ToolkitVersion.number == Toolkit.version_count)
        )
    }
    try:
        for source in sources:
            toolkit = existing.get(source.content_path)
            if toolkit is not None and toolkit.deleted_at is not None:
                summary.skipped_deleted += 1
            elif toolkit is None:
                _create(session, storage, source, course_ids, programme_ids, max_bytes, summary)
            else:
                _update(session, storage, source, toolkit, latest.get(toolkit.id), max_bytes, summary)
            if advance is not None:
                advance(source.content_path)
        session.flush()
    except BaseException:
        for key in summary.stored_keys:
            storage.delete(key)
        raise
    return summary


def _new_version(
    storage: Storage, source: ToolkitSource, number: int, max_bytes: int, summary: ToolkitSyncSummary
) -> ToolkitVersion:
    stored = storage.save(_file_chunks(source.path), max_bytes=max_bytes)
    summary.stored_keys.append(stored.key)
    return ToolkitVersion(
        number=number,
        storage_key=stored.key,
        file_name=source.path.name,
        file_type=source.kind.extensions[0],
        mime=source.kind.mime,
        size=stored.size,
        sha256=stored.sha256,
        change_note="",  # no uploader: the pages say it came from the content files
        uploaded_at=utcnow(),
    )


def _create(
    session: Session,
    storage: Storage,
    source: ToolkitSource,
    course_ids: dict[str, int],
    programme_ids: dict[str, int],
    max_bytes: int,
    summary: ToolkitSyncSummary,
) -> None:
    toolkit = Toolkit(
        course_id=course_ids[source.course_code] if source.course_code else None,
        programme_id=None if source.course_code else programme_ids[source.programme_code],
        content_path=source.content_path,
        version_count=1,
        download_count=0,
        updated_at=utcnow(),
        versions=[_new_version(storage, source, 1, max_bytes, summary)],
    )
    _apply_description(toolkit, source)
    toolkit.search_text = search_text_of(toolkit, source.path.name)
    session.add(toolkit)
    summary.created += 1


def _update(
    session: Session,
    storage: Storage,
    source: ToolkitSource,
    toolkit: Toolkit,
    current: ToolkitVersion | None,
    max_bytes: int,
    summary: ToolkitSyncSummary,
) -> None:
    changed = False
    if toolkit.content_hash != source.manifest_hash:
        _apply_description(toolkit, source)
        summary.descriptions_updated += 1
        changed = True
    if current is None or current.sha256 != _file_sha256(source.path):
        number = toolkit.version_count + 1
        version = _new_version(storage, source, number, max_bytes, summary)
        version.toolkit_id = toolkit.id
        session.add(version)
        toolkit.version_count = number
        summary.new_versions += 1
        changed = True
    if changed:
        toolkit.search_text = search_text_of(toolkit, source.path.name)
        toolkit.updated_at = utcnow()
    else:
        summary.unchanged += 1
