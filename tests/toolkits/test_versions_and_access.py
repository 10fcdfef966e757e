"""Ranged downloads, versions, soft deletion and restoring, and who may see which toolkit."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.access import Role
from app.toolkits.models import Toolkit
from tests.factories import csrf_from, make_user, post_form
from tests.progress.page_setup import client_for
from tests.quizzes.quiz_setup import learner_of, trainer_of
from tests.toolkits.page_setup import CODE, DETAILS, pdf_bytes, stored_files, toolkits_of, upload, versions_of

pytestmark = pytest.mark.usefixtures("synced")
DATA = pdf_bytes("ranges") + bytes(range(256)) * 8


def _uploaded(app: FastAPI, db: Session, *, public: bool = False, data: bytes = DATA) -> tuple[TestClient, Toolkit]:
    trainer = client_for(app, trainer_of(db, CODE))
    details = {**DETAILS, **({"is_public": "on"} if public else {})}
    assert upload(trainer, [("slides.pdf", data)], details=details).status_code == 303
    return trainer, toolkits_of(db)[-1]


def _count(db: Session, toolkit: Toolkit) -> int:
    db.expire_all()
    refreshed = db.get(Toolkit, toolkit.id)
    assert refreshed is not None
    return refreshed.download_count


def test_byte_ranges_are_served_and_only_a_download_from_the_start_is_counted(app: FastAPI, db: Session) -> None:
    _trainer, toolkit = _uploaded(app, db)
    learner = client_for(app, learner_of(db, CODE))
    url = f"/toolkits/{toolkit.id}/download"
    size = len(DATA)

    first = learner.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.content == DATA[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}" and first.headers["content-length"] == "100"
    rest = learner.get(url, headers={"Range": "bytes=100-"})
    assert rest.status_code == 206 and first.content + rest.content == DATA
    tail = learner.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == DATA[-10:] and tail.headers["content-range"] == f"bytes {size - 10}-{size - 1}/{size}"
    assert _count(db, toolkit) == 1  # the resumed part and the tail are not new downloads

    beyond = learner.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    several = learner.get(url, headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.content == DATA  # answered whole, as the standard allows
    garbage = learner.get(url, headers={"Range": "pages=1-2"})
    assert garbage.status_code == 200
    assert _count(db, toolkit) == 3


def test_etag_revalidation_and_if_range(app: FastAPI, db: Session) -> None:
    _trainer, toolkit = _uploaded(app, db)
    learner = client_for(app, learner_of(db, CODE))
    url = f"/toolkits/{toolkit.id}/download"
    etag = learner.get(url).headers["etag"]
    unchanged = learner.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    stale = learner.get(url, headers={"Range": "bytes=0-9", "If-Range": '"another-version"'})
    assert stale.status_code == 200 and stale.content == DATA
    fresh = learner.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status_code == 206 and fresh.content == DATA[:10]
    assert _count(db, toolkit) == 3  # the 304 is not a download


def test_a_new_version_becomes_current_and_earlier_ones_stay_for_trainers_only(app: FastAPI, db: Session) -> None:
    trainer, toolkit = _uploaded(app, db)
    second = pdf_bytes("second version")
    response = upload(
        trainer,
        [("slides-v2.pdf", second)],
        url=f"/toolkits/{toolkit.id}/versions/new",
        field="file",
        details={"change_note": "Exercise 3 rewritten"},
    )
    assert response.status_code == 303
    versions = versions_of(db, toolkit.id)
    assert [(v.number, v.file_name, v.change_note) for v in versions] == [
        (1, "slides.pdf", ""),
        (2, "slides-v2.pdf", "Exercise 3 rewritten"),
    ]
    learner = client_for(app, learner_of(db, CODE))
    assert learner.get(f"/toolkits/{toolkit.id}/download").content == second
    assert learner.get(f"/toolkits/{toolkit.id}/versions/1/download").status_code == 404
    page = learner.get(f"/toolkits/{toolkit.id}").text
    assert "slides-v2.pdf" in page and "Exercise 3 rewritten" not in page
    assert trainer.get(f"/toolkits/{toolkit.id}/versions/1/download").content == DATA
    trainer_page = trainer.get(f"/toolkits/{toolkit.id}").text
    assert "Exercise 3 rewritten" in trainer_page and "slides.pdf" in trainer_page


def test_the_same_file_as_the_current_version_is_not_a_new_version(app: FastAPI, db: Session) -> None:
    trainer, toolkit = _uploaded(app, db)
    url = f"/toolkits/{toolkit.id}/versions/new"
    response = upload(trainer, [("copy.pdf", DATA)], url=url, field="file", details={"change_note": "again"})
    assert response.status_code == 422
    assert len(versions_of(db, toolkit.id)) == 1
    assert len(stored_files(app.state.settings.uploads_path)) == 1
    assert "again</textarea>" in response.text


def test_a_new_version_needs_exactly_one_allowed_file(app: FastAPI, db: Session) -> None:
    trainer, toolkit = _uploaded(app, db)
    url = f"/toolkits/{toolkit.id}/versions/new"
    refused = upload(trainer, [("virus.pdf", b"MZ\x90\x00" + bytes(500))], url=url, field="file", details={})
    assert refused.status_code == 422 and "virus.pdf" in refused.text
    assert len(versions_of(db, toolkit.id)) == 1


def test_deleting_hides_the_toolkit_and_an_administrator_restores_it(app: FastAPI, db: Session) -> None:
    trainer, toolkit = _uploaded(app, db)
    learner = client_for(app, learner_of(db, CODE))
    assert f"/toolkits/{toolkit.id}/download" in learner.get(f"/courses/{CODE}").text

    deleted = post_form(trainer, f"/toolkits/{toolkit.id}/delete", f"/toolkits/{toolkit.id}/delete", {})
    assert deleted.status_code == 303 and deleted.headers["location"].startswith(f"/courses/{CODE}")
    assert learner.get(f"/toolkits/{toolkit.id}").status_code == 404
    assert learner.get(f"/toolkits/{toolkit.id}/download").status_code == 404
    assert f"/toolkits/{toolkit.id}" not in learner.get(f"/courses/{CODE}").text
    assert f'/toolkits/{toolkit.id}"' not in learner.get("/toolkits").text
    assert len(stored_files(app.state.settings.uploads_path)) == 1  # the file stays until the purge

    token = csrf_from(trainer.get("/profile").text)
    assert trainer.post(f"/toolkits/{toolkit.id}/restore", data={"csrf_token": token}).status_code == 403

    admin = client_for(app, make_user(db, roles={Role.ADMIN}))
    bin_page = admin.get("/admin/toolkits/deleted")
    assert "Mokymų skaidrės" in bin_page.text  # the administrator reads Lithuanian, the default
    restored = admin.post(f"/toolkits/{toolkit.id}/restore", data={"csrf_token": csrf_from(bin_page.text)})
    assert restored.status_code == 303
    assert learner.get(f"/toolkits/{toolkit.id}/download").content == DATA


def test_course_toolkits_are_for_the_course_public_ones_for_everyone_signed_in(app: FastAPI, db: Session) -> None:
    _trainer, course_only = _uploaded(app, db)
    _trainer2, public = _uploaded(app, db, public=True, data=pdf_bytes("public"))
    outsider = client_for(app, make_user(db))
    assert outsider.get(f"/toolkits/{course_only.id}").status_code == 404
    assert outsider.get(f"/toolkits/{course_only.id}/download").status_code == 404
    assert outsider.get(f"/toolkits/{public.id}/download").status_code == 200
    library = outsider.get("/toolkits").text
    assert f'/toolkits/{public.id}"' in library and f'/toolkits/{course_only.id}"' not in library
    assert client_for(app).get(f"/toolkits/{public.id}/download").status_code == 303  # sign-in first

    other_trainer = client_for(app, make_user(db, roles={Role.TRAINER}))
    assert other_trainer.get(f"/toolkits/{public.id}/edit").status_code == 403
    assert other_trainer.get(f"/toolkits/{course_only.id}/edit").status_code == 404
    assert other_trainer.get(f"/toolkits/{public.id}/versions/1/download").status_code == 404


def test_editing_the_description_validates_and_shows_what_was_typed(app: FastAPI, db: Session) -> None:
    trainer, toolkit = _uploaded(app, db)
    url = f"/toolkits/{toolkit.id}/edit"
    invalid = post_form(
        trainer, url, url, {"title_lt": "", "title_en": "", "language": "lt", "kind": "guide", "tags": "a, b"}
    )
    assert invalid.status_code == 422 and 'value="a, b"' in invalid.text
    saved = post_form(
        trainer, url, url, {"title_lt": "Gidas", "title_en": "", "language": "lt", "kind": "guide", "tags": "A, a, b"}
    )
    assert saved.status_code == 303
    db.expire_all()
    refreshed = db.get(Toolkit, toolkit.id)
    assert refreshed is not None
    assert (refreshed.title, refreshed.kind, refreshed.tags, refreshed.is_public) == (
        {"lt": "Gidas"},
        "guide",
        ["A", "b"],
        False,
    )
