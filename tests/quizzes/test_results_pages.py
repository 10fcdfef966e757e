"""Trainer's quiz results through HTTP: attempts per learner, filters, CSV export and question statistics."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.access import Role
from app.core.i18n import format_number, using_locale
from app.core.spreadsheets import spreadsheet_safe
from app.courses.service import assign_trainer
from app.quizzes import results
from app.quizzes.models import Quiz
from app.quizzes.statistics import AttemptScores, QuestionMark, question_figures, quiz_figures
from tests.core.test_i18n import _allowed_data, _untranslated, pseudo_translations  # noqa: F401 - fixture
from tests.factories import log_in, make_user
from tests.quizzes import attempt_rows
from tests.quizzes.attempt_rows import BankEntry

pytestmark = pytest.mark.usefixtures("synced")
CODE = "SC9"
STATS_GIFT = """\
::Capital:: Which city is the capital of Lithuania? {=Vilnius ~Kaunas ~Klaipėda}

::Stage:: Name the first stage of the cluster life cycle. {=Idea}

::Pairs:: Match the countries to their capitals. {=Lithuania -> Vilnius =Norway -> Oslo}

::Story:: Describe a cluster you know. {}

::Intro:: This text introduces the questions.
"""


def _organisations(db: Session) -> tuple[Organisation, Organisation]:
    first, second = db.scalars(select(Organisation).order_by(Organisation.id).limit(2))
    return first, second


def _trainer(db: Session, client: TestClient, *, teaches: bool = True) -> User:
    user = make_user(db, roles={Role.TRAINER, Role.LEARNER})
    if teaches:
        assign_trainer(db, code=CODE, user=user)
        db.commit()
    log_in(client, user.email)
    return user


@pytest.fixture
def quiz(db: Session) -> Quiz:
    return attempt_rows.course_quiz(db, CODE, pass_mark=60.0, grading_method="highest")


@pytest.fixture
def two_questions(db: Session) -> list[BankEntry]:
    """The fixture course's Lithuanian questions: a true/false and a numerical one, one mark each."""
    entries = [entry for entry in attempt_rows.bank_entries(db, CODE) if entry.question.language == "lt"]
    assert [entry.version.data["type"] for entry in entries] == ["true_false", "numerical"]
    return entries


@pytest.fixture
def trainer_client(db: Session, client: TestClient) -> Iterator[TestClient]:
    _trainer(db, client)
    yield client


def _cells(html: str, marker: str) -> str:
    """The table row of the page that contains `marker`."""
    rows = [row for row in re.split(r"<tr[ >]", html) if marker in row]
    assert rows, f"no row with {marker!r}"
    return rows[0]


def test_results_list_attempts_per_learner_and_hide_previews(
    db: Session, trainer_client: TestClient, quiz: Quiz, two_questions: list[BankEntry]
) -> None:
    home, other = _organisations(db)
    ona = attempt_rows.learner(db, CODE, full_name="Ona Onaitė", organisation=home)
    first = attempt_rows.attempt(db, quiz=quiz, user=ona, entries=two_questions, marks=[0, 1])
    second = attempt_rows.attempt(
        db, quiz=quiz, user=ona, entries=two_questions, marks=[1, 1], auto_submitted=True,
        duration=dt.timedelta(minutes=3, seconds=4),
    )  # fmt: skip
    jonas = attempt_rows.learner(db, CODE, full_name="Jonas Jonaitis", organisation=other)
    attempt_rows.attempt(db, quiz=quiz, user=jonas, entries=two_questions, marks=[None, None], in_progress=True)
    previewer = make_user(db, full_name="Petras Peržiūrėtojas", roles={Role.TRAINER})
    preview = attempt_rows.attempt(db, quiz=quiz, user=previewer, entries=two_questions, marks=[1, 1], is_preview=True)

    page = trainer_client.get(f"/courses/{CODE}/quiz/results?lang=en")
    assert page.status_code == 200
    html = page.text
    assert "Ona Onaitė" in html and "Jonas Jonaitis" in html and "Petras Peržiūrėtojas" not in html
    assert html.index("Jonas Jonaitis") < html.index("Ona Onaitė")  # by name
    assert f'href="/courses/{CODE}/quiz/results/{first.id}"' in html
    assert f'href="/courses/{CODE}/quiz/results/{second.id}"' in html
    assert f"/quiz/results/{preview.id}" not in html
    second_row = _cells(html, f"/quiz/results/{second.id}")
    assert "Submitted automatically when time ran out" in second_row
    assert "3 min 4 s" in second_row and "100%" in second_row
    assert "50%" in _cells(html, f"/quiz/results/{first.id}")
    assert "In progress" in html and "No finished attempt" in html
    # Ona's overall grade is her best (highest) and passes the 60 % mark.
    assert 'rowspan="2" class="numeric">100%' in html and ">Yes<" in html
    summary = html.split('id="results-summary"')[1].split("</dl>")[0]
    assert re.search(r"Learners who attempted the quiz</dt><dd>2<", summary)
    assert re.search(r"Attempts</dt><dd>3<", summary)
    assert "75%" in summary  # average of the finished attempts' grades 50 and 100
    assert "1 of 1 learner with a grade" in summary


