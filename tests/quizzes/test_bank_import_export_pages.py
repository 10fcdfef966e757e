"""Importing question files through the bank's upload form, and downloading the bank as GIFT or Moodle XML."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import Role
from app.courses.importer import SyncSummary
from app.courses.models import Course
from app.courses.service import assign_trainer
from app.quizzes import bank
from app.quizzes.bank import CategoryCache, current_questions, new_bank_question
from app.quizzes.gift import read_gift
from app.quizzes.interchange import (
    Answer,
    Description,
    Essay,
    Matching,
    MatchPair,
    MultipleChoice,
    Numerical,
    NumericalAnswer,
    Question,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)
from app.quizzes.models import Question as BankQuestion
from app.quizzes.moodle_xml import read_moodle_xml, write_moodle_xml
from tests.factories import csrf_from, log_in, make_user

IMPORT = "/courses/SC9/questions/import"
EXPORT = "/courses/SC9/questions/export"
MIXED_GIFT = b"""::Sum:: Two plus two? {=4 ~5 ~3}

::Cloze:: {1:MULTICHOICE:=a~b}

::Sky:: The sky is blue. {T}
"""


@pytest.fixture
def trainer(client: TestClient, db: Session, synced: SyncSummary) -> User:
    user = make_user(db, roles={Role.TRAINER, Role.LEARNER}, locale="en")
    assign_trainer(db, code="SC9", user=user)
    db.commit()
    log_in(client, user.email)
    return user


def question_count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(BankQuestion)) or 0


def upload(client: TestClient, name: str, content: bytes, **fields: str) -> Any:
    token = csrf_from(client.get(IMPORT).text)
    data = {"csrf_token": token, "format": "auto", "language": "en", **fields}
    return client.post(IMPORT, data=data, files={"file": (name, content, "application/octet-stream")})


def add_to_bank(db: Session, questions: list[Question], *, language: str = "en") -> None:
    course = db.scalar(select(Course).where(Course.code == "SC9"))
    assert course is not None
    categories = CategoryCache(db, course.id)
    for position, question in enumerate(questions, start=500):
        db.add(
            new_bank_question(
                question,
                course_id=course.id,
                category=categories.get(question.category),
                language=language,
                position=position,
                source_key=None,
            )  # fmt: skip
        )
    db.commit()


EVERY_TYPE: list[Question] = [
    SingleChoice(title="S", text="Pick", text_format="markdown", default_mark=2.0, shuffle_answers=False,
                 answers=(Answer(text="a", fraction=1.0, feedback="yes"), Answer(text="b", fraction=0.0))),
    MultipleChoice(title="M", text="Pick some", category=("Unit 1",),
                   answers=(Answer(text="a", fraction=0.5), Answer(text="b", fraction=0.5),
                            Answer(text="c", fraction=-1.0, feedback="no"))),
    TrueFalse(title="T", text="True?", correct=False, feedback_true="wrong", feedback_false="right"),
    ShortAnswer(title="A", text="Capital?", case_sensitive=True, answers=(Answer(text="Vilnius", fraction=1.0),)),
    Numerical(title="N", text="Pi?", answers=(NumericalAnswer(value=3.14, tolerance=0.01),
                                              NumericalAnswer(value=None, fraction=0.0, feedback="no"))),
    Matching(title="P", text="Match", pairs=(MatchPair(prompt="LT", answer="Vilnius"),
                                            MatchPair(prompt="NO", answer="Oslo"), MatchPair(prompt="", answer="Riga"))),
    Essay(title="E", text="Discuss", grader_info="Look for examples", response_template="I think"),
    Description(title="D", text="Read this"),
]  # fmt: skip


# --- import -------------------------------------------------------------------------------------


def test_import_page_has_an_upload_form(client: TestClient, trainer: User) -> None:
    page = client.get(IMPORT)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    assert '<option value="auto" selected>' in page.text and '<option value="en" selected>' in page.text


def test_gift_upload_imports_and_reports_each_question(client: TestClient, db: Session, trainer: User) -> None:
    before = question_count(db)
    response = upload(client, "extra.gift", b"::Sum:: Two plus two? {=4 ~5}\n\n::Sky:: The sky is blue. {T}\n")
    assert response.status_code == 200, response.text
    assert "2 questions were added to the bank." in response.text
    assert '<td>1</td><th scope="row">Sum</th><td>Single choice</td>' in response.text
    assert '<td>3</td><th scope="row">Sky</th><td>True/false</td>' in response.text
    assert question_count(db) == before + 2
    sky = db.scalar(select(BankQuestion).where(BankQuestion.title == "Sky"))
    assert sky is not None and sky.language == "en" and sky.source_key is None and sky.current_version == 1


def test_xml_upload_is_recognised_and_imported(client: TestClient, db: Session, trainer: User) -> None:
    before = question_count(db)
    content = write_moodle_xml(EVERY_TYPE)
    response = upload(client, "moodle-export.txt", content, language="lt")  # recognised by its content
    assert response.status_code == 200, response.text
    assert "8 questions were added to the bank." in response.text and "Position in the file" in response.text
    assert question_count(db) == before + 8
    assert current_questions(db, course_code="SC9", language="lt")[-8:] == EVERY_TYPE


def test_mixed_file_imports_the_supported_questions_and_lists_the_rest(
    client: TestClient, db: Session, trainer: User
) -> None:
    before = question_count(db)
    response = upload(client, "mixed.gift", MIXED_GIFT)
    assert response.status_code == 200
    assert "2 questions were added to the bank." in response.text and "1 question was left out." in response.text
    skipped = response.text.split("Questions left out")[1]
    assert '<td>3</td><th scope="row">Cloze</th>' in skipped and "Cloze) questions" in skipped
    assert question_count(db) == before + 2


def test_a_file_that_cannot_be_read_writes_nothing(client: TestClient, db: Session, trainer: User) -> None:
    before = question_count(db)
    broken = upload(client, "broken.xml", b"<quiz>\n<question type='truefalse'>\n")
    assert broken.status_code == 422
    assert "The file is not well-formed XML" in broken.text and "Line 3" in broken.text
    binary = upload(client, "binary.gift", b"::A:: Text {T}\n\x00\x01")
    assert binary.status_code == 422 and "NUL characters" in binary.text
    latin = upload(client, "latin.gift", "::Ą:: Ar? {T}".encode("cp1257"), format="gift")
    assert latin.status_code == 422 and "not UTF-8 text" in latin.text
    assert question_count(db) == before


def test_an_empty_or_missing_file_is_refused(client: TestClient, db: Session, trainer: User) -> None:
    before = question_count(db)
    empty = upload(client, "empty.gift", b"  \n")
    assert empty.status_code == 422 and "Choose a GIFT or Moodle XML file" in empty.text
    token = csrf_from(client.get(IMPORT).text)
    missing = client.post(IMPORT, data={"csrf_token": token, "format": "gift", "language": "en"})
    assert missing.status_code == 422 and 'id="error-file"' in missing.text
    bad_choice = upload(client, "a.gift", b"::A:: x {T}", format="docx", language="de")
    assert (
        bad_choice.status_code == 422
        and 'id="error-format"' in bad_choice.text
        and 'id="error-language"' in bad_choice.text
    )
    assert question_count(db) == before


def test_a_failure_midway_leaves_the_bank_as_it_was(
    app: FastAPI, client: TestClient, db: Session, trainer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bank.new_bank_question
    calls: list[int] = []

    def fail_on_the_second(*args: Any, **kwargs: Any) -> BankQuestion:
        calls.append(1)
        if len(calls) == 2:
            db.flush()  # the first question has reached the database by now
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(bank, "new_bank_question", fail_on_the_second)
    before = question_count(db)
    token = csrf_from(client.get(IMPORT).text)
    quiet = TestClient(app, base_url="http://testserver", raise_server_exceptions=False, cookies=client.cookies)
    response = quiet.post(
        IMPORT,
        data={"csrf_token": token, "format": "gift", "language": "en"},
        files={"file": ("two.gift", b"::A:: a {T}\n\n::B:: b {F}\n", "text/plain")},
    )
    assert response.status_code == 500 and len(calls) == 2
    assert question_count(db) == before


# --- export -------------------------------------------------------------------------------------


def test_gift_export_downloads_the_current_questions(client: TestClient, db: Session, trainer: User) -> None:
    add_to_bank(db, [EVERY_TYPE[2], EVERY_TYPE[5], EVERY_TYPE[7]])
    response = client.get(f"{EXPORT}?format=gift")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="SC9-questions.gift"')
    assert read_gift(response.text).questions == tuple(current_questions(db, course_code="SC9"))


def test_xml_export_reads_back_to_the_same_questions(client: TestClient, db: Session, trainer: User) -> None:
    add_to_bank(db, EVERY_TYPE)
    response = client.get(f"{EXPORT}?format=xml&language=en")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert response.headers["content-disposition"].startswith('attachment; filename="SC9-questions.xml"')
    exported = read_moodle_xml(response.content).questions
    assert exported == tuple(current_questions(db, course_code="SC9", language="en"))
    assert exported[-8:] == tuple(EVERY_TYPE)


def test_export_leaves_out_archived_questions_and_follows_the_filters(
    client: TestClient, db: Session, trainer: User
) -> None:
    add_to_bank(db, EVERY_TYPE)
    essay = db.scalar(select(BankQuestion).where(BankQuestion.title == "E"))
    assert essay is not None
    token = csrf_from(client.get("/courses/SC9/questions").text)
    client.post(f"/courses/SC9/questions/{essay.id}/archive", data={"csrf_token": token})
    titles = [question.title for question in read_moodle_xml(client.get(f"{EXPORT}?format=xml").content).questions]
    assert "E" not in titles and "S" in titles
    lithuanian = read_moodle_xml(client.get(f"{EXPORT}?format=xml&language=lt").content).questions
    assert sorted(question.title for question in lithuanian) == ["Q1", "Q2"]
    unit = read_moodle_xml(client.get(f"{EXPORT}?format=xml&category=Unit+1").content).questions
    assert [question.title for question in unit] == ["M"]
    top = read_moodle_xml(client.get(f"{EXPORT}?format=xml&category=/&language=en").content).questions
    assert "M" not in [question.title for question in top] and "Q1" in [question.title for question in top]


def test_export_refuses_unknown_options(client: TestClient, trainer: User) -> None:
    assert client.get(f"{EXPORT}?format=docx").status_code == 422
    assert client.get(f"{EXPORT}?format=gift&language=de").status_code == 422
    assert client.get(EXPORT).status_code == 200  # GIFT of every language by default


def test_gift_export_of_what_gift_cannot_hold_suggests_xml(client: TestClient, db: Session, trainer: User) -> None:
    arrow = Matching(
        title="Arrow", text="x", pairs=(MatchPair(prompt="a -> b", answer="1"), MatchPair(prompt="c", answer="2"))
    )
    add_to_bank(db, [arrow])
    response = client.get(f"{EXPORT}?format=gift")
    assert response.status_code == 422 and "Moodle XML" in response.text
    assert client.get(f"{EXPORT}?format=xml").status_code == 200


def test_another_trainer_cannot_import_or_export(client: TestClient, db: Session, synced: SyncSummary) -> None:
    log_in(client, make_user(db, roles={Role.TRAINER, Role.LEARNER}).email)
    assert client.get(IMPORT).status_code == 404
    assert client.get(EXPORT).status_code == 404
    assert client.get(f"{EXPORT}?format=docx").status_code == 404
