"""Grading of each question type, the grade states, marks and the grading methods across attempts."""

from __future__ import annotations

from itertools import chain, combinations

import pytest

from app.quizzes.grading import Grade, grade, mark, matching_choices, overall_grade, parse_number
from app.quizzes.interchange import (
    Answer,
    Description,
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


def _single_choice() -> SingleChoice:
    return SingleChoice(
        text="Capital of Lithuania?",
        answers=(
            Answer(text="Vilnius", fraction=1.0, feedback="Right."),
            Answer(text="Kaunas", fraction=0.5, feedback="Former temporary capital."),
            Answer(text="Riga", fraction=0.0, feedback="That is Latvia."),
            Answer(text="Oslo", fraction=-0.5, feedback=""),
        ),
    )


def _multiple_choice(*fractions: float) -> MultipleChoice:
    return MultipleChoice(
        text="Pick the Baltic states.",
        answers=tuple(
            Answer(text=f"option {index}", fraction=fraction, feedback=f"feedback {index}")
            for index, fraction in enumerate(fractions)
        ),
    )


def _short_answer(*texts: str, case_sensitive: bool = False) -> ShortAnswer:
    return ShortAnswer(
        text="Type it.",
        answers=tuple(Answer(text=text, fraction=1.0, feedback=f"matched {text}") for text in texts),
        case_sensitive=case_sensitive,
    )


def _numerical(*answers: NumericalAnswer) -> Numerical:
    return Numerical(text="How much?", answers=answers)


def _matching() -> Matching:
    return Matching(
        text="Match each city with its country.",
        pairs=(
            MatchPair(prompt="Vilnius", answer="Lithuania"),
            MatchPair(prompt="Bergen", answer="Norway"),
            MatchPair(prompt="Kaunas", answer="Lithuania"),
            MatchPair(prompt="", answer="Latvia"),
            MatchPair(prompt="Oslo", answer="Norway"),
        ),
    )


def _all_subsets(size: int) -> list[frozenset[int]]:
    indexes = range(size)
    return [frozenset(subset) for subset in chain.from_iterable(combinations(indexes, n) for n in range(size + 1))]


# --- single choice ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fraction", "state", "feedback"),
    [
        (0, 1.0, "correct", ("Right.",)),
        (1, 0.5, "partial", ("Former temporary capital.",)),
        (2, 0.0, "incorrect", ("That is Latvia.",)),
        (3, 0.0, "incorrect", ()),  # a negative fraction is clamped to zero, and empty feedback is dropped
        (None, 0.0, "unanswered", ()),
    ],
)
def test_single_choice_gives_the_chosen_answers_fraction_and_feedback(
    response: int | None, fraction: float, state: str, feedback: tuple[str, ...]
) -> None:
    assert grade(_single_choice(), response) == Grade(fraction=fraction, feedback=feedback, state=state)


@pytest.mark.parametrize("response", [-1, 4, 99])
def test_single_choice_index_naming_no_answer_earns_nothing(response: int) -> None:
    assert grade(_single_choice(), response).state == "unanswered"


def test_single_choice_rejects_a_bool_as_an_index() -> None:
    with pytest.raises(TypeError):
        grade(_single_choice(), True)


# --- multiple choice ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fractions", "chosen", "expected_fraction", "state"),
    [
        ((0.5, 0.5, -1.0, -1.0), {0, 1}, 1.0, "correct"),
        ((0.5, 0.5, -1.0, -1.0), {0}, 0.5, "partial"),
        ((0.5, 0.5, -0.5, -0.5), {0, 2}, 0.0, "incorrect"),
        ((0.5, 0.5, -1.0, -1.0), {2, 3}, 0.0, "incorrect"),  # -2 is floored at zero
        ((0.5, 0.5, -0.5, -0.5), {0, 1, 2, 3}, 0.0, "incorrect"),  # all selected: wrong answers cancel the right
        ((0.5, 0.5, -0.25, -0.25), {0, 1, 2, 3}, 0.5, "partial"),
        ((1 / 3, 1 / 3, 1 / 3, -1.0), {0}, 0.3333333, "partial"),
        ((0.3333333, 0.3333333, 0.3333333, -1.0), {0, 1, 2}, 1.0, "correct"),  # authors' thirds add up to 1
        ((0.6, 0.6, -0.5), {0, 1}, 1.0, "correct"),  # capped at one
        ((0.1, 0.2, 0.7), {0, 1}, 0.3, "partial"),  # 0.1 + 0.2 rounded
        ((0.5, 0.5, -1.0, -1.0), set(), 0.0, "unanswered"),
    ],
)
def test_multiple_choice_sums_fractions_floored_at_zero_and_capped_at_one(
    fractions: tuple[float, ...], chosen: set[int], expected_fraction: float, state: str
) -> None:
    result = grade(_multiple_choice(*fractions), frozenset(chosen))
    assert (result.fraction, result.state) == (expected_fraction, state)


