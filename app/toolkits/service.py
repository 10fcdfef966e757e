"""Toolkits: who may read and maintain them, uploading files and new versions, soft deletion and restoring."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, or_, select, true, update
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.core.access import Role
from app.core.db import utcnow
from app.core.errors import Forbidden, NotFound, Unprocessable
from app.core.i18n import _
from app.courses.models import Course, CourseRole, Enrolment, Programme
from app.courses.service import taught_course
from app.toolkits.downloads import FileToSend
from app.toolkits.models import Toolkit, ToolkitKind, ToolkitLanguage, ToolkitVersion
from app.toolkits.schemas import ToolkitDetailsForm
from app.toolkits.storage import Storage
from app.toolkits.uploads import ReceivedFile

MAX_TITLE_LENGTH = 200


def kind_labels() -> dict[str, str]:
    return {
        ToolkitKind.SLIDES: _("Slides"),
        ToolkitKind.HANDOUT: _("Handout"),
        ToolkitKind.EXERCISE: _("Exercise"),
        ToolkitKind.GUIDE: _("Guide"),
        ToolkitKind.VIDEO: _("Video"),
        ToolkitKind.TEMPLATE: _("Template"),
    }


def language_labels() -> dict[str, str]:
    return {
        ToolkitLanguage.LT: _("Lithuanian"),
        ToolkitLanguage.EN: _("English"),
        ToolkitLanguage.BOTH: _("Lithuanian and English"),
    }


def toolkit_missing() -> NotFound:
    return NotFound(_("This toolkit does not exist, has been deleted, or is not shared with you."))


@dataclass(frozen=True)
class Owner:
    """Where toolkits are uploaded to: a course (its trainers and administrators) or a whole programme."""

    programme: Programme
    course: Course | None = None


def course_owner(session: Session, *, code: str, user: User) -> Owner:
    """A course the person may upload to: one they teach (administrators: any); others get 404."""
    course = taught_course(session, code=code, user=user)
    programme = session.get(Programme, course.programme_id)
    assert programme is not None  # a course always belongs to a programme (foreign key)
    return Owner(programme=programme, course=course)


def programme_owner(session: Session, *, code: str) -> Owner:
    programme = session.scalar(select(Programme).where(Programme.code == code))
    if programme is None:
        raise NotFound(_("This programme does not exist."))
    return Owner(programme=programme)


def _is_admin(user: User) -> bool:
    return Role.ADMIN in user.role_set


def readable_by(user: User) -> ColumnElement[bool]:
    """Toolkits the person may see: public ones, and those of their courses and of those courses' programmes."""
    if _is_admin(user):
        return true()
    own_courses = select(Enrolment.course_id).where(Enrolment.user_id == user.id)
    own_programmes = select(Course.programme_id).where(Course.id.in_(own_courses))
    return or_(
        Toolkit.is_public.is_(True),
        Toolkit.course_id.in_(own_courses),
        Toolkit.programme_id.in_(own_programmes),
    )


def taught_course_ids(user: User) -> Select[tuple[int]]:
    return select(Enrolment.course_id).where(Enrolment.user_id == user.id, Enrolment.role == CourseRole.TRAINER)


def may_upload_to_course(session: Session, *, user: User, course_id: int) -> bool:
    if _is_admin(user):
        return True
    return session.scalar(taught_course_ids(user).where(Enrolment.course_id == course_id)) is not None


def manageable_by(user: User) -> ColumnElement[bool]:
    """Toolkits the person may change: those of courses they teach; programme-wide ones only administrators."""
    if _is_admin(user):
        return true()
    return Toolkit.course_id.in_(taught_course_ids(user))


def _can_manage(session: Session, user: User, toolkit_id: int) -> bool:
    found = session.scalar(select(Toolkit.id).where(Toolkit.id == toolkit_id, manageable_by(user)))
    return found is not None


def _readable_toolkit(session: Session, *, toolkit_id: int, user: User, deleted_too: bool = False) -> Toolkit:
    statement = select(Toolkit).where(Toolkit.id == toolkit_id, readable_by(user))
    if not (deleted_too and _is_admin(user)):
        statement = statement.where(Toolkit.deleted_at.is_(None))
    toolkit = session.scalar(statement)
    if toolkit is None:
        raise toolkit_missing()
    return toolkit


