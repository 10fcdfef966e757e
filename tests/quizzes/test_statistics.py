"""Quiz statistics maths on small datasets checked by hand: facility, spread, discrimination, alpha, answer counts."""

from __future__ import annotations

import math

import pytest

from app.quizzes.interchange import (
    Answer,
    Essay,
    Matching,
    MatchPair,
    MultipleChoice,
    Numerical,
    NumericalAnswer,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)
from app.quizzes.statistics import (
    AttemptScores,
    GivenResponse,
    QuestionFigures,
    QuestionMark,
    answer_distribution,
    cronbach_alpha,
    pearson,
    question_figures,
    quiz_figures,
)

MAX = {1: 1.0, 2: 1.0, 3: 2.0, 4: 2.0}  # marks available per question id


def _attempt(marks: dict[int, float | None], grade: float | None = None) -> AttemptScores:
    return AttemptScores(tuple(QuestionMark(question, mark, MAX[question]) for question, mark in marks.items()), grade)


# Four attempts x three questions (q1 and q2 out of 1 mark, q3 out of 2):
#        q1  q2  q3  score  grade (of 4)
#   A     1   0   2    3     75
#   B     1   1   1    3     75
#   C     0   1   0    1     25
#   D     0   1   1    2     50
FOUR = [
    _attempt({1: 1, 2: 0, 3: 2}, 75.0),
    _attempt({1: 1, 2: 1, 3: 1}, 75.0),
    _attempt({1: 0, 2: 1, 3: 0}, 25.0),
    _attempt({1: 0, 2: 1, 3: 1}, 50.0),
]


def _by_question(attempts: list[AttemptScores]) -> dict[int, QuestionFigures]:
    return {figures.question_id: figures for figures in question_figures(attempts)}


def test_facility_and_spread_are_mean_and_sample_deviation_of_the_percent_marks() -> None:
    figures = _by_question(FOUR)
    # q1: 100, 100, 0, 0 -> mean 50; squares 4 x 2500 = 10000, / 3 -> sd sqrt(3333.33) = 57.735
    assert figures[1].facility == pytest.approx(50.0)
    assert figures[1].spread == pytest.approx(math.sqrt(10000 / 3))
    # q2: 0, 100, 100, 100 -> mean 75; squares 5625 + 3 x 625 = 7500, / 3 = 2500 -> sd 50
    assert figures[2].facility == pytest.approx(75.0)
    assert figures[2].spread == pytest.approx(50.0)
    # q3: 100, 50, 0, 50 -> mean 50; squares 2500 + 0 + 2500 + 0 = 5000, / 3 -> sd 40.825
    assert figures[3].facility == pytest.approx(50.0)
    assert figures[3].spread == pytest.approx(math.sqrt(5000 / 3))
    assert [figures[question].attempts for question in (1, 2, 3)] == [4, 4, 4]


def test_discrimination_correlates_the_mark_with_the_rest_of_the_attempt() -> None:
    figures = _by_question(FOUR)
    # q1: x = 1 1 0 0, rest y = score - x = 2 2 1 2; means 0.5 and 1.75
    #   dx = .5 .5 -.5 -.5, dy = .25 .25 -.75 .25
    #   Sxy = .125 + .125 + .375 - .125 = .5; Sxx = 1; Syy = .0625 x 3 + .5625 = .75
    #   r = .5 / sqrt(1 x .75) = .57735
    assert figures[1].discrimination == pytest.approx(57.735, abs=1e-3)
    # q2: x = 0 1 1 1, y = 3 2 0 1; means .75 and 1.5
    #   dx = -.75 .25 .25 .25, dy = 1.5 .5 -1.5 -.5
    #   Sxy = -1.125 + .125 - .375 - .125 = -1.5; Sxx = .5625 + 3 x .0625 = .75; Syy = 2.25 + .25 + 2.25 + .25 = 5
    #   r = -1.5 / sqrt(.75 x 5) = -.774597
    assert figures[2].discrimination == pytest.approx(-77.4597, abs=1e-3)
    # q3: x = 2 1 0 1, y = 1 2 1 1; means 1 and 1.25; dx = 1 0 -1 0, dy = -.25 .75 -.25 -.25
    #   Sxy = -.25 + 0 + .25 + 0 = 0 -> r = 0 (defined: both sides vary)
    assert figures[3].discrimination == pytest.approx(0.0, abs=1e-9)


def test_questions_that_look_broken_are_flagged() -> None:
    figures = _by_question(FOUR)
    assert not figures[1].needs_checking
    assert figures[2].needs_checking and figures[2].discriminates_backwards
    assert not figures[3].needs_checking