def test_multiple_choice_selecting_everything_is_not_full_marks_when_wrong_answers_are_negative() -> None:
    question = _multiple_choice(0.5, 0.5, -0.5, -0.5, -0.5)
    assert grade(question, frozenset(range(5))).fraction == 0.0


def test_multiple_choice_feedback_follows_answer_order_of_the_chosen() -> None:
    result = grade(_multiple_choice(0.5, 0.5, -1.0), frozenset({2, 0}))
    assert result.feedback == ("feedback 0", "feedback 2")


@pytest.mark.parametrize("tampered", [frozenset({-1}), frozenset({7}), frozenset({0, 7})])
def test_multiple_choice_ignores_indexes_that_name_no_answer(tampered: frozenset[int]) -> None:
    result = grade(_multiple_choice(0.5, 0.5, -1.0), tampered)
    assert result.fraction == (0.5 if 0 in tampered else 0.0)


def test_multiple_choice_none_is_unanswered() -> None:
    assert grade(_multiple_choice(1.0, 0.0), None).state == "unanswered"


@pytest.mark.parametrize(
    "fractions",
    [(0.5, 0.5, -1.0, -1.0), (1.0, 1.0, 1.0), (-1.0, -1.0, 0.3), (0.3333333, 0.3333333, 0.3333333, -0.5, -0.5)],
)
def test_multiple_choice_grade_is_within_zero_and_one_for_every_selection(fractions: tuple[float, ...]) -> None:
    question = _multiple_choice(*fractions)
    for chosen in _all_subsets(len(fractions)):
        fraction = grade(question, chosen).fraction
        assert fraction is not None and 0.0 <= fraction <= 1.0, chosen


# --- true / false ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "response", "fraction", "state", "feedback"),
    [
        (True, True, 1.0, "correct", ("said true",)),
        (True, False, 0.0, "incorrect", ("said false",)),
        (False, False, 1.0, "correct", ("said false",)),
        (False, True, 0.0, "incorrect", ("said true",)),
        (True, None, 0.0, "unanswered", ()),
    ],
)
def test_true_false_grades_and_gives_the_feedback_for_what_the_learner_said(
    correct: bool, response: bool | None, fraction: float, state: str, feedback: tuple[str, ...]
) -> None:
    question = TrueFalse(
        text="Vilnius is a capital.", correct=correct, feedback_true="said true", feedback_false="said false"
    )
    assert grade(question, response) == Grade(fraction=fraction, feedback=feedback, state=state)


def test_true_false_rejects_an_int() -> None:
    with pytest.raises(TypeError):
        grade(TrueFalse(correct=True), 1)


# --- short answer ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "typed", "matches"),
    [
        ("Vilnius", "vilnius", True),
        ("Vilnius", "  VILNIUS  ", True),
        ("Vilnius", "Vilnius!", False),
        ("Vil*us", "Vilnius", True),
        ("Vil*us", "Vilus", True),  # the wildcard may match nothing
        ("Vil*us", "Vilnius city", False),
        ("Vil**us", "Vilnius", True),
        ("*nius", "Vilnius", True),
        ("C++", "c++", True),
        ("C++", "CCC", False),
        ("a.b", "a.b", True),
        ("a.b", "axb", False),
        ("(x+y)^2 [$]", "(X+Y)^2 [$]", True),
        ("a\\*b", "a*b", True),  # an escaped asterisk is literal
        ("a\\*b", "axxb", False),
        ("New York", "new   york", True),  # inner whitespace collapses
        ("New   York", "New York", True),
        ("New York", "NewYork", False),
        ("ŠIAULIAI", "Šiauliai", True),
        ("ąžuolas", "ĄŽUOLAS", True),
        ("Šiauliai", "S\u030ciauliai", True),  # a decomposed Š equals the composed letter
        ("Tromsø", "TROMSØ", True),
        ("straße", "STRASSE", True),
        ("Šiauliai", "Siauliai", False),  # accents are significant
    ],
)
def test_short_answer_matching(accepted: str, typed: str, matches: bool) -> None:
    result = grade(_short_answer(accepted), typed)
    assert result.state == ("correct" if matches else "incorrect")
    assert result.feedback == ((f"matched {accepted}",) if matches else ())