def test_results_filter_by_organisation_and_state(
    db: Session, trainer_client: TestClient, quiz: Quiz, two_questions: list[BankEntry]
) -> None:
    home, other = _organisations(db)
    ona = attempt_rows.learner(db, CODE, full_name="Ona Onaitė", organisation=home)
    attempt_rows.attempt(db, quiz=quiz, user=ona, entries=two_questions, marks=[1, 0])
    jonas = attempt_rows.learner(db, CODE, full_name="Jonas Jonaitis", organisation=other)
    attempt_rows.attempt(db, quiz=quiz, user=jonas, entries=two_questions, marks=[0, 0], in_progress=True)

    page = trainer_client.get(f"/courses/{CODE}/quiz/results?organisation={other.id}&lang=en")
    assert "Jonas Jonaitis" in page.text and "Ona Onaitė" not in page.text
    assert f'<option value="{other.id}" selected>' in page.text
    finished = trainer_client.get(f"/courses/{CODE}/quiz/results?state=finished&organisation=&lang=en")
    assert "Ona Onaitė" in finished.text and "Jonas Jonaitis" not in finished.text
    # The export link keeps the filters.
    assert "/quiz/results.csv?state=finished" in finished.text
    nobody = trainer_client.get(f"/courses/{CODE}/quiz/results?state=needs_grading&lang=en")
    assert "No attempts match these filters." in nobody.text


def test_invalid_filters_are_shown_with_a_message(trainer_client: TestClient, quiz: Quiz) -> None:
    page = trainer_client.get(f"/courses/{CODE}/quiz/results?organisation=abc&state=lost&page=-3&lang=en")
    assert page.status_code == 422
    assert "There is a problem" in page.text and "Choose one of the options." in page.text
    assert trainer_client.get(f"/courses/{CODE}/quiz/results.csv?state=lost").status_code == 422
    assert trainer_client.get(f"/courses/{CODE}/quiz/statistics?attempts=some").status_code == 422


def test_results_are_paged_by_fifty_learners(
    db: Session, trainer_client: TestClient, quiz: Quiz, two_questions: list[BankEntry]
) -> None:
    for number in range(51):
        person = attempt_rows.learner(db, CODE, full_name=f"Learner {number:02d}")
        attempt_rows.attempt(db, quiz=quiz, user=person, entries=two_questions, marks=[1, 0], update_grade=False)
    first = trainer_client.get(f"/courses/{CODE}/quiz/results?lang=en").text
    assert "Learner 49" in first and "Learner 50" not in first and "Page 1 of 2" in first
    second = trainer_client.get(f"/courses/{CODE}/quiz/results?page=2&lang=en").text
    assert "Learner 50" in second and "Learner 49" not in second
    # Beyond the last page: the last page.
    assert "Learner 50" in trainer_client.get(f"/courses/{CODE}/quiz/results?page=9&lang=en").text


def test_trainers_of_other_courses_get_not_found(db: Session, client: TestClient, quiz: Quiz) -> None:
    _trainer(db, client, teaches=False)
    for path in ("results", "results.csv", "statistics"):
        assert client.get(f"/courses/{CODE}/quiz/{path}").status_code == 404, path
    assert client.get(f"/courses/{CODE}/quiz/results.csv?state=lost").status_code == 404


