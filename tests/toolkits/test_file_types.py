"""Uploads are allowed by content and name together; shown names are harmless."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.toolkits.file_types import MAX_NAME_LENGTH, detect_kind, display_name

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(120)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _zip(*entries: tuple[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries:
            archive.writestr(name, text)
    return buffer.getvalue()


DOCX = _zip(("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w/>"))
ODT = _zip(("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<x/>"))
PLAIN_ZIP = _zip(("notes.txt", "hello"))


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (PDF, "Įrankių rinkinys.pdf", "PDF"),
        (DOCX, "planas.DOCX", "Word"),
        (ODT, "planas.odt", "OpenDocument text"),
        (PLAIN_ZIP, "medžiaga.zip", "ZIP"),
        (PNG, "schema.png", "PNG"),
        ("Socialinė klasterystė – užrašai\n".encode(), "užrašai.md", "Markdown"),
        (b"plain notes\r\n", "notes.txt", "Text"),
    ],
)
def test_allowed_files_are_recognised_by_content_and_name(head: bytes, name: str, kind: str) -> None:
    found = detect_kind(head, name)
    assert found is not None and found.name == kind


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (ELF, "toolkit.pdf"),  # an executable disguised by its name
        (ELF, "notes.txt"),
        (PDF, "toolkit.exe"),  # allowed content, forbidden name
        (PDF, "toolkit"),  # no extension
        (PLAIN_ZIP, "planas.docx"),  # a ZIP is not a Word document
        (DOCX, "planas.pptx"),  # content and name disagree
        (b"text with a \x00 byte", "notes.txt"),
        (b"\xff\xfe not utf-8 \xff", "notes.md"),
        (PDF, "document.pdf.exe"),
    ],
)
def test_refused_files(head: bytes, name: str) -> None:
    assert detect_kind(head, name) is None


def test_text_cut_in_the_middle_of_a_character_is_still_text() -> None:
    head = "ž".encode() * 10
    assert detect_kind(head[:-1], "notes.txt") is not None


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("report\x00.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override hides the real extension
        ("  ..  ", "file"),
        ("", "file"),
        ("Mokymų medžiaga (galutinė).pdf", "Mokymų medžiaga (galutinė).pdf"),
    ],
)
def test_display_names_are_harmless(typed: str, shown: str) -> None:
    assert display_name(typed) == shown


def test_very_long_names_are_shortened_keeping_the_extension() -> None:
    shown = display_name("a" * 5000 + ".pptx")
    assert len(shown) <= MAX_NAME_LENGTH and shown.endswith(".pptx")