@pytest.mark.parametrize(
    ("accepted", "typed", "matches"),
    [
        ("Vilnius", "Vilnius", True),
        ("Vilnius", "vilnius", False),
        ("ŠIAULIAI", "Šiauliai", False),
        ("V*s", "Vis", True),
    ],
)
def test_short_answer_case_sensitive_option(accepted: str, typed: str, matches: bool) -> None:
    assert grade(_short_answer(accepted, case_sensitive=True), typed).state == ("correct" if matches else "incorrect")


def test_short_answer_first_matching_answer_wins() -> None:
    question = ShortAnswer(
        answers=(
            Answer(text="Vilnius", fraction=1.0, feedback="exact"),
            Answer(text="Vil*", fraction=0.5, feedback="close"),
            Answer(text="*", fraction=0.0, feedback="anything else"),
        )
    )
    assert grade(question, "vilnius") == Grade(fraction=1.0, feedback=("exact",), state="correct")
    assert grade(question, "Vilna") == Grade(fraction=0.5, feedback=("close",), state="partial")
    assert grade(question, "Kaunas") == Grade(fraction=0.0, feedback=("anything else",), state="incorrect")


def test_short_answer_catch_all_placed_first_shadows_the_rest() -> None:
    question = ShortAnswer(answers=(Answer(text="*", fraction=0.0), Answer(text="Vilnius", fraction=1.0)))
    assert grade(question, "Vilnius").fraction == 0.0


def test_short_answer_negative_fraction_is_clamped() -> None:
    question = ShortAnswer(answers=(Answer(text="Vilnius", fraction=1.0), Answer(text="Riga", fraction=-0.5)))
    assert grade(question, "Riga") == Grade(fraction=0.0, feedback=(), state="incorrect")


@pytest.mark.parametrize("typed", [None, "", "   ", "\u00a0\t"])
def test_short_answer_blank_is_unanswered_even_with_a_catch_all(typed: str | None) -> None:
    assert grade(_short_answer("*"), typed) == Grade(fraction=0.0, feedback=(), state="unanswered")


# --- numerical ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3.5", 3.5),
        ("3,5", 3.5),
        (" 3,5 ", 3.5),
        ("-2,25", -2.25),
        ("- 2.25", -2.25),
        ("\u22122,5", -2.5),
        ("+4", 4.0),
        (",5", 0.5),
        ("5.", 5.0),
        ("1 234,5", 1234.5),
        ("1\u00a0234,5", 1234.5),
        ("1.5e3", 1500.0),
        ("2,5E-1", 0.25),
        ("0", 0.0),
    ],
)
def test_parse_number_reads_decimal_point_comma_spaces_and_sign(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "abc", "3,5,1", "1.234,5", "1,2.3", "--1", "3 m", "nan", "inf", "1e999", "٣", ".", "e5", "0x10"]
)
def test_parse_number_rejects_garbage(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("value", "tolerance", "typed", "matches"),
    [
        (10.0, 0.5, "10", True),
        (10.0, 0.5, "10,5", True),  # exactly at the boundary
        (10.0, 0.5, "9.5", True),
        (10.0, 0.5, "10.5000001", False),  # just outside
        (10.0, 0.5, "9.4999999", False),
        (10.0, 0.0, "10.0", True),
        (10.0, 0.0, "10.0000001", False),
        (0.2, 0.1, "0.3", True),  # 0.3 - 0.2 is a hair above 0.1 in floating point
        (0.2, 0.1, "0.1", True),
        (0.2, 0.1, "0.30001", False),
        (-273.15, 0.01, "-273,16", True),
        (-273.15, 0.01, "-273.17", False),
        (-273.15, 0.01, "273.15", False),
        (0.0, 0.0, "-0", True),
        (1e-12, 0.0, "2e-12", False),
    ],
)
def test_numerical_value_plus_minus_tolerance(value: float, tolerance: float, typed: str, matches: bool) -> None:
    question = _numerical(NumericalAnswer(value=value, tolerance=tolerance, feedback="in range"))
    result = grade(question, typed)
    assert (result.state, result.feedback) == (("correct", ("in range",)) if matches else ("incorrect", ()))


