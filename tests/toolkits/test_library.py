"""The toolkit library: search, filters, counts, paging; and constant query counts as toolkits grow."""

from __future__ import annotations

import itertools

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import Role
from app.core.db import utcnow
from app.courses.models import Course, Programme
from app.toolkits.models import Toolkit, ToolkitVersion
from app.toolkits.service import search_text_of
from tests.factories import make_user
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import client_for
from tests.quizzes.quiz_setup import learner_of, trainer_of
from tests.toolkits.page_setup import CODE

pytestmark = pytest.mark.usefixtures("synced")
_serial = itertools.count(1)


def add_toolkit(
    db: Session,
    *,
    title: str,
    course_code: str | None = CODE,
    language: str = "lt",
    kind: str = "guide",
    tags: tuple[str, ...] = (),
    public: bool = False,
    versions: int = 1,
    uploader: User | None = None,
) -> Toolkit:
    """A toolkit row with its versions, written straight to the tables (files are not needed to list it)."""
    number = next(_serial)
    course = db.scalar(select(Course).where(Course.code == course_code)) if course_code else None
    programme_id = None if course else db.scalar(select(Programme.id).where(Programme.code == "SC"))
    toolkit = Toolkit(
        course_id=course.id if course else None,
        programme_id=programme_id,
        title={"lt": title, "en": title},
        description={"en": f"About {title}"},
        language=language,
        kind=kind,
        tags=list(tags),
        is_public=public,
        version_count=versions,
        updated_at=utcnow(),
        versions=[
            ToolkitVersion(
                number=version,
                storage_key=f"test/{number}-{version}",
                file_name=f"file-{number}-{version}.pdf",
                file_type="pdf",
                mime="application/pdf",
                size=1000 + version,
                sha256=f"{number:032x}{version:032x}",
                uploaded_by_id=uploader.id if uploader else None,
            )
            for version in range(1, versions + 1)
        ],
    )
    toolkit.search_text = search_text_of(toolkit, f"file-{number}-{versions}.pdf")
    db.add(toolkit)
    db.commit()
    return toolkit


def _listed(page: str, toolkit: Toolkit) -> bool:
    return f'href="/toolkits/{toolkit.id}"' in page


def test_search_matches_titles_keywords_and_descriptions_ignoring_case(app: FastAPI, db: Session) -> None:
    workshop = add_toolkit(db, title="Dirbtuvių planas", tags=("Dirbtuvės",))
    scan = add_toolkit(db, title="Klasterio apžvalga", kind="template")
    learner = client_for(app, learner_of(db, CODE))
    for query in ("DIRBTUVĖS", "dirbtuvių", "about dirbtuvių"):
        page = learner.get("/toolkits", params={"q": query}).text
        assert _listed(page, workshop) and not _listed(page, scan), query
    assert _listed(learner.get("/toolkits", params={"q": "50%_"}).text, workshop) is False


def test_filters_by_course_language_and_type(app: FastAPI, db: Session) -> None:
    lithuanian = add_toolkit(db, title="Gidas", language="lt", kind="guide")
    english = add_toolkit(db, title="Guide", language="en", kind="guide")
    bilingual = add_toolkit(db, title="Slides", language="both", kind="slides")
    programme_wide = add_toolkit(db, title="Programme guide", course_code=None, language="en")
    learner = client_for(app, learner_of(db, CODE))

    def listed(**params: str) -> set[int]:
        page = learner.get("/toolkits", params=params).text
        return {t.id for t in (lithuanian, english, bilingual, programme_wide) if _listed(page, t)}

    assert listed(language="lt") == {lithuanian.id, bilingual.id}  # a bilingual toolkit serves both
    assert listed(language="en") == {english.id, bilingual.id, programme_wide.id}
    assert listed(kind="slides") == {bilingual.id}
    assert listed(course=CODE) == {lithuanian.id, english.id, bilingual.id}
    assert listed(course="SC") == {programme_wide.id}
    assert listed() == {lithuanian.id, english.id, bilingual.id, programme_wide.id}
    assert "4 toolkits" in learner.get("/toolkits", params={"lang": "en"}).text


def test_download_counts_are_shown(app: FastAPI, db: Session) -> None:
    toolkit = add_toolkit(db, title="Popular")
    toolkit.download_count = 1234
    db.commit()
    page = client_for(app, learner_of(db, CODE)).get("/toolkits", params={"lang": "en"}).text
    assert "1,234" in page


def test_a_tampered_filter_is_refused_with_422_and_the_form_still_works(app: FastAPI, db: Session) -> None:
    learner = client_for(app, learner_of(db, CODE))
    response = learner.get("/toolkits", params={"kind": "malware", "q": "x" * 500})
    assert response.status_code == 422
    assert 'name="q"' in response.text


def test_the_library_pages_through_many_toolkits(app: FastAPI, db: Session) -> None:
    made = [add_toolkit(db, title=f"Toolkit {n:02d}") for n in range(25)]
    learner = client_for(app, learner_of(db, CODE))
    first = learner.get("/toolkits").text
    second = learner.get("/toolkits", params={"page": 2}).text
    assert sum(_listed(first, t) for t in made) == 20 and sum(_listed(second, t) for t in made) == 5
    assert learner.get("/toolkits", params={"page": 99}).status_code == 200


def test_the_library_runs_the_same_queries_with_1_and_50_toolkits(app: FastAPI, db: Session) -> None:
    learner = client_for(app, learner_of(db, CODE))

    def grow(count: int) -> None:
        for _ in range(count):
            add_toolkit(db, title=f"Toolkit {next(_serial)}", public=True, course_code=None if _ % 2 else CODE)

    assert_constant_queries(learner, db, "/toolkits?page=1", grow, budget=8)


def test_the_course_page_runs_the_same_queries_with_1_and_50_toolkits(app: FastAPI, db: Session) -> None:
    learner = client_for(app, learner_of(db, CODE))

    def grow(count: int) -> None:
        for _ in range(count):
            add_toolkit(db, title=f"Toolkit {next(_serial)}")

    assert_constant_queries(learner, db, f"/courses/{CODE}", grow, budget=16)


def test_a_toolkit_page_runs_the_same_queries_with_1_and_50_versions(app: FastAPI, db: Session) -> None:
    trainer_user = trainer_of(db, CODE)
    trainer = client_for(app, trainer_user)
    toolkit = add_toolkit(db, title="Growing", uploader=trainer_user)

    def grow(count: int) -> None:
        for _ in range(count):
            toolkit.version_count += 1
            number = toolkit.version_count
            db.add(
                ToolkitVersion(
                    toolkit_id=toolkit.id,
                    number=number,
                    storage_key=f"grow/{toolkit.id}-{number}",
                    file_name=f"v{number}.pdf",
                    file_type="pdf",
                    mime="application/pdf",
                    size=number,
                    sha256=f"{number:064x}",
                    uploaded_by_id=make_user(db).id,
                )
            )
        db.commit()

    assert_constant_queries(trainer, db, f"/toolkits/{toolkit.id}", grow, budget=10)


def test_the_deleted_list_runs_the_same_queries_with_1_and_50_toolkits(app: FastAPI, db: Session) -> None:
    admin_user = make_user(db, roles={Role.ADMIN})
    admin = client_for(app, admin_user)

    def grow(count: int) -> None:
        for _ in range(count):
            toolkit = add_toolkit(db, title=f"Deleted {next(_serial)}")
            toolkit.deleted_at = utcnow()
            toolkit.deleted_by_id = admin_user.id
        db.commit()

    assert_constant_queries(admin, db, "/admin/toolkits/deleted", grow, budget=6)
