"""Tests for the GIFT reader and writer: every construct, real files written by others, our corpus and content."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.quizzes.gift import read_gift, write_gift
from app.quizzes.interchange import (
    Answer,
    Description,
    Essay,
    ImportIssue,
    ImportReport,
    Matching,
    MatchPair,
    MultipleChoice,
    Numerical,
    NumericalAnswer,
    ParseError,
    Question,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)

QUIZ_FORMATS = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "quiz-formats"
CORPUS = Path(__file__).resolve().parent / "gift_corpus" / "varied.gift"
CONTENT = Path(__file__).resolve().parents[2] / "content"
CONTENT_QUIZZES = sorted(CONTENT.glob("*/*/quiz.*.gift"))
SHARED_GIFT_FILES = (
    "moodle-gift-examples.txt",
    "moodle-fixture-questions.gift.txt",
    "fuhrmanator-numerical1.gift",
    "fuhrmanator-mcHTMLComment.gift",
)

needs_shared_files = pytest.mark.skipif(
    not QUIZ_FORMATS.is_dir(), reason=f"the shared quiz-format test files are not at {QUIZ_FORMATS}"
)


def shared_file(name: str) -> ImportReport:
    return read_gift((QUIZ_FORMATS / name).read_text(encoding="utf-8"))


def only_question(text: str) -> Question:
    """The single question a snippet holds; it must import without being skipped."""
    report = read_gift(text)
    assert [issue for issue in report.issues if issue.skipped] == []
    assert len(report.questions) == 1
    return report.questions[0]


def skipped(text: str) -> ImportIssue:
    """The single issue of a snippet whose only question must be skipped."""
    report = read_gift(text)
    assert report.questions == ()
    assert len(report.issues) == 1 and report.issues[0].skipped
    return report.issues[0]


def warnings_of(report: ImportReport) -> list[ImportIssue]:
    return [issue for issue in report.issues if not issue.skipped]


def round_trip(questions: tuple[Question, ...]) -> tuple[Question, ...]:
    return read_gift(write_gift(questions)).questions


# ---------------------------------------------------------------------------------------------------
# File level
# ---------------------------------------------------------------------------------------------------


def test_empty_input_gives_an_empty_report() -> None:
    assert read_gift("") == ImportReport()
    assert read_gift("\n\n   \n") == ImportReport()


def test_comment_only_file_gives_no_questions_and_no_issues() -> None:
    assert read_gift("// just a comment\n\n// another one\n") == ImportReport()


def test_nul_characters_mean_the_file_is_not_text() -> None:
    with pytest.raises(ParseError, match="not a GIFT text file"):
        read_gift("::Q:: A? {T}\x00\x00")


def test_byte_order_mark_and_windows_line_endings_are_handled() -> None:
    text = "\ufeff// first\r\n::Q1:: One? {T}\r\n\r\n::Q2:: Two\r\nlines? {\r\n=a\r\n~b\r\n}\r\n"
    report = read_gift(text)
    assert [question.title for question in report.questions] == ["Q1", "Q2"]
    assert report.lines == (2, 4)
    assert report.questions[1].text == "Two\nlines?"
    assert "\r" not in write_gift(report.questions)


def test_old_mac_line_endings_are_handled() -> None:
    report = read_gift("::Q1:: One? {T}\r\r::Q2:: Two? {F}\r")
    assert [question.title for question in report.questions] == ["Q1", "Q2"]
    assert report.lines == (1, 3)


def test_blank_lines_separate_questions_and_lines_point_at_each_block() -> None:
    text = "// header\n\n::A:: a? {T}\n\n\n\n::B::\nb? {F}\n// trailing comment\n\n::C:: c? {T}"
    report = read_gift(text)
    assert report.lines == (3, 7, 11)


def test_comment_lines_inside_a_question_are_dropped() -> None:
    question = only_question("::Q:: Pick one {\n// not an answer ~ = #\n=yes\n  // indented comment\n~no\n}")
    assert isinstance(question, SingleChoice)
    assert [answer.text for answer in question.answers] == ["yes", "no"]


def test_double_slash_inside_a_line_is_not_a_comment() -> None:
    question = only_question("::Q:: Open https\\://example.org // now {T}")
    assert question.text == "Open https://example.org // now"


def test_id_and_tag_markers_are_read_from_comment_lines() -> None:
    text = "// question: 12  name: Q\n// [id:ABC-1] [tag:unit 1] [tag:warm-up] [tag:unit 1]\n::Q:: A? {T}"
    question = only_question(text)
    assert question.idnumber == "ABC-1"
    assert question.tags == ("unit 1", "warm-up")


def test_escaped_bracket_in_a_tag_is_unescaped() -> None:
    question = only_question("// [tag:a\\]b] [id:x\\\\y]\n::Q:: A? {T}")
    assert question.tags == ("a]b",)
    assert question.idnumber == "x\\y"


def test_metadata_comment_separated_by_a_blank_line_belongs_to_no_question() -> None:
    question = only_question("// [id:LOST] [tag:lost]\n\n::Q:: A? {T}")
    assert question.idnumber is None
    assert question.tags == ()


# ---------------------------------------------------------------------------------------------------
# Categories and titles
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("$course$/top/Unit 1/Warm-up", ("Unit 1", "Warm-up")),
        ("$course$/top", ()),
        ("$system$/top/Shared", ("Shared",)),
        ("$cat1$/Faculty bank", ("Faculty bank",)),
        ("$module$/top/Quiz 3", ("Quiz 3",)),
        ("top/Only top dropped", ("Only top dropped",)),
        ("tom/dick/harry", ("tom", "dick", "harry")),
        ("$course$/top/Default for Unit 1: Topic", ("Default for Unit 1: Topic",)),
        ("$course$/top/Either//or/Next", ("Either/or", "Next")),
        (" $course$ / top / Spaced /", ("Spaced",)),
    ],
)
def test_category_path_is_relative_to_the_course_top(path: str, category: tuple[str, ...]) -> None:
    question = only_question(f"$CATEGORY: {path}\n\n::Q:: A? {{T}}")
    assert question.category == category


def test_category_applies_until_the_next_category_block() -> None:
    text = "::A:: a? {T}\n\n$CATEGORY: $course$/top/One\n\n::B:: b? {T}\n\n::C:: c? {T}\n\n"
    text += "$CATEGORY: $course$/top/Two/Deeper\n\n::D:: d? {T}"
    report = read_gift(text)
    assert [question.category for question in report.questions] == [(), ("One",), ("One",), ("Two", "Deeper")]
    assert report.lines == (1, 5, 7, 11)


def test_question_written_directly_under_a_category_line_is_imported() -> None:
    report = read_gift("$CATEGORY: $course$/top/Unit\n::Q:: A? {T}")
    assert [question.category for question in report.questions] == [("Unit",)]
    assert report.lines == (2,)


def test_title_may_hold_an_escaped_colon() -> None:
    question = only_question("::Unit 1\\: warm-up::What? {T}")
    assert question.title == "Unit 1: warm-up"
    assert question.text == "What?"


def test_title_without_text_before_the_answer_block() -> None:
    question = only_question("::Grant::{=yes ~no}")
    assert question.title == "Grant"
    assert question.text == ""


def test_repeated_titles_are_separate_questions() -> None:
    report = read_gift("::Same:: one {T}\n\n::Same:: two {F}")
    assert [question.text for question in report.questions] == ["one", "two"]


def test_unclosed_title_skips_the_question() -> None:
    issue = skipped("::Broken title Who? {T}")
    assert "title" in issue.message and issue.line == 1


def test_question_without_title_has_an_empty_title_and_issues_name_it_by_its_text() -> None:
    report = read_gift("Who is buried in the tomb? {~only}")
    assert report.issues[0].title == "Who is buried in the tomb?"


# ---------------------------------------------------------------------------------------------------
# Text formats and escapes
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text_format", ["html", "moodle", "plain", "markdown"])
def test_format_prefix_sets_the_text_format(text_format: str) -> None:
    question = only_question(f"::Q::[{text_format}]Some *text*? {{T}}")
    assert question.text_format == text_format
    assert question.text == "Some *text*?"


def test_text_without_prefix_is_moodle_auto_format() -> None:
    assert only_question("::Q:: Text? {T}").text_format == "moodle"


def test_unknown_prefix_stays_in_the_text() -> None:
    question = only_question("::Q::[xyz]Text? {T}")
    assert question.text == "[xyz]Text?"
    assert question.text_format == "moodle"


def test_answer_prefix_is_removed_and_a_different_format_is_reported() -> None:
    report = read_gift("::Q::[html]<p>Pick</p>{\n=[html]<b>a</b>#[moodle]fine\n~[plain]b\n}")
    question = report.questions[0]
    assert isinstance(question, SingleChoice)
    assert question.answers == (Answer(text="<b>a</b>", fraction=1.0, feedback="fine"), Answer(text="b", fraction=0.0))
    (warning,) = warnings_of(report)
    assert "[moodle], [plain]" in warning.message and warning.line == 1


def test_answer_prefix_matching_the_question_gives_no_warning() -> None:
    report = read_gift("::Q::[html]<p>Pick</p>{=[html]<b>a</b> ~[html]<i>b</i>}")
    assert report.issues == ()


def test_escaped_control_characters_are_literal_in_text_answers_and_feedback() -> None:
    question = only_question(
        "::Esc\\:ape:: a \\~ b \\= c \\# d \\{ e \\} f \\: g \\\\ h? {=x \\= y#fb \\# \\~ \\{\\} ~\\~z\\:#\\\\}"
    )
    assert question.title == "Esc:ape"
    assert question.text == "a ~ b = c # d { e } f : g \\ h?"
    assert isinstance(question, SingleChoice)
    assert question.answers == (
        Answer(text="x = y", fraction=1.0, feedback="fb # ~ {}"),
        Answer(text="~z:", fraction=0.0, feedback="\\"),
    )


def test_html_attributes_with_escaped_equals_and_colons_survive() -> None:
    text = (
        '::Q::[html]<p style\\="color\\: red"><a href\\="http\\://x.org/?a\\=1">link</a></p>{T#<b style\\="x">no</b>}'
    )
    question = only_question(text)
    assert isinstance(question, TrueFalse)
    assert question.text == '<p style="color: red"><a href="http://x.org/?a=1">link</a></p>'
    assert question.feedback_false == '<b style="x">no</b>'


def test_backslash_n_is_a_line_break_but_an_escaped_backslash_before_n_is_not() -> None:
    question = only_question("::Q:: one\\ntwo C\\:\\\\new {T}")
    assert question.text == "one\ntwo C:\\new"


def test_other_backslashes_are_kept_as_they_are() -> None:
    assert only_question("::Q:: a \\t b \\/ c {T}").text == "a \\t b \\/ c"


def test_multi_line_question_keeps_its_line_breaks() -> None:
    question = only_question("::Kanji::Japanese characters originally\ncame from what country? {=China}")
    assert question.text == "Japanese characters originally\ncame from what country?"


# ---------------------------------------------------------------------------------------------------
# Choice questions and weights
# ---------------------------------------------------------------------------------------------------


def test_one_equals_sign_makes_a_single_choice_question() -> None:
    question = only_question("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")
    assert question == SingleChoice(
        text="Who's buried in Grant's tomb?",
        answers=(
            Answer(text="Grant", fraction=0.0),
            Answer(text="Jefferson", fraction=0.0),
            Answer(text="no one", fraction=1.0),
        ),
    )


def test_weighted_wrong_answers_keep_their_partial_credit() -> None:
    question = only_question("Difficult.{~wrong ~%50%half =full ~%-25%bad}")
    assert isinstance(question, SingleChoice)
    assert [answer.fraction for answer in question.answers] == [0.0, 0.5, 1.0, -0.25]


def test_weighted_equals_answer_takes_its_weight() -> None:
    report = read_gift("Q?{=%50%half ~none}")
    question = report.questions[0]
    assert isinstance(question, SingleChoice)
    assert [answer.fraction for answer in question.answers] == [0.5, 0.0]
    assert "full marks" in warnings_of(report)[0].message


def test_no_equals_sign_makes_a_multiple_response_question() -> None:
    question = only_question("Which two? {~%50%Grant ~%50%Grant's wife ~%-100%No one}")
    assert isinstance(question, MultipleChoice)
    assert [(answer.text, answer.fraction) for answer in question.answers] == [
        ("Grant", 0.5),
        ("Grant's wife", 0.5),
        ("No one", -1.0),
    ]


def test_multiple_response_weights_not_adding_up_to_100_are_reported() -> None:
    report = read_gift("Which? {~%50%a ~%25%b ~%-100%c}")
    assert isinstance(report.questions[0], MultipleChoice)
    assert "add up to 75%" in warnings_of(report)[0].message


@pytest.mark.parametrize(
    ("weight", "fraction"),
    [
        ("%100%", 1.0),
        ("%50%", 0.5),
        ("%-100%", -1.0),
        ("%-50%", -0.5),
        ("%33.33333%", 0.3333333),
        ("%-33.33333%", -0.3333333),
        ("%14.28571%", 0.1428571),
        ("%83.33333%", 0.8333333),
        ("%5%", 0.05),
        ("%0%", 0.0),
    ],
)
def test_moodle_weights_are_read_as_fractions_without_warnings(weight: str, fraction: float) -> None:
    report = read_gift(f"Q? {{~{weight}a ~%100%b ~c}}")
    question = report.questions[0]
    assert isinstance(question, MultipleChoice)
    assert question.answers[0].fraction == fraction  # read as a decimal, so no float noise
    assert [issue for issue in report.issues if "grade values" in issue.message] == []


def test_weight_moodle_does_not_offer_is_kept_with_a_warning_naming_it() -> None:
    report = read_gift("\n\n::Odd:: Q? {~%35%a ~%65%b}")
    question = report.questions[0]
    assert isinstance(question, MultipleChoice)
    assert [answer.fraction for answer in question.answers] == [0.35, 0.65]
    assert [(issue.line, issue.title, issue.skipped) for issue in report.issues] == [(3, "Odd", False)] * 2
    assert "%35%" in report.issues[0].message and "%65%" in report.issues[1].message


def test_weight_beyond_100_percent_skips_the_question() -> None:
    issue = skipped("::Too much:: Q? {~%150%a ~b}")
    assert "%150%" in issue.message and issue.title == "Too much"


def test_percent_sign_that_is_not_a_weight_stays_in_the_answer() -> None:
    question = only_question("Q? {=50% of it ~%none}")
    assert isinstance(question, SingleChoice)
    assert [answer.text for answer in question.answers] == ["50% of it", "%none"]


def test_answer_feedback_runs_to_the_next_answer_even_over_lines() -> None:
    question = only_question("Q? {\n=right#Yes, and\n  more.\n~wrong # No. \n}")
    assert isinstance(question, SingleChoice)
    assert [answer.feedback for answer in question.answers] == ["Yes, and\n  more.", "No."]


def test_text_before_the_first_answer_marker_becomes_a_wrong_answer_with_a_warning() -> None:
    report = read_gift("Q? {stray =right ~wrong}")
    question = report.questions[0]
    assert isinstance(question, SingleChoice)
    assert [(answer.text, answer.fraction) for answer in question.answers][0] == ("stray", 0.0)
    assert "stray" in warnings_of(report)[0].message


def test_empty_answer_is_left_out_with_a_warning() -> None:
    report = read_gift("Q? {=a ~ ~b}")
    question = report.questions[0]
    assert isinstance(question, SingleChoice)
    assert [answer.text for answer in question.answers] == ["a", "b"]
    assert "empty answer" in warnings_of(report)[0].message


# ---------------------------------------------------------------------------------------------------
# Missing word, trailing text and general feedback
# ---------------------------------------------------------------------------------------------------


def test_answer_block_inside_a_sentence_becomes_a_blank() -> None:
    question = only_question("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question.text == "Grant is _____ in Grant's tomb."


def test_multi_line_missing_word_block() -> None:
    question = only_question("The holiday is on the {\n    ~second\n    =fourth\n} Thursday of November.")
    assert question.text == "The holiday is on the _____ Thursday of November."


def test_trailing_text_after_the_block_is_kept_behind_the_blank() -> None:
    question = only_question('::Q5:: What is a number from 1 to 5? {#3:2~#Completely wrong}";')
    assert question.text == 'What is a number from 1 to 5? _____";'


def test_block_at_the_end_is_simply_removed() -> None:
    assert only_question("Question text? {T}   ").text == "Question text?"


def test_general_feedback_follows_four_hashes() -> None:
    question = only_question("Q? {=a#fa ~b#fb ####[moodle]General words.}")
    assert question.general_feedback == "General words."
    assert isinstance(question, SingleChoice)
    assert question.answers[1].feedback == "fb"


# ---------------------------------------------------------------------------------------------------
# True/false, short answer, matching
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mark", "correct"), [("T", True), ("TRUE", True), ("F", False), ("FALSE", False)])
@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_true_false_spellings(mark: str, correct: bool, case: Callable[[str], str]) -> None:
    question = only_question(f"Statement. {{{case(mark)}}}")
    assert question == TrueFalse(text="Statement.", correct=correct)


def test_true_question_feedback_for_a_wrong_response_goes_to_the_false_answer() -> None:
    question = only_question("Vilnius is in Lithuania. {TRUE#Shown if wrong.#Shown if right.####General.}")
    assert question == TrueFalse(
        text="Vilnius is in Lithuania.",
        correct=True,
        feedback_false="Shown if wrong.",
        feedback_true="Shown if right.",
        general_feedback="General.",
    )


def test_false_question_feedback_for_a_wrong_response_goes_to_the_true_answer() -> None:
    question = only_question("Riga is in Estonia. {F#Shown if wrong.#Shown if right.}")
    assert isinstance(question, TrueFalse)
    assert (question.correct, question.feedback_true, question.feedback_false) == (
        False,
        "Shown if wrong.",
        "Shown if right.",
    )


def test_true_false_with_only_the_wrong_response_feedback() -> None:
    question = only_question("Grant is buried in Grant's tomb.{FALSE#No one is buried in Grant's tomb.}")
    assert isinstance(question, TrueFalse)
    assert question.feedback_true == "No one is buried in Grant's tomb."
    assert question.feedback_false == ""


def test_short_answer_accepts_every_equals_answer_at_full_marks() -> None:
    question = only_question("Two plus two equals {=four =4}.")
    assert question == ShortAnswer(
        text="Two plus two equals _____.",
        answers=(Answer(text="four", fraction=1.0), Answer(text="4", fraction=1.0)),
    )


def test_short_answer_weights_wildcard_and_feedback() -> None:
    question = only_question("Best animal?{\n=Frog#Good!\n=%50%Cat#Cats.\n=%0%*#Completely wrong\n}")
    assert isinstance(question, ShortAnswer)
    assert question.answers == (
        Answer(text="Frog", fraction=1.0, feedback="Good!"),
        Answer(text="Cat", fraction=0.5, feedback="Cats."),
        Answer(text="*", fraction=0.0, feedback="Completely wrong"),
    )


def test_short_answer_without_an_equals_sign_is_still_an_answer() -> None:
    question = only_question("Type cat. {cat}")
    assert isinstance(question, ShortAnswer)
    assert question.answers == (Answer(text="cat", fraction=1.0),)


def test_short_answer_with_only_an_empty_answer_is_skipped() -> None:
    issue = skipped("::Empty:: Type it. {=}")
    assert "at least 1 accepted answer" in issue.message


def test_matching_pairs_with_distractor_and_general_feedback() -> None:
    question = only_question("Match. {\n=Canada -> Ottawa\n=Italy  -> Rome\n= -> Chat\n####Capitals.\n}")
    assert question == Matching(
        text="Match.",
        general_feedback="Capitals.",
        pairs=(
            MatchPair(prompt="Canada", answer="Ottawa"),
            MatchPair(prompt="Italy", answer="Rome"),
            MatchPair(prompt="", answer="Chat"),
        ),
    )


def test_matching_answer_keeps_a_later_arrow() -> None:
    question = only_question("Match. {=a -> b -> c =d -> e}")
    assert isinstance(question, Matching)
    assert question.pairs[0] == MatchPair(prompt="a", answer="b -> c")


def test_matching_with_fewer_than_two_real_pairs_is_skipped() -> None:
    issue = skipped("::M:: Match. {=a -> b = -> c}")
    assert "at least 2 pairs" in issue.message and "has 1" in issue.message


def test_matching_pair_without_an_arrow_is_skipped() -> None:
    issue = skipped("::M:: Match. {=a -> b =c d}")
    assert "'c d'" in issue.message and "->" in issue.message


# ---------------------------------------------------------------------------------------------------
# Numerical
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "value", "tolerance"),
    [
        ("#1822", 1822.0, 0.0),
        ("#1822:1", 1822.0, 1.0),
        ("#5:1", 5.0, 1.0),
        ("#3.1415:0.0005", 3.1415, 0.0005),
        ("#1..5", 3.0, 2.0),
        ("#-5..5", 0.0, 5.0),
        ("#-3.142..-3.141", -3.1415, 0.0005),
        ("#-1", -1.0, 0.0),
        ("#-3.142:0.001", -3.142, 0.001),
        ("# 1.5e3 ", 1500.0, 0.0),
        ("#+.5", 0.5, 0.0),
    ],
)
def test_numerical_values_tolerances_and_ranges(block: str, value: float, tolerance: float) -> None:
    question = only_question(f"Number? {{{block}}}")
    assert isinstance(question, Numerical)
    (answer,) = question.answers
    assert answer.value == pytest.approx(value)
    assert answer.tolerance == pytest.approx(tolerance)
    assert answer.fraction == 1.0


def test_numerical_with_several_graded_answers_and_other_answer_feedback() -> None:
    question = only_question("Born? {#\n  =1822:0 #Correct!\n  =%50%1822:2 #Close.\n  ~#Completely wrong\n####Gen.}")
    assert question == Numerical(
        text="Born?",
        general_feedback="Gen.",
        answers=(
            NumericalAnswer(value=1822, tolerance=0, fraction=1.0, feedback="Correct!"),
            NumericalAnswer(value=1822, tolerance=2, fraction=0.5, feedback="Close."),
            NumericalAnswer(value=None, fraction=0.0, feedback="Completely wrong"),
        ),
    )


def test_numerical_single_answer_with_feedback() -> None:
    question = only_question("How many? {#4:0#Four levels.####Each has its place.}")
    assert question == Numerical(
        text="How many?",
        general_feedback="Each has its place.",
        answers=(NumericalAnswer(value=4, feedback="Four levels."),),
    )


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("#abc", "'abc' in a numerical answer is not a number"),
        ("#3,5", "use a decimal point"),
        ("#5..1", "lower end above its upper end"),
        ("#5:-1", "tolerance in 5:-1 is negative"),
        ("#5:x", "'x' in a numerical answer is not a number"),
        ("#", "at least one number"),
        ("#~#only other feedback", "at least one number"),
        ("#5 ~text#fb", "after '~'"),
        ("#5\\:1", "'5:1' in a numerical answer is not a number"),
    ],
)
def test_numerical_problems_skip_the_question_with_a_reason(block: str, message: str) -> None:
    issue = skipped(f"::N:: Number? {{{block}}}")
    assert message in issue.message
    assert issue.title == "N"


# ---------------------------------------------------------------------------------------------------
# Essay, description, images
# ---------------------------------------------------------------------------------------------------


def test_empty_block_makes_an_essay() -> None:
    assert only_question("::Q8:: How are you? {}") == Essay(title="Q8", text="How are you?")


def test_essay_with_only_general_feedback() -> None:
    assert only_question("Describe. {####Think first.}") == Essay(text="Describe.", general_feedback="Think first.")


def test_text_without_braces_makes_a_description_worth_no_marks() -> None:
    question = only_question("::Intro::[html]<p>Read this first\\: it matters.</p>")
    assert question == Description(title="Intro", text="<p>Read this first: it matters.</p>", text_format="html")
    assert question.default_mark == 0.0


def test_title_alone_is_skipped() -> None:
    assert "no text" in skipped("::Only a title::").message


def test_plugin_file_reference_is_kept_with_a_warning() -> None:
    report = read_gift('::Img::[html]<p>See</p>{T####<img src\\="@@PLUGINFILE@@/3.png">}')
    question = report.questions[0]
    assert question.general_feedback == '<img src="@@PLUGINFILE@@/3.png">'
    (warning,) = report.issues
    assert not warning.skipped and "@@PLUGINFILE@@" in warning.message and warning.title == "Img"


# ---------------------------------------------------------------------------------------------------
# Malformed input: the question is skipped with its line, the rest imports
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("::Bad:: Unclosed {=a ~b", "no closing '}'"),
        ("::Bad:: Unopened =a ~b}", "without an opening '{'"),
        ("::Bad:: Backwards } text {=a ~b", "without an opening '{'"),
        ("::Bad:: Nested {=a {~b}", "second '{'"),
        ("::Bad:: Extra {=a ~b}}", "extra '}'"),
        ("::Bad:: Cloze {1:MULTICHOICE:=a~b}", "Cloze"),
        ("::Bad:: Cloze {1:SA:=yes} and {1:NM:=4}", "Cloze"),
        ("::Bad:: Order these {>3 ALL =a =b =c}", "ordering"),
        ("::Bad:: Empty choice {~}", "at least 2 answers, but this one has 0"),
        ("::Bad:: Empty choices {~ ~ }", "at least 2 answers, but this one has 0"),
        ("::Bad:: One choice {~only}", "at least 2 answers, but this one has 1"),
        ("::Bad:: Matching {=a -> b}", "at least 2 pairs"),
        ("::Bad:: Number {#12 apples}", "not a number"),
    ],
)
def test_broken_question_is_skipped_with_its_line_and_the_rest_imports(broken: str, message: str) -> None:
    text = f"::Before:: A? {{T}}\n\n// comment above\n{broken}\n\n::After:: B? {{=x ~y}}\n"
    report = read_gift(text)
    assert [question.title for question in report.questions] == ["Before", "After"]
    assert report.lines == (1, 6)
    (issue,) = report.issues
    assert issue.skipped and issue.line == 4 and issue.title == "Bad"
    assert message in issue.message


def test_file_with_several_broken_questions_reports_each_one() -> None:
    text = "\n".join(
        [
            "::Good 1:: A? {T}",  # 1
            "",
            "::Cloze::",  # 3
            "Pick {1:MULTICHOICE:=a~b}",
            "",
            "::No answers:: Pick {",  # 6
            "}",
            "",
            "::Unbalanced:: Pick {",  # 9
            "=a",
            "~b",
            "",
            "::Empty list:: Pick {~}",  # 13
            "",
            "::Good 2:: Essay? {}",  # 15
        ]
    )
    report = read_gift(text)
    assert [question.title for question in report.questions] == ["Good 1", "No answers", "Good 2"]
    assert report.lines == (1, 6, 15)
    assert [(issue.line, issue.title) for issue in report.issues] == [
        (3, "Cloze"),
        (9, "Unbalanced"),
        (13, "Empty list"),
    ]
    assert all(issue.skipped and issue.message for issue in report.issues)


# ---------------------------------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------------------------------


def test_writing_nothing_gives_an_empty_file() -> None:
    assert write_gift([]) == ""


def test_writer_escapes_control_characters_and_newlines() -> None:
    question = SingleChoice(
        title="A: b",
        text="x ~ = # { } : \\ y\nz",
        answers=(Answer(text="{a}", fraction=1.0, feedback="#1"), Answer(text="b=c", fraction=0.0)),
    )
    assert write_gift([question]) == (
        "::A\\: b::x \\~ \\= \\# \\{ \\} \\: \\\\ y\\nz {\n\t=\\{a\\}#\\#1\n\t~b\\=c\n}\n"
    )


def test_writer_adds_a_category_block_only_when_the_category_changes() -> None:
    questions = [
        TrueFalse(text="a", correct=True),
        TrueFalse(text="b", correct=True, category=("Unit 1", "A/B")),
        TrueFalse(text="c", correct=True, category=("Unit 1", "A/B")),
        TrueFalse(text="d", correct=True),
    ]
    assert write_gift(questions) == (
        "a {TRUE}\n\n$CATEGORY: $course$/top/Unit 1/A//B\n\nb {TRUE}\n\nc {TRUE}\n\n$CATEGORY: $course$/top\n\nd {TRUE}\n"
    )
    assert [question.category for question in round_trip(tuple(questions))] == [q.category for q in questions]


def test_writer_category_names_with_slashes_at_either_end_survive() -> None:
    questions = (Essay(text="a", category=("/lead", "trail/", "mid/dle", "/")),)
    assert round_trip(questions) == questions


def test_writer_prefixes_the_format_only_when_it_is_not_moodle() -> None:
    moodle = Essay(text="plain words")
    html = Essay(text="<p>hi</p>", text_format="html")
    assert write_gift([moodle, html]) == "plain words {}\n\n[html]<p>hi</p> {}\n"


@pytest.mark.parametrize(
    ("fraction", "weight"),
    [(0.5, "%50%"), (-1.0, "%-100%"), (0.3333333, "%33.33333%"), (0.1428571, "%14.28571%"), (0.05, "%5%")],
)
def test_writer_weights_are_percentages_with_trimmed_decimals(fraction: float, weight: str) -> None:
    question = MultipleChoice(text="Q", answers=(Answer(text="a", fraction=fraction), Answer(text="b", fraction=0.0)))
    assert f"~{weight}a" in write_gift([question])


def test_writer_keeps_weights_that_need_more_than_five_decimals() -> None:
    question = MultipleChoice(text="Q", answers=(Answer(text="a", fraction=1 / 3), Answer(text="b", fraction=0.0)))
    assert round_trip((question,)) == (question,)


def test_writer_true_false_puts_wrong_response_feedback_first() -> None:
    true_question = TrueFalse(text="T", correct=True, feedback_true="right", feedback_false="wrong")
    false_question = TrueFalse(text="F", correct=False, feedback_true="wrong", feedback_false="right")
    only_right = TrueFalse(text="R", correct=True, feedback_true="right", general_feedback="gen")
    assert write_gift([true_question, false_question, only_right]) == (
        "T {TRUE#wrong#right}\n\nF {FALSE#wrong#right}\n\nR {TRUE##right####gen}\n"
    )
    assert round_trip((true_question, false_question, only_right)) == (true_question, false_question, only_right)


def test_writer_numerical_answers_with_tolerances_weights_and_other_answer() -> None:
    single = Numerical(text="One", answers=(NumericalAnswer(value=3.5, tolerance=0.25, feedback="ok"),))
    several = Numerical(
        text="Many",
        general_feedback="gen",
        answers=(
            NumericalAnswer(value=-1822, tolerance=0),
            NumericalAnswer(value=1822, tolerance=2, fraction=0.5, feedback="close"),
            NumericalAnswer(value=None, fraction=0.0, feedback="no"),
        ),
    )
    assert write_gift([single, several]) == (
        "One {#3.5:0.25#ok}\n\nMany {#\n\t=-1822\n\t=%50%1822:2#close\n\t~#no\n\t####gen\n}\n"
    )
    assert round_trip((single, several)) == (single, several)


def test_writer_matching_pairs_and_distractor() -> None:
    question = Matching(
        text="Match",
        pairs=(MatchPair(prompt="a", answer="1"), MatchPair(prompt="b", answer="2"), MatchPair(prompt="", answer="3")),
    )
    assert write_gift([question]) == "Match {\n\t=a -> 1\n\t=b -> 2\n\t= -> 3\n}\n"


def test_writer_comment_carries_idnumber_and_tags() -> None:
    question = Essay(title="E", text="Write.", idnumber="ID]1", tags=("one", "two words"))
    written = write_gift([question])
    assert written == "// [id:ID\\]1] [tag:one] [tag:two words]\n::E::Write. {}\n"
    assert round_trip((question,)) == (question,)


def test_writer_puts_the_block_back_into_a_missing_word_sentence() -> None:
    question = SingleChoice(
        text="Grant is _____ in Grant's tomb.",
        answers=(Answer(text="buried", fraction=0.0), Answer(text="entombed", fraction=1.0)),
    )
    assert write_gift([question]) == "Grant is {\n\t~buried\n\t=entombed\n} in Grant's tomb.\n"
    assert round_trip((question,)) == (question,)


def test_writer_keeps_a_single_choice_question_single_without_a_full_mark_answer() -> None:
    question = SingleChoice(text="Q", answers=(Answer(text="a", fraction=0.5), Answer(text="b", fraction=0.5)))
    assert round_trip((question,)) == (question,)


def test_writer_keeps_a_single_choice_question_whose_answers_are_all_right() -> None:
    question = SingleChoice(text="Q", answers=(Answer(text="a", fraction=1.0), Answer(text="b", fraction=1.0)))
    assert round_trip((question,)) == (question,)


def test_writer_protects_texts_that_would_be_misread() -> None:
    questions = (
        Description(text="\ufeffstarts with a byte order mark"),
        Description(text="// not a comment"),
        Description(text="[html] is literal here"),
        Description(text="$CATEGORY: not a category"),
        Description(text="::not a title::"),
        SingleChoice(
            text="Q",
            answers=(Answer(text="%50% looks like a weight", fraction=1.0), Answer(text="[plain]x", fraction=0.0)),
        ),
        ShortAnswer(text="Q", answers=(Answer(text="%0%", fraction=1.0), Answer(text="T", fraction=1.0))),
        ShortAnswer(text="Q", answers=(Answer(text="TRUE", fraction=1.0),)),
    )
    assert round_trip(questions) == questions


def test_writer_refuses_what_gift_cannot_express() -> None:
    matching = Matching(text="M", pairs=(MatchPair(prompt="a -> b", answer="c"), MatchPair(prompt="d", answer="e")))
    short = ShortAnswer(text="S", answers=(Answer(text="x", fraction=1.0, feedback="see a -> b"),))
    with pytest.raises(ValueError, match="'->'"):
        write_gift([matching])
    with pytest.raises(ValueError, match="'->'"):
        write_gift([short])


def test_writer_output_is_deterministic() -> None:
    questions = read_gift(CORPUS.read_text(encoding="utf-8")).questions
    assert write_gift(questions) == write_gift(list(questions))


def test_models_with_awkward_texts_survive_write_then_read() -> None:
    nasty = "a~b=c#d{e}f:g\\h\\n i\nj -- %k% [x] //"
    questions = (
        SingleChoice(
            title=nasty,
            text=nasty,
            general_feedback=nasty,
            answers=(Answer(text=nasty, fraction=1.0, feedback=nasty), Answer(text="other", fraction=-0.5)),
            category=("Top: level", "Sub"),
            idnumber="q-1",
            tags=("t1",),
        ),
        MultipleChoice(text=nasty, answers=(Answer(text="a", fraction=0.75), Answer(text=nasty, fraction=0.25))),
        TrueFalse(text=nasty, correct=False, feedback_true=nasty, feedback_false=nasty, text_format="markdown"),
        ShortAnswer(text=nasty, answers=(Answer(text="x:y", fraction=0.9, feedback=nasty),)),
        Numerical(text=nasty, answers=(NumericalAnswer(value=1e-7, tolerance=0.5, feedback=nasty),)),
        Matching(text=nasty, pairs=(MatchPair(prompt=nasty, answer=nasty), MatchPair(prompt="p", answer="q -> r"))),
        Essay(text=nasty, general_feedback=nasty, text_format="plain"),
        Description(text=nasty, text_format="html"),
    )
    assert round_trip(questions) == questions


# ---------------------------------------------------------------------------------------------------
# Real files written by others
# ---------------------------------------------------------------------------------------------------


@needs_shared_files
def test_moodle_examples_import_completely() -> None:
    report = shared_file("moodle-gift-examples.txt")
    assert len(report.questions) == 43
    assert report.issues == ()
    by_line = dict(zip(report.lines, report.questions, strict=True))

    assert by_line[10] == SingleChoice(
        text="Grant is _____ in Grant's tomb.",
        answers=(
            Answer(text="buried", fraction=0.0),
            Answer(text="entombed", fraction=1.0),
            Answer(text="living", fraction=0.0),
        ),
    )
    assert by_line[12] == TrueFalse(text="Grant is buried in Grant's tomb.", correct=False)
    assert by_line[108].text_format == "markdown" and by_line[108].text == "Who's buried in **Grant's tomb**?"

    hometown = by_line[117]
    assert isinstance(hometown, SingleChoice)
    assert hometown.title == "Jesus' hometown" and hometown.text == "Jesus Christ was from _____."
    assert [(answer.text, answer.fraction, answer.feedback) for answer in hometown.answers] == [
        ("Jerusalem", 0.0, "This was an important city, but the wrong answer."),
        ("Bethlehem", 0.25, "He was born here, but not raised here."),
        ("Galilee", 0.5, "You need to be more specific."),
        ("Nazareth", 1.0, "Yes! That's right!"),
    ]
    short = by_line[123]
    assert isinstance(short, ShortAnswer)
    assert [(answer.text, answer.fraction) for answer in short.answers] == [
        ("Nazareth", 1.0),
        ("Nazereth", 0.75),
        ("Bethlehem", 0.25),
    ]
    penalised = by_line[136]
    assert isinstance(penalised, MultipleChoice)
    assert [answer.fraction for answer in penalised.answers] == [-0.5, 0.5, 0.5, -0.5]

    equals = by_line[143]
    assert isinstance(equals, SingleChoice)
    assert [(answer.text, answer.fraction) for answer in equals.answers] == [
        ("= 2 + 2", 0.0),
        ("= 2 + 3", 1.0),
        ("= 2 + 4", 0.0),
    ]
    control = by_line[148]
    assert isinstance(control, SingleChoice) and control.title == "GIFT Control Characters"
    assert [answer.text for answer in control.answers] == ["~", "=", "#", "{", "}", "\\"]
    assert control.answers[0].feedback == "~ is a control character."
    assert control.answers[5].fraction == 1.0
    assert control.answers[5].feedback.startswith("Correct! \\ (backslash) is not a control character. BUT,\n")
    assert control.answers[5].feedback.endswith("(as shown in this example).")

    capitals = by_line[177]
    assert isinstance(capitals, Matching)
    assert capitals.pairs == (
        MatchPair(prompt="Canada", answer="Ottawa"),
        MatchPair(prompt="Italy", answer="Rome"),
        MatchPair(prompt="Japan", answer="Tokyo"),
    )
    born = by_line[202]
    assert isinstance(born, Numerical) and born.title == "Numerical example"
    assert born.answers[0] == NumericalAnswer(value=1822, feedback="Correct! 100% credit")
    assert (born.answers[1].value, born.answers[1].tolerance, born.answers[1].fraction) == (1822, 2, 0.5)
    assert born.answers[1].feedback.startswith("He was born in 1822.\n")
    assert born.answers[1].feedback.endswith("You get 50% credit for being close.")


@needs_shared_files
def test_moodle_fixture_questions_import_with_types_formats_and_feedback() -> None:
    report = shared_file("moodle-fixture-questions.gift.txt")
    questions = report.questions
    assert [question.type for question in questions] == [
        "essay",
        "matching",
        "single_choice",
        "multiple_choice",
        "numerical",
        "short_answer",
        "true_false",
        "true_false",
        "true_false",
    ]
    assert report.lines == (2, 5, 14, 22, 31, 34, 41, 46, 49)
    assert questions[0] == Essay(title="Q8", text="How are you?")

    activities = questions[1]
    assert isinstance(activities, Matching)
    assert activities.text_format == "html" and activities.text == "Match the <b>activity</b> to the description."
    assert [pair.answer for pair in activities.pairs] == ["Forum", "Choice", "Database", "Wiki", "Chat"]
    assert activities.pairs[0].prompt == "An activity supporting asynchronous discussions."
    assert activities.pairs[4] == MatchPair(prompt="", answer="Chat")

    spectrum = questions[2]
    assert isinstance(spectrum, SingleChoice)
    assert spectrum.answers == (
        Answer(text="yellow", fraction=1.0, feedback="right; good!"),
        Answer(text="red", fraction=0.0, feedback="wrong, it's yellow"),
        Answer(text="blue", fraction=0.0, feedback="wrong, it's yellow"),
    )
    colours = questions[3]
    assert isinstance(colours, MultipleChoice)
    assert [(answer.text, answer.fraction) for answer in colours.answers] == [
        ("yellow", 0.5),
        ("red", -1.0),
        ("off-beige", 0.5),
        ("blue", -1.0),
    ]
    assert questions[4] == Numerical(
        title="Q5",
        text='What is a number from 1 to 5? _____";',
        answers=(
            NumericalAnswer(value=3, tolerance=2),
            NumericalAnswer(value=None, fraction=0.0, feedback="Completely wrong"),
        ),
    )
    animal = questions[5]
    assert isinstance(animal, ShortAnswer)
    assert animal.answers[2] == Answer(text="*", fraction=0.0, feedback="Completely wrong")
    assert questions[6] == TrueFalse(
        title="Q1",
        text='42 is the Absolute Answer to everything._____";',
        correct=False,
        feedback_true="42 is the Ultimate Answer.",
        feedback_false="You gave the right answer.",
        general_feedback="This is, of course, a Hitchiker's Guide to the Galaxy reference.",
    )
    assert questions[7] == questions[8] == TrueFalse(title="2-08 TSL", text="TSL is blablabla.", correct=True)
    # Answers marked with another format than the question's are imported but reported.
    assert not any(issue.skipped for issue in report.issues)
    assert [issue.line for issue in report.issues] == [5, 14, 22]


@needs_shared_files
def test_fuhrmanator_numerical_edge_cases() -> None:
    report = shared_file("fuhrmanator-numerical1.gift")
    assert report.issues == ()
    assert len(report.questions) == 10
    expected = [(1822, 0), (-1, 0), (3.1415, 0.0005), (-3.142, 0.001), (3.1415, 0.0005), (-3.1415, 0.0005)]
    expected += [(3, 2), (0, 5)]
    for question, (value, tolerance) in zip(report.questions[:8], expected, strict=True):
        assert isinstance(question, Numerical)
        assert question.answers[0].value == pytest.approx(value)
        assert question.answers[0].tolerance == pytest.approx(tolerance)
    assert report.questions[8] == Numerical(
        text="When was Ulysses S. Grant born?",
        answers=(NumericalAnswer(value=1822), NumericalAnswer(value=1822, tolerance=2, fraction=0.5)),
    )
    grasp = report.questions[9]
    assert isinstance(grasp, Numerical)
    assert grasp.title == "Combien de principes GRASP y a-t-il?" and grasp.text_format == "html"
    assert [(answer.value, answer.fraction) for answer in grasp.answers] == [(5, 0.0), (9, 1.0), (23, 0.0)]
    assert grasp.answers[1].feedback == "<p>Correct. Il y a neuf (9) principes GRASP.</p>"
    assert 'href="http://fr.wikipedia.org/wiki/Design_Patterns"' in grasp.answers[2].feedback
    assert 'title="Gang des quatre"' in grasp.answers[2].feedback


@needs_shared_files
def test_fuhrmanator_html_question_with_comment_and_escaped_hash() -> None:
    report = shared_file("fuhrmanator-mcHTMLComment.gift")
    (question,) = report.questions
    assert isinstance(question, SingleChoice)
    assert question.title == "EE_mod_05_T39_P079" and question.text_format == "html"
    assert question.text.startswith("<p>¿En qué supuestos podría el Fiscal")
    assert [answer.fraction for answer in question.answers] == [0.0, 0.0, 1.0]
    assert question.answers[0].text.startswith("En ausencia del Juez de Instrucción, titular de la actuaciones")
    assert question.answers[0].text.endswith("debidamente acreditadas.")
    assert [answer.text for answer in question.answers[1:]] == ["Cuando se trate de delitos de terrorismo.", "Nunca."]
    feedback = question.general_feedback
    assert '<span style="color: #ff6600;">' in feedback
    assert '<a href="http://www.formacioncnp.es/base_datos/Penal/lecr.html">' in feedback
    assert "<!--<var>LE0000017566_20130224</var>-->" in feedback
    assert "Fiscal:</strong></span></p>\n<p><em>" in feedback
    (warning,) = report.issues
    assert not warning.skipped and "[moodle]" in warning.message and warning.line == 1


@needs_shared_files
@pytest.mark.parametrize("name", SHARED_GIFT_FILES)
def test_broken_question_appended_to_a_real_file_is_reported_with_its_line(name: str) -> None:
    text = (QUIZ_FORMATS / name).read_text(encoding="utf-8").rstrip("\n")
    broken_line = text.count("\n") + 3
    report = read_gift(text + "\n\n::Appended:: Pick {=a ~b\n")
    assert len(report.questions) == len(shared_file(name).questions)
    skipped_issues = [issue for issue in report.issues if issue.skipped]
    assert [(issue.line, issue.title) for issue in skipped_issues] == [(broken_line, "Appended")]
    assert "no closing '}'" in skipped_issues[0].message


# ---------------------------------------------------------------------------------------------------
# Our corpus
# ---------------------------------------------------------------------------------------------------


def summary(question: Question) -> tuple[object, ...]:
    """A compact, comparable view of what a question asks and accepts."""
    if isinstance(question, SingleChoice | MultipleChoice | ShortAnswer):
        return tuple((answer.text, round(answer.fraction, 7), answer.feedback) for answer in question.answers)
    if isinstance(question, Numerical):
        return tuple((answer.value, answer.tolerance, answer.fraction, answer.feedback) for answer in question.answers)
    if isinstance(question, TrueFalse):
        return (question.correct, question.feedback_true, question.feedback_false)
    if isinstance(question, Matching):
        return tuple((pair.prompt, pair.answer) for pair in question.pairs)
    return ()


CHOICE, SHORT, TRUE_FALSE = ("Corpus", "Choice"), ("Corpus", "Short answer"), ("Corpus", "True or false")
MATCHING, NUMERICAL, OTHER = ("Corpus", "Matching"), ("Corpus", "Numerical"), ("Corpus", "Other")
# title (or text when untitled): type, category, text, format, general feedback, summary
CORPUS_EXPECTED: dict[str, tuple[str, tuple[str, ...], str, str, str, tuple[object, ...]]] = {
    "V01 Single choice": (
        "single_choice", CHOICE, "Which city is the capital of Lithuania?", "moodle", "",
        (("Vilnius", 1.0, ""), ("Kaunas", 0.0, ""), ("Klaipėda", 0.0, "")),
    ),
    "V02 Single choice with feedback": (
        "single_choice", CHOICE, "Which colour lies between orange and green?", "moodle",
        "The order is red, orange, yellow, green, blue.",
        (("yellow", 1.0, "Right, yellow."), ("red", 0.0, "No, red comes before orange."),
         ("blue", 0.0, "No, blue comes after green.")),
    ),
    "V03 Partial credit": (
        "single_choice", CHOICE, "Which answer is best?", "moodle", "",
        (("a good answer", 0.5, "Half marks."), ("the best answer", 1.0, "Full marks."),
         ("a bad answer", -0.25, "A quarter off."), ("a wrong answer", 0.0, "")),
    ),
    "V04 Multiple response": (
        "multiple_choice", CHOICE, "Which two are Baltic states?", "moodle", "",
        (("Latvia", 0.5, "Yes."), ("Estonia", 0.5, "Yes."), ("Finland", -1.0, "No, Finland is a Nordic country."),
         ("Poland", -1.0, "No.")),
    ),
    "V05 Thirds": (
        "multiple_choice", CHOICE, "Which three are primary colours of light?", "moodle", "",
        (("red", 0.3333333, ""), ("green", 0.3333333, ""), ("blue", 0.3333333, ""), ("yellow", -1.0, "")),
    ),
    "V06 Missing word": (
        "single_choice", CHOICE, "Vilnius is the _____ of Lithuania.", "moodle", "",
        (("capital", 1.0, ""), ("second city", 0.0, ""), ("port", 0.0, "")),
    ),
    "V07 Odd weights": (
        "multiple_choice", CHOICE, "Pick the sensible options.", "moodle", "",
        (("one", 0.35, "A weight that Moodle does not offer."), ("two", 0.65, ""), ("three", -1.0, "")),
    ),
    "V08 Escaped equals": (
        "single_choice", CHOICE, "Which answer equals 5?", "moodle", "",
        (("= 2 + 2", 0.0, ""), ("= 2 + 3", 1.0, ""), ("= 2 + 4", 0.0, "")),
    ),
    "V09 Every escape: in the title": (
        "single_choice", CHOICE,
        "Control characters ~ = # { } : and a backslash \\ stay literal.\nThis is a second line.", "moodle", "",
        (("~ tilde", 1.0, "# hash"), ("{ braces }", 0.0, "a \\ backslash")),
    ),
    "V10 HTML with escapes": (
        "single_choice", CHOICE, '<p style="color: red">Which link is right?</p>', "html", "",
        (('<a href="http://example.org/a">A</a>', 1.0, "<b>Yes</b>"),
         ('<a href="http://example.org/b">B</a>', 0.0, "<i>No</i>")),
    ),
    "V11 Markdown": (
        "single_choice", CHOICE, "Which word is **bold** here?", "markdown", "", (("bold", 1.0, ""), ("plain", 0.0, "")),
    ),
    "V12 Plain": ("single_choice", CHOICE, "Which one is a <b> tag?", "plain", "", (("<b>", 1.0, ""), ("b", 0.0, ""))),
    "V13 Answer formats": (
        "single_choice", CHOICE, "<p>Pick one</p>", "html", "", (("<b>one</b>", 1.0, "<i>right</i>"), ("two", 0.0, "")),
    ),
    "V14 Multi-line question": (
        "single_choice", CHOICE, "This question\nruns over\nthree lines.", "moodle", "",
        (("yes", 1.0, ""), ("no", 0.0, "")),
    ),
    "V15 Feedback over lines": (
        "single_choice", CHOICE, "Which one is right?", "moodle", "",
        (("this one", 1.0, "Correct, and this feedback\n\t\tgoes on to a second line."), ("that one", 0.0, "Wrong.")),
    ),
    "V16 Unknown prefix": (
        "single_choice", CHOICE, "[xyz] stays as text.", "moodle", "", (("a", 1.0, ""), ("b", 0.0, "")),
    ),
    "V17 Short answer": (
        "short_answer", SHORT, "Two plus two equals _____.", "moodle", "", (("four", 1.0, ""), ("4", 1.0, "")),
    ),
    "V18 Short answer weights": (
        "short_answer", SHORT, "Which is the best animal?", "moodle", "",
        (("Frog", 1.0, "Good!"), ("Cat", 0.5, "Cats again."), ("*", 0.0, "Completely wrong.")),
    ),
    "V19 Short answer general feedback": (
        "short_answer", SHORT, "Name the capital of Norway.", "moodle", "Oslo is also the largest city in Norway.",
        (("Oslo", 1.0, "Correct."),),
    ),
    "V20 Short answer with escapes": (
        "short_answer", SHORT, "Write the ratio one to two.", "moodle", "", (("1:2", 1.0, ""), ("1 : 2", 1.0, "")),
    ),
    "V21 Short answer without equals": ("short_answer", SHORT, "Type the word cat.", "moodle", "", (("cat", 1.0, ""),)),
    "V22 True": ("true_false", TRUE_FALSE, "The sun rises in the east.", "moodle", "", (True, "", "")),
    "V23 False": ("true_false", TRUE_FALSE, "The sun rises in the west.", "moodle", "", (False, "", "")),
    "V24 True with feedback": (
        "true_false", TRUE_FALSE, "Vilnius is in Lithuania.", "moodle", "", (True, "Yes, it is.", "No, it is."),
    ),
    "V25 False with feedback": (
        "true_false", TRUE_FALSE, "Riga is in Estonia.", "moodle", "Tallinn is the capital of Estonia.",
        (False, "No, Riga is in Latvia.", "Right, Riga is in Latvia."),
    ),
    "V26 True in lower case": ("true_false", TRUE_FALSE, "Water is wet.", "moodle", "", (True, "", "")),
    "V27 Matching": (
        "matching", MATCHING, "Match the countries with their capitals.", "moodle", "Helsinki is a distractor.",
        (("Lithuania", "Vilnius"), ("Latvia", "Riga"), ("Estonia", "Tallinn"), ("", "Helsinki")),
    ),
    "V28 Matching formats": (
        "matching", MATCHING, "<p>Match the tools.</p>", "html", "",
        (("<b>Forum</b>", "Discussion"), ("<b>Wiki</b>", "Shared pages")),
    ),
    "V29 Matching inline": (
        "matching", MATCHING, "Match the numbers.", "moodle", "", (("one", "1"), ("two", "2"), ("three", "3")),
    ),
    "V30 Matching escapes": (
        "matching", MATCHING, "Match the symbols.", "moodle", "",
        (("equals =", "is=same"), ("colon :", "pair:"), ("hash #", "number")),
    ),
    "V31 Exact": ("numerical", NUMERICAL, "How many days are there in a week?", "moodle", "", ((7, 0, 1.0, ""),)),
    "V32 Tolerance": (
        "numerical", NUMERICAL, "What is pi to two decimal places?", "moodle", "", ((3.14, 0.005, 1.0, ""),),
    ),
    "V33 Range": ("numerical", NUMERICAL, "Give a number from 1 to 5.", "moodle", "", ((3, 2, 1.0, ""),)),
    "V34 Negative": ("numerical", NUMERICAL, "What is minus one?", "moodle", "", ((-1, 0, 1.0, ""),)),
    "V35 Negative range": (
        "numerical", NUMERICAL, "Pick a number from -3.5 to -1.5.", "moodle", "", ((-2.5, 1, 1.0, ""),),
    ),
    "V36 Several answers": (
        "numerical", NUMERICAL, "How many sides does a hexagon have?", "moodle", "A hexagon has six sides.",
        ((6, 0, 1.0, "Correct."), (6, 1, 0.5, "Close."), (None, 0, 0.0, "Count the sides again.")),
    ),
    "V37 Negative with feedback": (
        "numerical", NUMERICAL, "What is minus two and a half?", "moodle", "", ((-2.5, 0.25, 1.0, "Right."),),
    ),
    "V38 Missing number": (
        "numerical", NUMERICAL, "There are _____ months in a year.", "moodle", "", ((12, 0, 1.0, ""),),
    ),
    "V39 Essay": ("essay", OTHER, "Describe your town.", "moodle", "", ()),
    "V40 Essay general feedback": ("essay", OTHER, "Describe a partner.", "moodle", "Mention their role.", ()),
    "V41 Description": (
        "description", OTHER, "This is a description with no answers: it only shows text.", "moodle", "", (),
    ),
    "V42 HTML description": (
        "description", OTHER, "<h2>Part two</h2><p>Matching questions follow.</p>", "html", "", (),
    ),
    "An untitled description.": ("description", OTHER, "An untitled description.", "moodle", "", ()),
    "Who wrote this corpus?": (
        "single_choice", OTHER, "Who wrote this corpus?", "moodle", "", (("the team", 1.0, ""), ("nobody", 0.0, "")),
    ),
    "V44 Metadata": ("true_false", OTHER, "A question with an idnumber and tags.", "moodle", "", (True, "", "")),
    "V45 Image": (
        "single_choice", OTHER, '<p>Look at the picture <img src="@@PLUGINFILE@@/map.png"></p>', "html", "",
        (("map", 1.0, ""), ("plan", 0.0, "")),
    ),
    "V46 Windows path": (
        "single_choice", OTHER, "The path C:\\new\\folder has backslashes.", "moodle", "",
        (("ok", 1.0, ""), ("not ok", 0.0, "")),
    ),
    "V47 Line break escape": (
        "single_choice", OTHER, "First line\nsecond line.", "moodle", "", (("yes", 1.0, "One\ntwo"), ("no", 0.0, "")),
    ),
    "V48 Back in choice": (
        "single_choice", CHOICE, "Another choice question.", "moodle", "",
        (("a", 1.0, ""), ("b", 0.0, ""), ("c", 0.0, "")),
    ),
}  # fmt: skip


def test_corpus_covers_every_type_and_at_least_40_questions() -> None:
    report = read_gift(CORPUS.read_text(encoding="utf-8"))
    assert len(report.questions) >= 40
    assert {question.type for question in report.questions} == {
        "single_choice",
        "multiple_choice",
        "true_false",
        "short_answer",
        "numerical",
        "matching",
        "essay",
        "description",
    }


def test_corpus_questions_import_as_expected() -> None:
    report = read_gift(CORPUS.read_text(encoding="utf-8"))
    actual = {
        question.title or question.text: (
            question.type,
            question.category,
            question.text,
            question.text_format,
            question.general_feedback,
            summary(question),
        )
        for question in report.questions
    }
    assert actual == CORPUS_EXPECTED


def test_corpus_metadata_and_warnings() -> None:
    report = read_gift(CORPUS.read_text(encoding="utf-8"))
    by_title = {question.title: question for question in report.questions}
    assert (by_title["V01 Single choice"].idnumber, by_title["V01 Single choice"].tags) == ("V01", ("choice", "basics"))
    assert (by_title["V44 Metadata"].idnumber, by_title["V44 Metadata"].tags) == ("V44-ID", ("meta", "tag with spaces"))
    assert all(question.idnumber is None for question in report.questions[1:] if question.title != "V44 Metadata")
    assert [(issue.line, issue.title, issue.skipped) for issue in report.issues] == [
        (39, "V07 Odd weights", False),
        (39, "V07 Odd weights", False),
        (65, "V13 Answer formats", False),
        (173, "V45 Image", False),
    ]
    assert report.lines[:3] == (7, 9, 16) and report.lines[-1] == 181


# ---------------------------------------------------------------------------------------------------
# Round trips: read, write, read again gives equal models
# ---------------------------------------------------------------------------------------------------


def test_corpus_round_trips() -> None:
    questions = read_gift(CORPUS.read_text(encoding="utf-8")).questions
    assert round_trip(questions) == questions


@needs_shared_files
@pytest.mark.parametrize("name", SHARED_GIFT_FILES)
def test_shared_files_round_trip(name: str) -> None:
    questions = shared_file(name).questions
    assert questions
    assert round_trip(questions) == questions


@pytest.mark.parametrize("path", CONTENT_QUIZZES, ids=lambda path: str(path.relative_to(CONTENT)))
def test_content_quiz_round_trips(path: Path) -> None:
    questions = read_gift(path.read_text(encoding="utf-8")).questions
    assert round_trip(questions) == questions


# ---------------------------------------------------------------------------------------------------
# Our course quizzes
# ---------------------------------------------------------------------------------------------------


def test_every_course_has_a_quiz_in_both_languages() -> None:
    assert len(CONTENT_QUIZZES) == 18
    assert sorted(path.name for path in CONTENT_QUIZZES) == ["quiz.en.gift"] * 9 + ["quiz.lt.gift"] * 9


@pytest.mark.parametrize("path", CONTENT_QUIZZES, ids=lambda path: str(path.relative_to(CONTENT)))
def test_content_quiz_imports_cleanly_with_feedback_on_every_question(path: Path) -> None:
    report = read_gift(path.read_text(encoding="utf-8"))
    assert report.issues == ()
    assert len(report.questions) >= 12
    for question in report.questions:
        answer_feedback: list[str] = []
        if isinstance(question, SingleChoice | MultipleChoice | ShortAnswer | Numerical):
            answer_feedback = [answer.feedback for answer in question.answers]
        elif isinstance(question, TrueFalse):
            answer_feedback = [question.feedback_true, question.feedback_false]
        assert question.general_feedback or any(answer_feedback), f"{question.title} has no feedback"


@pytest.mark.parametrize("path", CONTENT_QUIZZES[::2], ids=lambda path: str(path.parent.relative_to(CONTENT)))
def test_content_quiz_languages_ask_the_same_kinds_of_question(path: Path) -> None:
    english = read_gift(path.read_text(encoding="utf-8")).questions
    lithuanian = read_gift(path.with_name("quiz.lt.gift").read_text(encoding="utf-8")).questions
    assert [question.type for question in english] == [question.type for question in lithuanian]