def managed_toolkit(session: Session, *, toolkit_id: int, user: User, for_update: bool = False) -> Toolkit:
    """A toolkit the person may change. Seeing it without the right to change it is 403; not seeing it, 404."""
    statement = select(Toolkit).where(Toolkit.id == toolkit_id, Toolkit.deleted_at.is_(None), manageable_by(user))
    if for_update:
        statement = statement.with_for_update()
    toolkit = session.scalar(statement)
    if toolkit is None:
        _readable_toolkit(session, toolkit_id=toolkit_id, user=user)  # raises 404 when not even visible
        raise Forbidden(_("Only the course's trainers and administrators can change this toolkit."))
    return toolkit


def search_text_of(toolkit: Toolkit, file_name: str) -> str:
    parts = [*toolkit.title.values(), *toolkit.description.values(), *toolkit.tags, file_name]
    return "\n".join(part.casefold() for part in parts if part)


def _translations(lt: str, en: str) -> dict[str, str]:
    return {locale: text for locale, text in (("lt", lt), ("en", en)) if text}


def _title_from_file(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return " ".join(stem.replace("_", " ").split())[:MAX_TITLE_LENGTH] or file_name[:MAX_TITLE_LENGTH]


def _titles_for(details: ToolkitDetailsForm, file: ReceivedFile, *, several: bool) -> dict[str, str]:
    """The typed titles, or the file's name; with several files each title also names its file."""
    from_file = _title_from_file(file.name)
    typed = _translations(details.title_lt, details.title_en)
    if not typed:
        return {"lt": from_file, "en": from_file}
    if not several:
        return typed
    return {locale: f"{title} – {from_file}"[:MAX_TITLE_LENGTH] for locale, title in typed.items()}


def _version_from(file: ReceivedFile, *, number: int, note: str, user: User | None) -> ToolkitVersion:
    return ToolkitVersion(
        number=number,
        storage_key=file.stored.key,
        file_name=file.name,
        file_type=file.kind.extensions[0],
        mime=file.kind.mime,
        size=file.stored.size,
        sha256=file.stored.sha256,
        change_note=note,
        uploaded_by_id=user.id if user is not None else None,
        uploaded_at=utcnow(),
    )


def _owner_clause(owner: Owner) -> ColumnElement[bool]:
    if owner.course is not None:
        return Toolkit.course_id == owner.course.id
    return Toolkit.programme_id == owner.programme.id


@dataclass(frozen=True)
class DuplicateFile:
    name: str
    existing: Toolkit


@dataclass
class UploadOutcome:
    created: list[Toolkit] = field(default_factory=list)
    duplicates: list[DuplicateFile] = field(default_factory=list)


def add_toolkits(
    session: Session,
    *,
    storage: Storage,
    owner: Owner,
    details: ToolkitDetailsForm,
    files: list[ReceivedFile],
    user: User,
) -> UploadOutcome:
    """One new toolkit per uploaded file; a file already in this course's (or programme's) toolkits is skipped.

    Stored files that end up unused (duplicates, or all of them when this fails) are removed again.
    """
    outcome = UploadOutcome()
    hashes = {file.stored.sha256 for file in files}
    existing = {
        version.sha256: version.toolkit
        for version in session.scalars(
            select(ToolkitVersion)
            .join(Toolkit, Toolkit.id == ToolkitVersion.toolkit_id)
            .where(ToolkitVersion.sha256.in_(hashes), Toolkit.deleted_at.is_(None), _owner_clause(owner))
            .options(selectinload(ToolkitVersion.toolkit))
        )
    }
    kept: list[ReceivedFile] = []
    try:
        for file in files:
            duplicate_of = existing.get(file.stored.sha256)
            if duplicate_of is not None:
                outcome.duplicates.append(DuplicateFile(file.name, duplicate_of))
                storage.delete(file.stored.key)
                continue
            kept.append(file)
            now = utcnow()
            toolkit = Toolkit(
                course_id=owner.course.id if owner.course is not None else None,
                programme_id=owner.programme.id if owner.course is None else None,
                title=_titles_for(details, file, several=len(files) > 1),
                description=_translations(details.description_lt, details.description_en),
                language=details.language,
                kind=details.kind,
                tags=details.tags,
                is_public=details.is_public,
                version_count=1,
                created_by_id=user.id,
                updated_at=now,
                versions=[_version_from(file, number=1, note="", user=user)],
            )
            toolkit.search_text = search_text_of(toolkit, file.name)
            session.add(toolkit)
            outcome.created.append(toolkit)
            existing[file.stored.sha256] = toolkit  # the same file twice in one upload is one toolkit
        session.flush()
    except BaseException:
        for file in kept:
            storage.delete(file.stored.key)
        raise
    return outcome


def add_version(
    session: Session, *, storage: Storage, toolkit_id: int, file: ReceivedFile, note: str, user: User
) -> ToolkitVersion:
    """The file becomes the toolkit's latest version; the same bytes as the current version are refused."""
    try:
        toolkit = managed_toolkit(session, toolkit_id=toolkit_id, user=user, for_update=True)
        latest = session.scalar(
            select(ToolkitVersion).where(
                ToolkitVersion.toolkit_id == toolkit.id, ToolkitVersion.number == toolkit.version_count
            )
        )
        if latest is not None and latest.sha256 == file.stored.sha256:
            raise Unprocessable(
                _(
                    "This file is identical to the current version (%(number)s), so no new version was saved.",
                    number=latest.number,
                ),
                field="file",
            )
        number = toolkit.version_count + 1
        version = _version_from(file, number=number, note=note, user=user)
        version.toolkit_id = toolkit.id
        session.add(version)
        toolkit.version_count = number
        toolkit.updated_at = version.uploaded_at
        toolkit.search_text = search_text_of(toolkit, file.name)
        session.flush()
    except BaseException:
        storage.delete(file.stored.key)
        raise
    return version


def update_details(session: Session, *, toolkit_id: int, details: ToolkitDetailsForm, user: User) -> Toolkit:
    toolkit = managed_toolkit(session, toolkit_id=toolkit_id, user=user)
    latest_name = session.scalar(
        select(ToolkitVersion.file_name).where(
            ToolkitVersion.toolkit_id == toolkit.id, ToolkitVersion.number == toolkit.version_count
        )
    )
    toolkit.title = _translations(details.title_lt, details.title_en)
    toolkit.description = _translations(details.description_lt, details.description_en)
    toolkit.language = details.language
    toolkit.kind = details.kind
    toolkit.tags = details.tags
    toolkit.is_public = details.is_public
    toolkit.search_text = search_text_of(toolkit, latest_name or "")
    toolkit.updated_at = utcnow()
    session.flush()
    return toolkit


def delete_toolkit(session: Session, *, toolkit_id: int, user: User) -> Toolkit:
    """Hidden at once; administrators can restore it until the purge removes its files."""
    toolkit = managed_toolkit(session, toolkit_id=toolkit_id, user=user)
    toolkit.deleted_at = utcnow()
    toolkit.deleted_by_id = user.id
    session.flush()
    return toolkit


def restore_toolkit(session: Session, *, toolkit_id: int) -> Toolkit:
    toolkit = session.scalar(select(Toolkit).where(Toolkit.id == toolkit_id, Toolkit.deleted_at.is_not(None)))
    if toolkit is None:
        raise NotFound(_("This toolkit is not among the deleted ones (it may have been restored or purged)."))
    toolkit.deleted_at = None
    toolkit.deleted_by_id = None
    session.flush()
    return toolkit


def deleted_before(session: Session, *, moment: dt.datetime) -> list[int]:
    return list(
        session.scalars(
            select(Toolkit.id).where(Toolkit.deleted_at.is_not(None), Toolkit.deleted_at < moment).order_by(Toolkit.id)
        )
    )


def purge_toolkit(session: Session, *, storage: Storage, toolkit_id: int) -> int:
    """Remove a deleted toolkit's files, then its rows. Safe to run again after a failure half-way."""
    toolkit = session.scalar(
        select(Toolkit)
        .where(Toolkit.id == toolkit_id, Toolkit.deleted_at.is_not(None))
        .options(selectinload(Toolkit.versions))
        # Versions added in this session since the toolkit was loaded must have their files removed too.
        .execution_options(populate_existing=True)
    )
    if toolkit is None:
        return 0
    for version in toolkit.versions:
        storage.delete(version.storage_key)
    removed = len(toolkit.versions)
    session.delete(toolkit)
    session.flush()
    return removed


@dataclass(frozen=True)
class ToolkitView:
    toolkit: Toolkit
    latest: ToolkitVersion
    versions: list[ToolkitVersion]  # newest first; readers who cannot maintain it see only the latest
    uploaders: dict[int, str]  # version id -> uploader's name (absent for content imports)
    programme: Programme
    course: Course | None
    can_manage: bool


def toolkit_view(session: Session, *, toolkit_id: int, user: User) -> ToolkitView:
    toolkit = _readable_toolkit(session, toolkit_id=toolkit_id, user=user, deleted_too=True)
    return _view_of(session, toolkit, can_manage=_can_manage(session, user, toolkit.id))


def managed_toolkit_view(session: Session, *, toolkit_id: int, user: User) -> ToolkitView:
    """The view of a toolkit the person may change (403/404 otherwise), for the maintenance pages."""
    return _view_of(session, managed_toolkit(session, toolkit_id=toolkit_id, user=user), can_manage=True)


def _view_of(session: Session, toolkit: Toolkit, *, can_manage: bool) -> ToolkitView:
    rows = session.execute(
        select(ToolkitVersion, User.full_name)
        .outerjoin(User, User.id == ToolkitVersion.uploaded_by_id)
        .where(ToolkitVersion.toolkit_id == toolkit.id)
        .order_by(ToolkitVersion.number.desc())
    ).all()
    versions = [row[0] for row in rows]
    course = (
        session.scalar(select(Course).where(Course.id == toolkit.course_id)) if toolkit.course_id is not None else None
    )
    programme_id = course.programme_id if course is not None else toolkit.programme_id
    programme = session.scalar(select(Programme).where(Programme.id == programme_id))
    assert programme is not None  # every toolkit has an owner (check constraint)
    return ToolkitView(
        toolkit=toolkit,
        latest=versions[0],
        versions=versions if can_manage else versions[:1],
        uploaders={row[0].id: row[1] for row in rows if row[1] is not None},
        programme=programme,
        course=course,
        can_manage=can_manage,
    )


def file_to_send(session: Session, *, toolkit_id: int, number: int | None, user: User) -> FileToSend:
    """The latest file for anyone who may read the toolkit; an exact version only for those who maintain it."""
    toolkit = _readable_toolkit(session, toolkit_id=toolkit_id, user=user, deleted_too=True)
    if number is not None and not _can_manage(session, user, toolkit.id):
        raise NotFound(_("Earlier versions are available to the course's trainers only."))
    version = session.scalar(
        select(ToolkitVersion).where(
            ToolkitVersion.toolkit_id == toolkit.id,
            ToolkitVersion.number == (number if number is not None else toolkit.version_count),
        )
    )
    if version is None:
        raise NotFound(_("This version does not exist."))
    return FileToSend(
        key=version.storage_key,
        size=version.size,
        sha256=version.sha256,
        mime=version.mime,
        file_name=version.file_name,
    )


def count_download(session: Session, *, toolkit_id: int) -> None:
    # One UPDATE, so simultaneous downloads cannot overwrite each other's count.
    session.execute(update(Toolkit).where(Toolkit.id == toolkit_id).values(download_count=Toolkit.download_count + 1))


def course_code_of(session: Session, toolkit: Toolkit) -> str | None:
    """The code of the toolkit's course, or None for a programme-wide toolkit."""
    if toolkit.course_id is None:
        return None
    return session.scalar(select(Course.code).where(Course.id == toolkit.course_id))