def test_quiz_figures_over_the_grades() -> None:
    figures = quiz_figures(FOUR)
    # grades 75 75 25 50: mean 56.25; median (50 + 75) / 2 = 62.5
    # deviations 18.75 18.75 -31.25 -6.25 -> squares 351.5625 x 2 + 976.5625 + 39.0625 = 1718.75, / 3 -> sd 23.936
    assert (figures.attempts, figures.graded) == (4, 4)
    assert figures.mean == pytest.approx(56.25)
    assert figures.median == pytest.approx(62.5)
    assert figures.spread == pytest.approx(math.sqrt(1718.75 / 3))
    # item variances 1/3 + 1/4 + 2/3 = 1.25; totals 3 3 1 2 -> variance 2.75 / 3 = .91667
    # alpha = 3/2 x (1 - 1.25 / .91667) = -.54545: these three questions do not measure one thing
    assert figures.cronbach_alpha == pytest.approx(-6 / 11)


def test_cronbach_alpha_of_a_consistent_scale() -> None:
    # Each person who gets a harder item right also gets the easier ones right.
    # item variances .25 + 1/3 + .25 = 5/6; totals 3 2 1 0 -> variance 5/3; alpha = 3/2 x (1 - (5/6) / (5/3)) = .75
    assert cronbach_alpha([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]) == pytest.approx(0.75)


def test_pearson_is_undefined_without_variance_or_pairs() -> None:
    assert pearson([1, 1, 1], [0, 1, 2]) is None
    assert pearson([0, 1, 2], [3, 3, 3]) is None
    assert pearson([1], [2]) is None
    assert pearson([], []) is None
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)


def test_everyone_with_the_same_score_gives_no_discrimination_and_no_alpha() -> None:
    same = [_attempt({1: 1, 2: 0}, 50.0), _attempt({1: 0, 2: 1}, 50.0), _attempt({1: 1, 2: 0}, 50.0)]
    figures = _by_question(same)
    # q1: x = 1 0 1, rest = 0 1 0: r = -1 (defined), but the totals never vary, so alpha is not
    assert figures[1].discrimination == pytest.approx(-100.0)
    quiz = quiz_figures(same)
    assert quiz.spread == 0.0
    assert quiz.cronbach_alpha is None


def test_a_single_attempt_has_a_facility_but_no_spread_or_correlation() -> None:
    figures = _by_question([_attempt({1: 1, 3: 1}, 66.7)])
    assert figures[1].facility == 100.0 and figures[3].facility == 50.0
    assert figures[1].spread is None and figures[1].discrimination is None
    quiz = quiz_figures([_attempt({1: 1, 3: 1}, 66.7)])
    assert quiz.mean == pytest.approx(66.7) and quiz.median == pytest.approx(66.7)
    assert quiz.spread is None and quiz.cronbach_alpha is None


def test_a_question_everyone_gets_right_is_too_easy_and_does_not_discriminate() -> None:
    attempts = [_attempt({1: 1, 3: 2}), _attempt({1: 1, 3: 0}), _attempt({1: 1, 3: 1})]
    figures = _by_question(attempts)
    assert figures[1].facility == 100.0 and figures[1].spread == 0.0
    assert figures[1].discrimination is None
    assert figures[1].too_easy and figures[1].needs_checking


def test_ungraded_essays_are_left_out_of_every_sum() -> None:
    attempts = [
        _attempt({1: 1, 4: None}, None),  # the essay waits for a trainer
        _attempt({1: 0, 4: 2}, 66.7),
        _attempt({1: 1, 4: 0}, 33.3),
    ]
    figures = _by_question(attempts)
    # essay: asked 3 times, graded twice: 100 and 0 -> facility 50
    assert (figures[4].attempts, figures[4].graded) == (3, 2)
    assert figures[4].facility == pytest.approx(50.0)
    # q1: x = 1 0 1; rest without the ungraded essay = 0 2 0 -> r = -1
    #   dx = 1/3 -2/3 1/3, dy = -2/3 4/3 -2/3: Sxy = -12/9, Sxx = 6/9, Syy = 24/9 -> -12/9 / (12/9) = -1
    assert figures[1].discrimination == pytest.approx(-100.0)
    quiz = quiz_figures(attempts)
    assert (quiz.attempts, quiz.graded) == (3, 2)
    assert quiz.mean == pytest.approx(50.0)


# --- answer distributions ---


def _choice(*answers: tuple[str, float], many: bool = False) -> SingleChoice | MultipleChoice:
    built = tuple(Answer(text=text, fraction=fraction) for text, fraction in answers)
    return MultipleChoice(answers=built) if many else SingleChoice(answers=built)