@pytest.mark.parametrize(
    ("low", "high", "typed", "matches"),
    [
        (1, 5, "1", True),
        (1, 5, "5", True),
        (1, 5, "3,3", True),
        (1, 5, "0.99", False),
        (1, 5, "5.01", False),
        (1.1, 1.3, "1,1", True),
        (1.1, 1.3, "1.3", True),
        (1.1, 1.3, "1.0999", False),
        (1.1, 1.3, "1.3001", False),
        (-2.5, -0.5, "-2,5", True),
        (-2.5, -0.5, "-0.5", True),
        (-2.5, -0.5, "0", False),
    ],
)
def test_numerical_range_built_as_value_plus_minus_tolerance(
    low: float, high: float, typed: str, matches: bool
) -> None:
    # The way a GIFT range {#low..high} is stored.
    question = _numerical(NumericalAnswer(value=(low + high) / 2, tolerance=(high - low) / 2))
    assert grade(question, typed).state == ("correct" if matches else "incorrect")


def test_numerical_first_matching_answer_in_author_order_wins() -> None:
    question = _numerical(
        NumericalAnswer(value=3.14, tolerance=0.005, fraction=1.0, feedback="precise"),
        NumericalAnswer(value=3.0, tolerance=0.2, fraction=0.5, feedback="roughly"),
        NumericalAnswer(value=None, fraction=0.0, feedback="Think of a circle."),
    )
    assert grade(question, "3,14") == Grade(fraction=1.0, feedback=("precise",), state="correct")
    assert grade(question, "3.1") == Grade(fraction=0.5, feedback=("roughly",), state="partial")
    assert grade(question, "42") == Grade(fraction=0.0, feedback=("Think of a circle.",), state="incorrect")


def test_numerical_any_other_answer_is_a_fallback_wherever_it_is_placed() -> None:
    question = _numerical(
        NumericalAnswer(value=None, fraction=0.0, feedback="any other"),
        NumericalAnswer(value=7.0, feedback="seven"),
    )
    assert grade(question, "7").feedback == ("seven",)
    assert grade(question, "8").feedback == ("any other",)


@pytest.mark.parametrize("typed", ["seven", "7 apples", "1.234,5", "NaN"])
def test_numerical_garbage_is_wrong_without_any_other_feedback(typed: str) -> None:
    question = _numerical(NumericalAnswer(value=7.0), NumericalAnswer(value=None, feedback="any other"))
    assert grade(question, typed) == Grade(fraction=0.0, feedback=(), state="incorrect")


@pytest.mark.parametrize("typed", [None, "", "  "])
def test_numerical_blank_is_unanswered(typed: str | None) -> None:
    question = _numerical(NumericalAnswer(value=7.0), NumericalAnswer(value=None, feedback="any other"))
    assert grade(question, typed) == Grade(fraction=0.0, feedback=(), state="unanswered")


def test_numerical_negative_fraction_is_clamped() -> None:
    question = _numerical(NumericalAnswer(value=7.0), NumericalAnswer(value=-7.0, fraction=-1.0, feedback="sign"))
    assert grade(question, "-7") == Grade(fraction=0.0, feedback=("sign",), state="incorrect")


# --- matching ----------------------------------------------------------------------------------------------------


def test_matching_choices_are_distinct_and_include_distractors() -> None:
    assert matching_choices(_matching()) == ("Lithuania", "Norway", "Latvia")


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        ({0: "Lithuania", 1: "Norway", 2: "Lithuania", 4: "Norway"}, 1.0, "correct"),
        ({0: "Lithuania", 1: "Norway", 2: "Lithuania", 4: "Latvia"}, 0.75, "partial"),
        ({0: "Lithuania", 1: "Norway"}, 0.5, "partial"),  # unanswered prompts count as wrong
        ({0: "Lithuania", 1: None, 2: ""}, 0.25, "partial"),
        ({0: "Latvia", 1: "Latvia", 2: "Norway", 4: "Lithuania"}, 0.0, "incorrect"),
        ({3: "Latvia"}, 0.0, "unanswered"),  # a distractor is not a prompt
        ({0: "Lithuania", 3: "Latvia", 9: "Norway"}, 0.25, "partial"),
        ({}, 0.0, "unanswered"),
        (None, 0.0, "unanswered"),
    ],
)
def test_matching_gives_credit_per_correct_prompt(
    response: dict[int, str | None] | None, fraction: float, state: str
) -> None:
    assert grade(_matching(), response) == Grade(fraction=fraction, feedback=(), state=state)


def test_matching_thirds_round_to_seven_decimals() -> None:
    question = Matching(
        pairs=(MatchPair(prompt="a", answer="1"), MatchPair(prompt="b", answer="2"), MatchPair(prompt="c", answer="3"))
    )
    assert grade(question, {0: "1"}).fraction == 0.3333333
    assert grade(question, {0: "1", 1: "2"}).fraction == 0.6666667


def test_matching_rejects_answer_indexes_instead_of_texts() -> None:
    with pytest.raises(TypeError):
        grade(_matching(), {0: 0})