def test_a_course_without_a_quiz_is_not_found(db: Session, trainer_client: TestClient) -> None:
    db.execute(delete(Quiz).where(Quiz.course_id == attempt_rows.course_id(db, CODE)))
    db.commit()
    for path in ("results", "results.csv", "statistics"):
        response = trainer_client.get(f"/courses/{CODE}/quiz/{path}?lang=en")
        assert response.status_code == 404
        assert "This course has no quiz." in response.text


def test_learners_cannot_open_the_results(db: Session, client: TestClient, quiz: Quiz) -> None:
    log_in(client, make_user(db).email)
    assert client.get(f"/courses/{CODE}/quiz/results").status_code == 403


# --- CSV ---


def test_csv_export_has_bom_header_and_one_row_per_attempt(
    db: Session, trainer_client: TestClient, quiz: Quiz, two_questions: list[BankEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results, "CSV_BATCH", 2)  # several batches with a handful of rows
    home, _other = _organisations(db)
    ona = attempt_rows.learner(db, CODE, full_name="Ona Onaitė", organisation=home)
    started = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    attempt_rows.attempt(
        db, quiz=quiz, user=ona, entries=two_questions, marks=[1, 0], started_at=started,
        duration=dt.timedelta(minutes=10),
    )  # fmt: skip
    attempt_rows.attempt(db, quiz=quiz, user=ona, entries=two_questions, marks=[1, 1])
    sly = attempt_rows.learner(db, CODE, full_name='=HYPERLINK("http://evil.example","x")', organisation=home)
    attempt_rows.attempt(db, quiz=quiz, user=sly, entries=two_questions, marks=[0, 0])
    at = attempt_rows.learner(db, CODE, full_name="@SUM(1+1)", organisation=home)
    attempt_rows.attempt(db, quiz=quiz, user=at, entries=two_questions, marks=[None, None], in_progress=True)
    attempt_rows.attempt(db, quiz=quiz, user=make_user(db), entries=two_questions, marks=[1, 1], is_preview=True)

    response = trainer_client.get(f"/courses/{CODE}/quiz/results.csv?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{CODE}-quiz-results.csv"')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Learner", "Organisation", "Attempt", "State", "Started", "Finished", "Time taken (seconds)", "Grade (%)",
        "Overall grade (%)", "Passed",
    ]  # fmt: skip
    body = rows[1:]
    assert len(body) == 4  # the preview is left out
    by_name = {(row[0], row[2]): row for row in body}
    first = by_name[("Ona Onaitė", "1")]
    assert first[1] == home.name_en
    assert first[3:] == [
        "Finished",
        "2026-03-02T09:30:00+00:00",
        "2026-03-02T09:40:00+00:00",
        "600",
        "50.00",
        "100.00",
        "Yes",
    ]
    # Formula-looking names are neutralised for spreadsheets.
    assert ('\'=HYPERLINK("http://evil.example","x")', "1") in by_name
    in_progress = by_name[("'@SUM(1+1)", "1")]
    assert in_progress[3] == "In progress" and in_progress[5:] == ["", "", "", "", ""]


def test_csv_export_follows_the_filters_and_the_language(
    db: Session, trainer_client: TestClient, quiz: Quiz, two_questions: list[BankEntry]
) -> None:
    home, other = _organisations(db)
    for name, organisation in (("Ona Onaitė", home), ("Jonas Jonaitis", other)):
        person = attempt_rows.learner(db, CODE, full_name=name, organisation=organisation)
        attempt_rows.attempt(db, quiz=quiz, user=person, entries=two_questions, marks=[1, 0])
    text = trainer_client.get(f"/courses/{CODE}/quiz/results.csv?organisation={other.id}").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows[1:]] == ["Jonas Jonaitis"]
    assert rows[1][1] == other.name_lt  # the trainer reads Lithuanian


def test_spreadsheet_safe_prefixes_formula_starts() -> None:
    for value in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert spreadsheet_safe(value) == "'" + value
    assert spreadsheet_safe("Ona") == "Ona"


# --- statistics ---


@pytest.fixture
def stats_questions(db: Session) -> list[BankEntry]:
    return attempt_rows.add_gift_questions(db, CODE, STATS_GIFT)


def _with_intro(marks: list[float | None]) -> list[float | None]:
    return [*marks, 0.0]


# Marks per learner for Capital (1), Stage (1), Pairs (1), Story (essay, 1; None waits for grading).
STATS_MARKS: list[list[float | None]] = [
    [1, 0, 1, 1],
    [1, 1, 0.5, 0],
    [0, 1, 0, None],
    [0, 1, 0.5, 1],
]
STATS_RESPONSES = [
    [0, "Idea", {"0": "Vilnius", "1": "Oslo"}, "A cluster in Utena."],
    [0, " IDEA ", {"0": "Vilnius", "1": "Vilnius"}, "Nothing."],
    [1, "idea", {"0": "Oslo"}, "Waiting."],
    [2, "Idea", {"0": "Vilnius", "1": "Vilnius"}, "Libraries."],
]


def _expected_scores(entries: list[BankEntry]) -> list[AttemptScores]:
    scores = []
    for marks in STATS_MARKS:
        row = tuple(QuestionMark(entry.question.id, mark, 1.0) for entry, mark in zip(entries, marks, strict=False))
        grade = None if None in marks else sum(mark or 0 for mark in marks) / 4 * 100
        scores.append(AttemptScores(row, grade))
    return scores


def _take_stats_attempts(db: Session, quiz: Quiz, entries: list[BankEntry]) -> None:
    for number, (marks, responses) in enumerate(zip(STATS_MARKS, STATS_RESPONSES, strict=True)):
        person = attempt_rows.learner(db, CODE, full_name=f"Learner {number}")
        attempt_rows.attempt(
            db, quiz=quiz, user=person, entries=entries, marks=_with_intro(marks), responses=[*responses, None]
        )
    # A second, perfect attempt by the first learner: left out with attempts=first.
    first_learner = db.scalar(select(User).where(User.full_name == "Learner 0"))
    assert first_learner is not None
    attempt_rows.attempt(
        db, quiz=quiz, user=first_learner, entries=entries, marks=_with_intro([1, 1, 1, 1]),
        responses=[0, "Idea", {"0": "Vilnius", "1": "Oslo"}, "Better.", None],
    )  # fmt: skip
    # Previews and unfinished attempts never count.
    attempt_rows.attempt(
        db, quiz=quiz, user=make_user(db), entries=entries, marks=_with_intro([0, 0, 0, 0]), is_preview=True
    )
    late = attempt_rows.learner(db, CODE, full_name="Learner late")
    attempt_rows.attempt(db, quiz=quiz, user=late, entries=entries, marks=_with_intro([0, 0, 0, 0]), in_progress=True)


def test_statistics_page_figures_match_the_pure_functions(
    db: Session, trainer_client: TestClient, quiz: Quiz, stats_questions: list[BankEntry]
) -> None:
    _take_stats_attempts(db, quiz, stats_questions)
    html = trainer_client.get(f"/courses/{CODE}/quiz/statistics?attempts=first&lang=en").text
    expected = {figures.question_id: figures for figures in question_figures(_expected_scores(stats_questions))}
    figures_table = html.split("<caption>Figures per question</caption>")[1].split("</table>")[0]
    with using_locale("en"):
        for entry in stats_questions[:4]:
            figures = expected[entry.question.id]
            row = _cells(figures_table, f"#question-{entry.question.id}")
            assert f">{figures.attempts}<" in row
            assert results.percent_text(figures.facility) in row
            assert results.percent_text(figures.spread) in row
            if figures.discrimination is not None:
                assert format_number(round(figures.discrimination, 1)) in row
        quiz_level = quiz_figures(_expected_scores(stats_questions))
        whole = html.split('id="quiz-figures"')[1].split("</dl>")[0]
        assert f"<dd>{quiz_level.attempts}</dd>" in whole
        assert results.percent_text(quiz_level.mean) in whole
        assert results.percent_text(quiz_level.median) in whole
    assert "This text introduces" not in html  # descriptions have no statistics
    assert "Intro" not in figures_table


def test_statistics_count_all_or_first_attempts(
    db: Session, trainer_client: TestClient, quiz: Quiz, stats_questions: list[BankEntry]
) -> None:
    _take_stats_attempts(db, quiz, stats_questions)
    every = trainer_client.get(f"/courses/{CODE}/quiz/statistics?lang=en").text
    first = trainer_client.get(f"/courses/{CODE}/quiz/statistics?attempts=first&lang=en").text
    assert "Attempts counted</dt><dd>5<" in every
    assert "Attempts counted</dt><dd>4<" in first
    assert '<option value="first" selected>' in first


def test_statistics_show_answer_counts_and_flag_questions(
    db: Session, trainer_client: TestClient, quiz: Quiz, stats_questions: list[BankEntry]
) -> None:
    _take_stats_attempts(db, quiz, stats_questions)
    html = trainer_client.get(f"/courses/{CODE}/quiz/statistics?attempts=first&lang=en").text
    capital, stage, pairs, story = (f'id="question-{entry.question.id}"' for entry in stats_questions[:4])
    capital_part = html.split(capital)[1].split("</section>")[0]
    assert "Vilnius" in capital_part and "Klaipėda" in capital_part and "Correct" in capital_part
    assert "50%" in _cells(capital_part, "Vilnius")
    # Typed answers are grouped whatever the case and spacing: "idea" 4 times.
    stage_part = html.split(stage)[1].split("</section>")[0]
    assert re.search(r'idea</th>.*?<td class="numeric">4</td>', stage_part, re.S)
    # Stage: 3 of 4 right, and the one who missed it did best on the rest: flagged.
    assert "Check this question" in stage_part and "negative discrimination" in stage_part
    pairs_part = html.split(pairs)[1].split("</section>")[0]
    assert "answers matched to “Lithuania”" in pairs_part and "answers matched to “Norway”" in pairs_part
    story_part = html.split(story)[1].split("</section>")[0]
    assert re.search(r"Answered</dt><dd>4<.*Graded</dt><dd>3<.*Waiting for grading</dt><dd>1<", story_part, re.S)


def test_statistics_without_finished_attempts(trainer_client: TestClient, quiz: Quiz) -> None:
    page = trainer_client.get(f"/courses/{CODE}/quiz/statistics?lang=en")
    assert page.status_code == 200
    assert "No learner has finished the quiz yet" in page.text


def test_statistics_group_a_question_across_its_versions(
    db: Session, trainer_client: TestClient, quiz: Quiz, stats_questions: list[BankEntry]
) -> None:
    capital = stats_questions[0]
    first_learner = attempt_rows.learner(db, CODE, full_name="Learner old")
    attempt_rows.attempt(db, quiz=quiz, user=first_learner, entries=[capital], marks=[1], responses=[0])
    edited = dict(capital.version.data)
    edited["answers"] = [*edited["answers"], {"text": "Šiauliai", "fraction": 0.0, "feedback": ""}]
    newer = attempt_rows.new_version(db, capital, edited)
    second_learner = attempt_rows.learner(db, CODE, full_name="Learner new")
    attempt_rows.attempt(db, quiz=quiz, user=second_learner, entries=[newer], marks=[0], responses=[3])
    html = trainer_client.get(f"/courses/{CODE}/quiz/statistics?lang=en").text
    assert html.count(f'id="question-{capital.question.id}"') == 1
    part = html.split(f'id="question-{capital.question.id}"')[1].split("</section>")[0]
    assert "Šiauliai" in part and ">2<" in _cells(
        html.split("Figures per question")[1], f"#question-{capital.question.id}"
    )


# --- no text outside gettext ---


@pytest.mark.usefixtures("pseudo_translations")
def test_results_pages_show_no_text_that_bypassed_gettext(
    db: Session, trainer_client: TestClient, quiz: Quiz, stats_questions: list[BankEntry]
) -> None:
    _take_stats_attempts(db, quiz, stats_questions)
    data = _allowed_data() | {f"Learner {number}" for number in range(4)} | {"Learner late"}
    data |= {"Capital", "Stage", "Pairs", "Story", "Vilnius", "Kaunas", "Klaipėda", "Lithuania", "Norway", "Oslo"}
    data |= {"idea", "Bandomasis kursas", "Klasteris"}
    for path in ("results", "statistics"):
        html = trainer_client.get(f"/courses/{CODE}/quiz/{path}").text
        assert _untranslated(html, data) == [], path