def test_choice_answers_are_counted_across_versions_by_text() -> None:
    old = _choice(("Vilnius", 1.0), ("Kaunas", 0.0))
    new = _choice(("Kaunas", 0.0), ("Vilnius", 1.0), ("Klaipėda", 0.0))
    given = [
        GivenResponse(old, 0, 1.0),
        GivenResponse(old, 1, 0.0),
        GivenResponse(new, 1, 1.0),
        GivenResponse(new, 2, 0.0),
        GivenResponse(new, None, 0.0),
    ]
    result = answer_distribution([new, old], given)
    rows = {answer.text: (answer.credit, answer.count, answer.share) for answer in result.answers}
    assert [answer.text for answer in result.answers] == ["Kaunas", "Vilnius", "Klaipėda"]  # newest version's order
    assert rows == {"Vilnius": (1.0, 2, 0.4), "Kaunas": (0.0, 1, 0.2), "Klaipėda": (0.0, 1, 0.2)}
    assert (result.asked, result.unanswered) == (5, 1)


def test_multiple_choice_counts_every_ticked_answer() -> None:
    question = _choice(("NGOs", 0.5), ("Social enterprises", 0.5), ("A tax office", -1.0), many=True)
    given = [GivenResponse(question, [0, 1], 1.0), GivenResponse(question, [0, 2], 0.0), GivenResponse(question, None)]
    counts = {answer.text: answer.count for answer in answer_distribution([question], given).answers}
    assert counts == {"NGOs": 2, "Social enterprises": 1, "A tax office": 1}


def test_true_false_has_a_row_for_each_value() -> None:
    question = TrueFalse(correct=True)
    given = [GivenResponse(question, True), GivenResponse(question, True), GivenResponse(question, False)]
    result = answer_distribution([question], given + [GivenResponse(question, None)])
    assert [(row.truth, row.credit, row.count) for row in result.answers] == [(True, 1.0, 2), (False, 0.0, 1)]
    assert result.unanswered == 1


def test_typed_responses_are_grouped_and_the_top_ten_kept() -> None:
    question = ShortAnswer(answers=(Answer(text="Idea", fraction=1.0),))
    given = [GivenResponse(question, text, 1.0) for text in ("Idea", " idea ", "IDEA")]
    given += [GivenResponse(question, "the  start", 0.0), GivenResponse(question, "The start", 0.0)]
    given += [GivenResponse(question, f"guess {number}", 0.0) for number in range(12)]
    given.append(GivenResponse(question, None, 0.0))
    result = answer_distribution([question], given)
    assert [(row.text, row.count, row.credit) for row in result.answers[:2]] == [
        ("idea", 3, 1.0),
        ("the start", 2, 0.0),
    ]
    assert len(result.answers) == 10
    assert (result.others, result.unanswered) == (4, 1)


def test_numerical_responses_are_typed_responses() -> None:
    question = Numerical(answers=(NumericalAnswer(value=13.0),))
    result = answer_distribution([question], [GivenResponse(question, "13", 1.0), GivenResponse(question, "12", 0.0)])
    assert result.kind == "typed" and [row.text for row in result.answers] == ["13", "12"]


def test_matching_counts_the_answers_chosen_for_each_prompt() -> None:
    question = Matching(
        pairs=(
            MatchPair(prompt="Lithuania", answer="Vilnius"),
            MatchPair(prompt="Norway", answer="Oslo"),
            MatchPair(prompt="", answer="Riga"),
        )
    )
    given = [
        GivenResponse(question, {"0": "Vilnius", "1": "Oslo"}, 1.0),
        GivenResponse(question, {"0": "Riga"}, 0.0),
        GivenResponse(question, None, 0.0),
    ]
    result = answer_distribution([question], given)
    lithuania, norway = result.prompts
    assert lithuania.prompt == "Lithuania"
    assert [(row.text, row.credit, row.count) for row in lithuania.answers] == [
        ("Vilnius", 1.0, 1),
        ("Oslo", 0.0, 0),
        ("Riga", 0.0, 1),
    ]
    assert (lithuania.unanswered, norway.unanswered) == (1, 2)


def test_essays_count_answered_and_graded() -> None:
    question = Essay()
    given = [GivenResponse(question, "My cluster", 0.5), GivenResponse(question, "Another", None)]
    result = answer_distribution([question], given + [GivenResponse(question, "  ", 0.0)])
    assert (result.kind, result.asked, result.answered, result.graded, result.unanswered) == ("essay", 3, 2, 1, 1)