def test_matching_without_prompts_is_a_content_error() -> None:
    question = Matching(pairs=(MatchPair(prompt="", answer="x"), MatchPair(prompt=" ", answer="y")))
    with pytest.raises(ValueError):
        grade(question, {})


# --- essay and description ---------------------------------------------------------------------------------------


def test_essay_needs_manual_grading() -> None:
    assert grade(Essay(), "Mano esė apie Vilnių.") == Grade(fraction=None, feedback=(), state="needs_grading")


@pytest.mark.parametrize("response", [None, "", " \n "])
def test_blank_essay_is_unanswered(response: str | None) -> None:
    assert grade(Essay(), response) == Grade(fraction=0.0, feedback=(), state="unanswered")


@pytest.mark.parametrize("response", [None, "anything", 3])
def test_description_is_not_graded(response: object) -> None:
    assert grade(Description(text="Read this first."), response) == Grade(
        fraction=None, feedback=(), state="not_graded"
    )


# --- responses of the wrong shape ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "response"),
    [
        (_single_choice(), "0"),
        (_multiple_choice(1.0, 0.0), 0),
        (_multiple_choice(1.0, 0.0), frozenset({"0"})),
        (TrueFalse(correct=True), "true"),
        (_short_answer("x"), 5),
        (_numerical(NumericalAnswer(value=1.0)), 1.0),
        (_matching(), ["Lithuania"]),
        (Essay(), 5),
    ],
)
def test_response_of_the_wrong_type_is_a_caller_error(question: object, response: object) -> None:
    with pytest.raises(TypeError):
        grade(question, response)  # type: ignore[arg-type]


# --- marks -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "default_mark", "expected"),
    [
        (1.0, 1.0, 1.0),
        (0.5, 10.0, 5.0),
        (0.3333333, 1.0, 0.3333333),
        (0.3333333, 10.0, 3.333333),
        (0.6666667, 3.0, 2.0000001),
        (0.1, 3.0, 0.3),  # 0.30000000000000004 before rounding
        (0.0, 5.0, 0.0),
        (0.5, 0.0, 0.0),
    ],
)
def test_mark_is_fraction_times_mark_rounded_to_seven_decimals(
    fraction: float, default_mark: float, expected: float
) -> None:
    assert mark(Grade(fraction=fraction, feedback=(), state="partial"), default_mark) == expected


@pytest.mark.parametrize("state", ["needs_grading", "not_graded"])
def test_mark_is_none_without_a_fraction(state: str) -> None:
    assert mark(Grade(fraction=None, feedback=(), state=state), 5.0) is None  # type: ignore[arg-type]


def test_mark_of_a_graded_third() -> None:
    question = _multiple_choice(1 / 3, 1 / 3, 1 / 3)
    assert mark(grade(question, frozenset({0})), 1.0) == 0.3333333


# --- grading methods across attempts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grades", "method", "expected"),
    [
        ([4.0, 9.0, 6.0], "highest", 9.0),
        ([4.0, 9.0, 6.0], "average", 6.3333333),
        ([4.0, 9.0, 6.0], "first", 4.0),
        ([4.0, 9.0, 6.0], "last", 6.0),
        ([None, 5.0, None, 7.0], "highest", 7.0),
        ([None, 5.0, None, 7.0], "average", 6.0),
        ([None, 5.0, None, 7.0], "first", 5.0),
        ([None, 5.0, 7.0, None], "last", 7.0),
        ([0.0, None], "average", 0.0),
        ([0.1, 0.2], "average", 0.15),
        ([0.0, 0.0], "highest", 0.0),
    ],
)
def test_overall_grade_methods_skip_ungraded_attempts(grades: list[float | None], method: str, expected: float) -> None:
    assert overall_grade(grades, method) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["highest", "average", "first", "last"])
@pytest.mark.parametrize("grades", [[], [None], [None, None]])
def test_overall_grade_is_none_without_any_graded_attempt(grades: list[float | None], method: str) -> None:
    assert overall_grade(grades, method) is None  # type: ignore[arg-type]


def test_overall_grade_rejects_an_unknown_method() -> None:
    with pytest.raises(ValueError):
        overall_grade([1.0], "median")  # type: ignore[arg-type]


# --- purity ------------------------------------------------------------------------------------------------------


def test_grading_is_deterministic_and_leaves_the_response_alone() -> None:
    response = {0: "Lithuania", 1: "Latvia"}
    first = grade(_matching(), response)
    assert grade(_matching(), response) == first
    assert response == {0: "Lithuania", 1: "Latvia"}
