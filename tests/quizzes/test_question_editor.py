"""The question editor through HTTP: every type created from its form, Moodle's validation rules, and versions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import Role
from app.courses.importer import SyncSummary
from app.courses.service import assign_trainer
from app.quizzes.models import Question, QuestionCategory, QuestionVersion
from tests.factories import csrf_from, log_in, make_user, post_form

NEW = "/courses/SC9/questions/new/{}"


@pytest.fixture
def trainer(client: TestClient, db: Session, synced: SyncSummary) -> User:
    user = make_user(db, roles={Role.TRAINER, Role.LEARNER}, locale="en")
    assign_trainer(db, code="SC9", user=user)
    db.commit()
    log_in(client, user.email)
    return user


def common(**fields: str) -> dict[str, str]:
    return {"text": "Question text", "default_mark": "1", "language": "en", "category": "/", **fields}


def rows(group: str, *cells: dict[str, str]) -> dict[str, str]:
    """Form fields of answer rows: rows("answers", {"text": "a", "fraction": "100"}) -> answers-0-text=a ..."""
    return {f"{group}-{index}-{name}": value for index, row in enumerate(cells) for name, value in row.items()}


def create(client: TestClient, question_type: str, data: dict[str, str]) -> Any:
    url = NEW.format(question_type)
    return post_form(client, url, url, data)


def stored(db: Session, title: str) -> tuple[Question, QuestionVersion]:
    db.expire_all()
    question = db.scalar(select(Question).where(Question.title == title))
    assert question is not None, f"no question {title!r}"
    version = db.scalar(
        select(QuestionVersion).where(
            QuestionVersion.question_id == question.id, QuestionVersion.version == question.current_version
        )
    )
    assert version is not None
    return question, version


def version_count(db: Session, question: Question) -> int:
    return db.scalar(select(func.count()).where(QuestionVersion.question_id == question.id)) or 0


# --- each type, created through its form --------------------------------------------------------


def test_single_choice_is_stored_with_fractions_feedback_and_markdown(
    client: TestClient, db: Session, trainer: User
) -> None:
    data = common(title="Capital", text="Which is the **capital**?", default_mark="2,5", shuffle_answers="1")
    data |= rows(
        "answers",
        {"text": "Vilnius", "fraction": "100", "feedback": "Right."},
        {"text": "Kaunas", "fraction": "0", "feedback": "It was once."},
        {"text": "", "fraction": "0", "feedback": ""},  # a blank row is left out
        {"text": "Klaipėda", "fraction": "33.33333"},
    )
    response = create(client, "single_choice", data)
    assert response.status_code == 303
    assert response.headers["location"] == "/courses/SC9/questions?notice=question-saved"
    question, version = stored(db, "Capital")
    assert (question.question_type, question.language, question.current_version) == ("single_choice", "en", 1)
    assert version.data["text_format"] == "markdown" and version.data["default_mark"] == 2.5
    assert [(a["text"], a["fraction"], a["feedback"]) for a in version.data["answers"]] == [
        ("Vilnius", 1.0, "Right."),
        ("Kaunas", 0.0, "It was once."),
        ("Klaipėda", 0.3333333, ""),
    ]
    assert version.data["shuffle_answers"] is True
    bank = client.get(response.headers["location"])
    assert "The question has been saved." in bank.text and "Capital" in bank.text


def test_new_question_goes_after_the_last_one_in_a_new_category(client: TestClient, db: Session, trainer: User) -> None:
    last = db.scalar(select(func.max(Question.position)))
    data = common(title="Placed", category="/", new_category=" Unit 1 / Warm-up ")
    data |= rows("answers", {"text": "a", "fraction": "100"}, {"text": "b", "fraction": "0"})
    assert create(client, "single_choice", data).status_code == 303
    question, version = stored(db, "Placed")
    category = db.get(QuestionCategory, question.category_id)
    assert category is not None and category.path == "Unit 1/Warm-up"
    assert version.data["category"] == ["Unit 1", "Warm-up"] and question.position == (last or 0) + 1


def test_multiple_choice_keeps_negative_grades(client: TestClient, db: Session, trainer: User) -> None:
    data = common(title="Primes")
    data |= rows(
        "answers",
        {"text": "2", "fraction": "50"},
        {"text": "3", "fraction": "50", "feedback": "Yes"},
        {"text": "4", "fraction": "-100", "feedback": "Not prime"},
    )
    assert create(client, "multiple_choice", data).status_code == 303
    _question, version = stored(db, "Primes")
    assert [a["fraction"] for a in version.data["answers"]] == [0.5, 0.5, -1.0]
    assert version.data["shuffle_answers"] is False  # the box was not ticked


def test_three_thirds_add_up_to_full_marks(client: TestClient, db: Session, trainer: User) -> None:
    data = common(title="Thirds")
    data |= rows(
        "answers", *({"text": text, "fraction": "33.33333"} for text in "abc"), {"text": "d", "fraction": "-50"}
    )
    assert create(client, "multiple_choice", data).status_code == 303


def test_true_false_stores_the_right_answer_and_both_feedbacks(client: TestClient, db: Session, trainer: User) -> None:
    data = common(title="Sky", correct="false", feedback_true="No, it is not.", feedback_false="Indeed.")
    assert create(client, "true_false", data).status_code == 303
    _question, version = stored(db, "Sky")
    assert version.data["correct"] is False
    assert (version.data["feedback_true"], version.data["feedback_false"]) == ("No, it is not.", "Indeed.")


def test_short_answer_stores_answers_and_case_sensitivity(client: TestClient, db: Session, trainer: User) -> None:
    data = common(title="City", case_sensitive="1")
    data |= rows(
        "answers", {"text": "Vilnius", "fraction": "100"}, {"text": "Vil*", "fraction": "50", "feedback": "Close"}
    )
    assert create(client, "short_answer", data).status_code == 303
    _question, version = stored(db, "City")
    assert version.data["case_sensitive"] is True
    assert [(a["text"], a["fraction"]) for a in version.data["answers"]] == [("Vilnius", 1.0), ("Vil*", 0.5)]


def test_numerical_accepts_commas_and_any_other_answer(client: TestClient, db: Session, trainer: User) -> None:
    data = common(title="Pi")
    data |= rows(
        "answers",
        {"value": "3,14", "tolerance": "0,01", "fraction": "100", "feedback": "Good"},
        {"value": "3", "tolerance": "", "fraction": "50"},
        {"value": "*", "tolerance": "", "fraction": "0", "feedback": "Think of circles"},
    )
    assert create(client, "numerical", data).status_code == 303
    _question, version = stored(db, "Pi")
    assert version.data["answers"] == [
        {"value": 3.14, "tolerance": 0.01, "fraction": 1.0, "feedback": "Good"},
        {"value": 3.0, "tolerance": 0.0, "fraction": 0.5, "feedback": ""},
        {"value": None, "tolerance": 0.0, "fraction": 0.0, "feedback": "Think of circles"},
    ]


def test_matching_stores_pairs_and_distractors(client: TestClient, db: Session, trainer: User) -> None:
    data = common(title="Capitals", shuffle_answers="1")
    data |= rows(
        "pairs",
        {"prompt": "Lithuania", "answer": "Vilnius"},
        {"prompt": "Norway", "answer": "Oslo"},
        {"prompt": "", "answer": "Riga"},
    )
    assert create(client, "matching", data).status_code == 303
    _question, version = stored(db, "Capitals")
    assert version.data["pairs"] == [
        {"prompt": "Lithuania", "answer": "Vilnius"},
        {"prompt": "Norway", "answer": "Oslo"},
        {"prompt": "", "answer": "Riga"},
    ]


def test_essay_stores_grader_information_and_template(client: TestClient, db: Session, trainer: User) -> None:
    data = common(title="Reflect", grader_info="Look for examples.", response_template="I think\r\nthat")
    assert create(client, "essay", data).status_code == 303
    _question, version = stored(db, "Reflect")
    assert version.data["grader_info"] == "Look for examples."
    assert version.data["response_template"] == "I think\nthat"  # browsers send CRLF; stored as LF


def test_description_is_text_only(client: TestClient, db: Session, trainer: User) -> None:
    page = client.get(NEW.format("description"))
    assert 'name="default_mark"' not in page.text and 'name="general_feedback"' not in page.text
    assert (
        create(
            client, "description", {"title": "Intro", "text": "Read this first.", "language": "lt", "category": "/"}
        ).status_code
        == 303
    )
    question, version = stored(db, "Intro")
    assert question.language == "lt" and version.data["default_mark"] == 0.0 and version.data["type"] == "description"


def test_every_type_has_a_form_and_unknown_types_do_not(client: TestClient, trainer: User) -> None:
    for question_type in (
        "single_choice", "multiple_choice", "true_false", "short_answer", "numerical", "matching", "essay", "description"
    ):  # fmt: skip
        page = client.get(NEW.format(question_type))
        assert page.status_code == 200 and 'name="title"' in page.text, question_type
    choice = client.get(NEW.format("single_choice")).text
    assert 'name="answers-4-text"' in choice and 'name="answers-5-text"' not in choice  # five rows to start with
    assert '<label class="visually-hidden" for="field-answers-0-fraction">Grade of answer 1</label>' in choice
    assert 'value="-100"' not in choice and 'value="-100"' in client.get(NEW.format("multiple_choice")).text
    assert 'name="pairs-2-answer"' in client.get(NEW.format("matching")).text
    assert client.get(NEW.format("cloze")).status_code == 404


def test_more_rows_are_added_without_saving(client: TestClient, db: Session, trainer: User) -> None:
    before = db.scalar(select(func.count()).select_from(Question))
    blank = {"text": "", "fraction": "0", "feedback": ""}
    data = common(title="Rows", add_rows="1") | rows("answers", {"text": "typed", "fraction": "100"}, *[blank] * 4)
    page = create(client, "single_choice", data)
    assert page.status_code == 200 and 'name="answers-7-text"' in page.text and ">\ntyped</textarea>" in page.text
    assert db.scalar(select(func.count()).select_from(Question)) == before


# --- validation ------------------------------------------------------------------------------------

RULES = [
    pytest.param(
        "single_choice",
        rows("answers", {"text": "a", "fraction": "90"}, {"text": "b", "fraction": "0"}),
        "answers",
        "One answer must be worth 100%.",
        id="single-choice-needs-a-full-answer",
    ),
    pytest.param(
        "single_choice",
        rows("answers", {"text": "only", "fraction": "100"}),
        "answers",
        "Enter at least two answers.",
        id="single-choice-needs-two-answers",
    ),
    pytest.param(
        "single_choice",
        rows("answers", {"text": "a", "fraction": "100"}, {"text": "b", "fraction": "-50"}),
        "answers-1-fraction",
        "Choose one of the options.",
        id="single-choice-has-no-negative-grades",
    ),
    pytest.param(
        "multiple_choice",
        rows("answers", {"text": "a", "fraction": "50"}, {"text": "b", "fraction": "40"}),
        "answers",
        "The positive grades must add up to 100%; now they add up to 90%.",
        id="multiple-choice-positive-grades-add-up",
    ),
    pytest.param(
        "multiple_choice",
        rows("answers", {"text": "a", "fraction": "100"}, {"text": "", "fraction": "0", "feedback": "orphan"}),
        "answers-1-text",
        "Enter the answer, or clear this row's feedback.",
        id="feedback-without-an-answer",
    ),
    pytest.param("true_false", {"correct": "maybe"}, "correct", "Choose the correct answer.", id="true-false-choice"),
    pytest.param(
        "short_answer",
        rows("answers", {"text": "close", "fraction": "50"}),
        "answers",
        "One answer must be worth 100%.",
        id="short-answer-needs-a-full-answer",
    ),
    pytest.param("short_answer", {}, "answers", "Enter at least one accepted answer.", id="short-answer-needs-one"),
    pytest.param(
        "numerical",
        rows("answers", {"value": "3,5", "tolerance": "-1", "fraction": "100"}),
        "answers-0-tolerance",
        "The tolerance cannot be negative.",
        id="numerical-tolerance",
    ),
    pytest.param(
        "numerical",
        rows("answers", {"value": "three", "tolerance": "", "fraction": "100"}),
        "answers-0-value",
        "Enter a number, such as 2.5 or 2,5.",
        id="numerical-number",
    ),
    pytest.param(
        "numerical",
        rows("answers", {"value": "3", "tolerance": "", "fraction": "50"}),
        "answers",
        "One answer must be worth 100%.",
        id="numerical-needs-a-full-answer",
    ),
    pytest.param(
        "numerical",
        rows("answers", {"value": "*", "tolerance": "", "fraction": "100"}),
        "answers",
        "Enter at least one number as an answer.",
        id="numerical-needs-a-number",
    ),
    pytest.param(
        "matching",
        rows("pairs", {"prompt": "a", "answer": "1"}, {"prompt": "", "answer": "2"}, {"prompt": "c", "answer": ""}),
        "pairs-2-answer",
        "Enter the matching answer.",
        id="matching-prompt-needs-an-answer",
    ),
    pytest.param(
        "matching",
        rows("pairs", {"prompt": "a", "answer": "1"}, {"prompt": "", "answer": "2"}),
        "pairs",
        "Enter at least two questions, each with its matching answer.",
        id="matching-needs-two-pairs",
    ),
    pytest.param(
        "essay", {"default_mark": "-1"}, "default_mark", "Enter a mark from 0 to 1000.", id="mark-not-negative"
    ),
    pytest.param(
        "essay", {"default_mark": "lots"}, "default_mark", "Enter a number, such as 2.5 or 2,5.", id="mark-number"
    ),
    pytest.param("essay", {"text": "  "}, "text", "This field is required.", id="text-required"),
    pytest.param("essay", {"title": "x" * 256}, "title", "Enter at most 255 characters.", id="title-length"),
    pytest.param("essay", {"category": "Nowhere"}, "category", "Choose one of the options.", id="unknown-category"),
    pytest.param("essay", {"language": "de"}, "language", "Choose one of the options.", id="unknown-language"),
]


@pytest.mark.parametrize(("question_type", "fields", "field", "message"), RULES)
def test_invalid_form_is_shown_again_with_the_message_and_what_was_typed(
    client: TestClient, db: Session, trainer: User, question_type: str, fields: dict[str, str], field: str, message: str
) -> None:
    before = db.scalar(select(func.count()).select_from(Question))
    typed_title = "Typed <title> & more"
    response = create(client, question_type, common(title=typed_title) | fields)
    assert response.status_code == 422
    assert str(escape(message)) in response.text
    assert f'<a href="#field-{field}">' in response.text  # the summary links to the field
    assert f'id="error-{field}"' in response.text
    if field != "title":
        assert f'value="{escape(typed_title)}"' in response.text
    for name, value in fields.items():
        if value.strip() and name not in ("category", "language", "correct") and not name.endswith("fraction"):
            assert str(escape(value)) in response.text, name
    assert db.scalar(select(func.count()).select_from(Question)) == before


def test_errors_are_wired_to_their_inputs(client: TestClient, trainer: User) -> None:
    data = common(title="Wired") | rows(
        "answers", {"text": "a", "fraction": "100"}, {"text": "", "feedback": "x", "fraction": "0"}
    )
    page = create(client, "short_answer", data).text
    assert (
        'id="field-answers-1-text" name="answers-1-text" rows="2" aria-describedby="error-answers-1-text" aria-invalid="true"'
        in page
    )


# --- editing and versions ------------------------------------------------------------------------


def _choice(title: str) -> dict[str, str]:
    return common(title=title, shuffle_answers="1") | rows(
        "answers", {"text": "yes", "fraction": "100", "feedback": "Good"}, {"text": "no", "fraction": "0"}
    )


def _edit_url(question: Question) -> str:
    return f"/courses/SC9/questions/{question.id}/edit"


def test_edit_form_is_prefilled_from_the_current_version(client: TestClient, db: Session, trainer: User) -> None:
    create(client, "single_choice", _choice("Prefilled"))
    question, _version = stored(db, "Prefilled")
    page = client.get(_edit_url(question))
    assert page.status_code == 200
    assert 'value="Prefilled"' in page.text and ">\nyes</textarea>" in page.text and ">\nGood</textarea>" in page.text
    assert '<option value="100" selected>' in page.text and 'name="answers-3-text"' in page.text  # two spare rows
    assert "Version history" in page.text and "(current)" in page.text


def test_editing_creates_a_new_version_and_keeps_the_old_one(client: TestClient, db: Session, trainer: User) -> None:
    create(client, "single_choice", _choice("Versioned"))
    question, first = stored(db, "Versioned")
    changed = _choice("Versioned") | {"answers-1-text": "no way"}
    response = post_form(client, _edit_url(question), _edit_url(question), changed)
    assert response.status_code == 303 and response.headers["location"].endswith("notice=question-saved")
    question, second = stored(db, "Versioned")
    assert question.current_version == 2 and second.data["answers"][1]["text"] == "no way"
    assert version_count(db, question) == 2
    assert db.get(QuestionVersion, first.id) is not None and first.data["answers"][1]["text"] == "no"
    history = client.get(_edit_url(question)).text
    assert "2 versions" in history


def test_saving_without_changes_adds_no_version(client: TestClient, db: Session, trainer: User) -> None:
    create(client, "single_choice", _choice("Same"))
    question, _version = stored(db, "Same")
    page = client.get(_edit_url(question)).text
    # Submit the form exactly as the browser would: every prefilled field as it is.
    response = client.post(_edit_url(question), data={"csrf_token": csrf_from(page), **_form_as_shown(page)})
    assert response.status_code == 303 and response.headers["location"].endswith("notice=question-unchanged")
    assert version_count(db, question) == 1
    assert "Nothing was changed" in client.get(response.headers["location"]).text


def test_content_question_round_trips_through_the_form_unchanged(
    client: TestClient, db: Session, trainer: User
) -> None:
    for question in db.scalars(select(Question).where(Question.source_key.is_not(None))).all():
        page = client.get(_edit_url(question)).text
        assert "the next content sync may replace your changes" in page
        response = client.post(_edit_url(question), data={"csrf_token": csrf_from(page), **_form_as_shown(page)})
        assert response.headers["location"].endswith("notice=question-unchanged"), question.title
        assert version_count(db, question) == 1


def test_a_changed_language_needs_no_new_version(client: TestClient, db: Session, trainer: User) -> None:
    create(client, "single_choice", _choice("Moved"))
    question, _version = stored(db, "Moved")
    post_form(client, _edit_url(question), _edit_url(question), _choice("Moved") | {"language": "lt"})
    question, _version = stored(db, "Moved")
    assert question.language == "lt" and version_count(db, question) == 1


def test_the_type_of_a_question_cannot_be_changed(client: TestClient, db: Session, trainer: User) -> None:
    create(client, "single_choice", _choice("Typed"))
    question, _version = stored(db, "Typed")
    response = post_form(client, _edit_url(question), _edit_url(question), _choice("Typed") | {"type": "essay"})
    assert response.status_code == 303
    question, version = stored(db, "Typed")
    assert question.question_type == "single_choice" and version.data["type"] == "single_choice"


def test_invalid_edit_is_refused_and_keeps_the_question(client: TestClient, db: Session, trainer: User) -> None:
    create(client, "single_choice", _choice("Kept"))
    question, _version = stored(db, "Kept")
    response = post_form(
        client, _edit_url(question), _edit_url(question), _choice("Kept") | {"answers-0-fraction": "50"}
    )
    assert response.status_code == 422 and "One answer must be worth 100%." in response.text
    assert version_count(db, question) == 1


def _form_as_shown(html: str) -> dict[str, str]:
    """The fields a browser would submit from the question form, with their shown values."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.values: dict[str, str] = {}
            self.textarea: str | None = None
            self.select: str | None = None
            self.inside = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            attributes = {key: value or "" for key, value in attrs}
            if tag == "form" and attributes.get("class") == "question-form":
                self.inside = True
            if not self.inside:
                return
            name = attributes.get("name", "")
            if tag == "input" and name and name != "csrf_token":
                if attributes.get("type") in ("checkbox", "radio"):
                    if "checked" in attributes:
                        self.values[name] = attributes.get("value", "")
                else:
                    self.values[name] = attributes.get("value", "")
            elif tag == "textarea":
                self.textarea, self.values[name] = name, ""
            elif tag == "select":
                self.select = name
            elif tag == "option" and self.select and ("selected" in attributes or self.select not in self.values):
                self.values[self.select] = attributes.get("value", "")

        def handle_endtag(self, tag: str) -> None:
            if tag == "textarea":
                self.textarea = None
            elif tag == "select":
                self.select = None
            elif tag == "form":
                self.inside = False

        def handle_data(self, data: str) -> None:
            if self.textarea:
                self.values[self.textarea] += data

    parser = Fields()
    parser.feed(html)
    # The HTML parser keeps the newline after <textarea> that browsers drop.
    return {
        name: value.removeprefix("\n") if name in _textareas(html) else value for name, value in parser.values.items()
    }


def _textareas(html: str) -> set[str]:
    import re

    return set(re.findall(r'<textarea id="[^"]*" name="([^"]+)"', html))
