"""Set-up for the toolkit page tests: files of each kind, signed-in browsers, uploads as a browser sends them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.toolkits.models import Toolkit, ToolkitVersion
from tests.factories import csrf_from

CODE = "SC9"
UPLOAD_URL = f"/courses/{CODE}/toolkits/upload"
PDF = (
    Path(__file__).parents[1] / "courses/content_fixture/social-cluster/sc9-test-course/toolkit/session-slides.pdf"
).read_bytes()
ELF = b"\x7fELF\x02\x01\x01" + bytes(1000)


def pdf_bytes(marker: str) -> bytes:
    """A distinct PDF (a different comment at the end), so each upload has its own hash."""
    return PDF + f"\n% {marker}\n".encode()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


DETAILS = {
    "title_lt": "Mokymų skaidrės",
    "title_en": "Training slides",
    "description_lt": "Skaidrės pirmajai dienai.",
    "description_en": "Slides for the first day.",
    "language": "both",
    "kind": "slides",
    "tags": "dirbtuvės, workshop",
}


def upload(
    client: TestClient,
    files: list[tuple[str, bytes]],
    *,
    url: str = UPLOAD_URL,
    field: str = "files",
    details: dict[str, str] | None = None,
) -> httpx.Response:
    """Open the upload page, then send its form with the files, as the browser's plain form does."""
    page = client.get(url)  # the form's page has the same address as its action
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_from(page.text), **(DETAILS if details is None else details)}
    return client.post(
        url, data=data, files=[(field, (name, body, "application/octet-stream")) for name, body in files]
    )


def toolkits_of(db: Session) -> list[Toolkit]:
    db.expire_all()
    return list(db.scalars(select(Toolkit).order_by(Toolkit.id)))


def versions_of(db: Session, toolkit_id: int) -> list[ToolkitVersion]:
    db.expire_all()
    return list(
        db.scalars(
            select(ToolkitVersion).where(ToolkitVersion.toolkit_id == toolkit_id).order_by(ToolkitVersion.number)
        )
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []
