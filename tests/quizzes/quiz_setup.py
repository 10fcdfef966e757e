"""Building quizzes for tests: questions from GIFT text into a course's bank, and the quiz asking them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.courses.models import Course
from app.courses.service import assign_trainer, enrol
from app.quizzes.attempts import question_adapter
from app.quizzes.bank import import_into_bank
from app.quizzes.gift import read_gift
from app.quizzes.grading import matching_choices
from app.quizzes.interchange import Matching, MultipleChoice, Question, ShortAnswer, SingleChoice, TrueFalse
from app.quizzes.models import AttemptQuestion, Quiz, QuizAttempt, QuizSlot
from app.quizzes.models import Question as BankQuestion
from tests.factories import csrf_from, log_in, make_user

ALL_TYPES_GIFT = """\
::Choice:: Which body coordinates a social cluster? {=The coordination group#Yes, it does. ~A single ministry#No, not alone. ~Nobody}

::Several:: Which are social economy actors? {~%50%NGOs#Right ~%50%Social enterprises ~%-100%A tax office#Not quite}

::TrueFalse:: A cluster needs a shared goal. {T#Feedback when true#Feedback when false}

::Short:: Name the first stage of the cluster life cycle. {=Idea#Well done =initi*#Close enough =%50%start}

::Number:: How many partner institutions had the network? {#13:0}

::Match:: Match the countries to their capitals. {=Lithuania -> Vilnius =Norway -> Oslo =Latvia -> Riga}

::Essay:: Describe a cluster you know. {}

::Intro:: This text introduces the next questions.
"""


def make_quiz(
    session: Session, *, code: str, gift: str = ALL_TYPES_GIFT, language: str = "en", **settings: object
) -> Quiz:
    """Replace the course quiz's questions by the questions of `gift`, and apply `settings` to it."""
    course = session.scalar(select(Course).where(Course.code == code))
    assert course is not None
    report = read_gift(gift)
    assert not [issue for issue in report.issues if issue.skipped], report.issues
    before = set(session.scalars(select(BankQuestion.id).where(BankQuestion.course_id == course.id)))
    import_into_bank(session, course_code=code, report=report, language=language)
    new_ids = sorted(set(session.scalars(select(BankQuestion.id).where(BankQuestion.course_id == course.id))) - before)
    quiz = session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    if quiz is None:
        quiz = Quiz(course_id=course.id)
        session.add(quiz)
        session.flush()
    session.execute(delete(QuizSlot).where(QuizSlot.quiz_id == quiz.id))
    for position, question_id in enumerate(new_ids, start=1):
        session.add(QuizSlot(quiz_id=quiz.id, position=position, question_id=question_id))
    for name, value in {"questions_per_page": 3, "max_attempts": 0, "time_limit_minutes": None, **settings}.items():
        setattr(quiz, name, value)
    session.commit()
    return quiz


def learner_of(session: Session, code: str, **kwargs: object) -> User:
    user = make_user(session, **kwargs)  # type: ignore[arg-type]
    enrol(session, code=code, user=user)
    session.commit()
    return user


def trainer_of(session: Session, code: str) -> User:
    from app.core.access import Role

    user = make_user(session, roles={Role.TRAINER, Role.LEARNER})
    assign_trainer(session, code=code, user=user)
    session.commit()
    return user


def signed_in(client: TestClient, user: User) -> TestClient:
    log_in(client, user.email)
    return client


def start(client: TestClient, code: str) -> str:
    """Press "Start" on the quiz page; the address of the attempt page it leads to."""
    page = client.get(f"/courses/{code}/quiz")
    assert page.status_code == 200, page.text
    response = client.post(f"/courses/{code}/quiz/start", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def attempt_rows(session: Session, user: User) -> list[QuizAttempt]:
    session.expire_all()
    return list(
        session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user.id)
            .order_by(QuizAttempt.number)
            .options(selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.version))
        )
    )


def _model(row: AttemptQuestion) -> Question:
    return question_adapter.validate_python(row.version.data)


def right_answer_fields(row: AttemptQuestion) -> dict[str, str]:
    """Form fields that answer an attempt question fully right, as a learner clicking the page would send."""
    model, prefix, order = _model(row), f"q{row.position}", row.display_order
    match model:
        case SingleChoice():
            best = max(range(len(model.answers)), key=lambda index: model.answers[index].fraction)
            return {prefix: str(order["answers"].index(best))}
        case MultipleChoice():
            return {
                f"{prefix}_{order['answers'].index(index)}": "1"
                for index, answer in enumerate(model.answers)
                if answer.fraction > 0
            }
        case TrueFalse():
            return {prefix: "true" if model.correct else "false"}
        case ShortAnswer():
            best_text = max(model.answers, key=lambda answer: answer.fraction).text
            return {prefix: best_text.replace("*", "")}
        case Matching():
            choices = matching_choices(model)
            fields = {}
            for shown, pair_index in enumerate(order["prompts"]):
                wanted = choices.index(model.pairs[pair_index].answer)
                fields[f"{prefix}_{shown}"] = str(order["choices"].index(wanted))
            return fields
    if model.type == "numerical":
        answer = next(answer for answer in model.answers if answer.fraction == 1.0)  # type: ignore[union-attr]
        return {prefix: f"{answer.value:g}".replace(".", ",")}
    if model.type == "essay":
        return {prefix: "A cluster of a library, a school and two NGOs in Utena."}
    return {}


def answer_page(client: TestClient, attempt_url: str, page: str, fields: dict[str, str], nav: str = "next"):  # type: ignore[no-untyped-def]
    base = attempt_url.split("?")[0]
    html = client.get(f"{base}?page={page}").text
    return client.post(base, data={"csrf_token": csrf_from(html), "page": page, "nav": nav, **fields})


def hidden_texts() -> list[str]:
    """Texts of ALL_TYPES_GIFT that must not appear before the attempt is submitted."""
    return ["Yes, it does", "No, not alone", "Feedback when true", "Well done", "initi*", "Not quite", "Close enough"]


_TAGS = re.compile(r"<[^>]+>")


def visible_text(html: str) -> str:
    return _TAGS.sub(" ", html)
