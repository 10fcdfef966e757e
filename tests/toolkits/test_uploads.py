"""Uploads stream from the request body into storage: checked by content, limited while streaming."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from itertools import chain
from pathlib import Path

import pytest

from app.toolkits.multipart_stream import MalformedUpload, MultipartStream
from app.toolkits.storage import FileTooLarge, LocalStorage
from app.toolkits.uploads import receive_form
from tests.toolkits.multipart_bodies import CONTENT_TYPE, end, field, file, rechunk, repeated

PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
ELF_HEAD = b"\x7fELF\x02\x01\x01\x00" + bytes(56)


def _pdf(size: int) -> bytes:
    return PDF_HEAD + bytes(range(256)) * ((size - len(PDF_HEAD)) // 256 + 1)


def _files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.mark.parametrize("chunk_size", [1, 7, 4096, 65536])
def test_fields_and_files_arrive_intact_whatever_the_chunking(tmp_path: Path, chunk_size: int) -> None:
    storage = LocalStorage(tmp_path)
    toolkit = _pdf(30_000)[:30_000]
    notes = "Socialinė klasterystė: užrašai\n".encode() * 50
    body = chain(
        field("csrf_token", "token-1"),
        field("title", "Įrankių rinkinys"),
        file("files", "rinkinys.pdf", [toolkit]),
        file("files", "užrašai.md", [notes], "text/markdown"),
        end(),
    )
    form = receive_form(MultipartStream(rechunk(body, chunk_size), CONTENT_TYPE), storage=storage, max_bytes=10**6)
    assert form.fields == {"csrf_token": "token-1", "title": "Įrankių rinkinys"}
    assert [(received.name, received.kind.name) for received in form.files] == [
        ("rinkinys.pdf", "PDF"),
        ("užrašai.md", "Markdown"),
    ]
    for received, original in zip(form.files, [toolkit, notes], strict=True):
        assert b"".join(storage.read(received.stored.key)) == original
        assert received.stored.sha256 == hashlib.sha256(original).hexdigest()
        assert received.stored.size == len(original)


def test_disguised_executable_is_refused_and_not_stored(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    body = chain(file("files", "toolkit.pdf", [ELF_HEAD * 100]), file("files", "ok.pdf", [_pdf(1000)]), end())
    form = receive_form(MultipartStream(body, CONTENT_TYPE), storage=storage, max_bytes=10**6)
    assert [(refused.name, refused.reason) for refused in form.refused] == [("toolkit.pdf", "type")]
    assert [received.name for received in form.files] == ["ok.pdf"]
    assert len(_files_under(tmp_path)) == 1


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\\\Windows\\\\evil.txt", "evil.txt"),
        ("report\u202etxt.exe.txt", "reporttxt.exe.txt"),
        ("x" * 3000 + ".txt", None),
    ],
)
def test_hostile_file_names_are_only_shown_never_used_as_paths(tmp_path: Path, sent: str, shown: str | None) -> None:
    storage = LocalStorage(tmp_path / "uploads")
    body = chain(file("files", sent, [b"plain text\n"]), end())
    form = receive_form(MultipartStream(body, CONTENT_TYPE), storage=storage, max_bytes=10**6)
    received = form.files[0]
    assert shown is None or received.name == shown
    assert len(received.name) <= 180
    stored = _files_under(tmp_path)
    assert len(stored) == 1 and stored[0].is_relative_to(tmp_path / "uploads")
    assert received.name not in str(stored[0])


def test_a_file_over_the_limit_stops_the_upload_and_removes_everything_stored(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    body = chain(
        file("files", "first.pdf", [_pdf(5000)]),
        file("files", "second.pdf", [_pdf(5000)]),
        file("files", "huge.pdf", chain([PDF_HEAD], repeated(b"\0" * 65536, 200_000))),
        end(),
    )
    with pytest.raises(FileTooLarge):
        receive_form(MultipartStream(body, CONTENT_TYPE), storage=storage, max_bytes=100_000)
    assert _files_under(tmp_path) == []  # the partial file and the two complete ones are gone


def test_an_empty_file_input_is_ignored(tmp_path: Path) -> None:
    body = chain(field("title", "T"), file("files", "", [], content_type=""), end())
    form = receive_form(MultipartStream(body, CONTENT_TYPE), storage=LocalStorage(tmp_path), max_bytes=10**6)
    assert form.files == [] and form.refused == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", [b"title=x"]),
        ("multipart/form-data", [b"--x\r\n"]),  # no boundary
        (CONTENT_TYPE, list(chain(file("files", "cut.pdf", [_pdf(5000)]))) + []),  # the body ends mid-part
    ],
)
def test_broken_bodies_are_refused_and_leave_nothing(tmp_path: Path, content_type: str, body: list[bytes]) -> None:
    with pytest.raises(MalformedUpload):
        receive_form(MultipartStream(iter(body), content_type), storage=LocalStorage(tmp_path), max_bytes=10**6)
    assert _files_under(tmp_path) == []


MEMORY_SCRIPT = """
import json, resource, sys
from itertools import chain
from pathlib import Path
from app.toolkits.multipart_stream import MultipartStream
from app.toolkits.storage import FileTooLarge, LocalStorage
from app.toolkits.uploads import receive_form
from tests.toolkits.multipart_bodies import CONTENT_TYPE, end, file, repeated

storage = LocalStorage(Path(sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
body = chain(file("files", "film.mp4", chain([b"\\x00\\x00\\x00\\x18ftypmp42"], repeated(b"\\x11" * 65536, 200 * 2**20))), end())
try:
    receive_form(MultipartStream(body, CONTENT_TYPE), storage=storage, max_bytes=100 * 2**20)
    outcome = "stored"
except FileTooLarge:
    outcome = "refused"
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "growth_kib": after - before, "left": [str(p) for p in Path(sys.argv[1]).rglob("*") if p.is_file()]}))
"""


def test_a_200_mb_upload_is_refused_at_the_limit_without_the_memory_growing(tmp_path: Path) -> None:
    """Peak RSS of a fresh process, measured around the upload (ru_maxrss, KiB on Linux)."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=300,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"200 MB upload against a 100 MB limit: peak RSS grew by {figures['growth_kib']} KiB")
    assert figures["outcome"] == "refused"
    assert figures["left"] == []
    assert figures["growth_kib"] < 8 * 1024
