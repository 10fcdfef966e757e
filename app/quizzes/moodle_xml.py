"""Moodle XML question files: reading a `<quiz>` document into the interchange model and writing one back.

Reading goes through defusedxml with DTDs refused, so a file can neither expand entities without limit nor read
local files. Texts keep their markup (sanitising happens when they are rendered). Embedded files are not imported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, tostring
from xml.etree.ElementTree import ParseError as XmlSyntaxError
from xml.sax.saxutils import escape

import defusedxml.ElementTree as safe_etree
from defusedxml import DefusedXmlException, DTDForbidden
from pydantic import ValidationError

from app.core.i18n import _
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
    TextFormat,
    TrueFalse,
)

_FORMAT_FROM_MOODLE: dict[str, TextFormat] = {
    "html": "html",
    "moodle_auto_format": "moodle",
    "plain_text": "plain",
    "markdown": "markdown",
}
_FORMAT_TO_MOODLE: dict[str, str] = {ours: theirs for theirs, ours in _FORMAT_FROM_MOODLE.items()}
_TYPE_TO_MOODLE: dict[str, str] = {
    "single_choice": "multichoice",
    "multiple_choice": "multichoice",
    "true_false": "truefalse",
    "short_answer": "shortanswer",
    "numerical": "numerical",
    "matching": "matching",
    "essay": "essay",
    "description": "description",
}
# Moodle's plain answers (true/false, short answer, numerical) are written in this format, whatever the question's.
_PLAIN_ANSWER_FORMAT = "moodle_auto_format"
# The first part of a category path names a context: $course$, $system$, $module$, $cat1$, $coursecategory$...
_CONTEXT_PART = re.compile(r"^\$[a-z0-9_]*\$$", re.IGNORECASE)
# Moodle writes a "/" inside a category name as "//", so only a lone slash separates names.
_PATH_SEPARATOR = re.compile(r"(?<!/)/(?!/)")
# Characters XML 1.0 cannot carry at all (Word pastes vertical tabs); the writer drops them.
_NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EMBEDDED_FILE_MARKER = "@@PLUGINFILE@@"
_FULL_MARKS_MARGIN = 1e-6
_PERCENT_PLACES = Decimal("1e-7")


class _Skip(Exception):
    """One question cannot be imported; the message says why, in the reader's language."""


def read_moodle_xml(data: bytes) -> ImportReport:
    """Read a Moodle XML export into interchange questions.

    Category entries set the category of the questions after them. A question of an unsupported type, or one
    missing a part its type needs, is skipped with an issue and the rest is imported. Issue lines and
    `ImportReport.lines` are 1-based positions among the file's `<question>` elements (categories included).
    Raises `ParseError` when the file as a whole cannot be read: not XML, not a `<quiz>`, or carrying a DTD.
    """
    root = _parse(data)
    try:
        return _read_quiz(root)
    except RecursionError:
        # Only markup nested thousands deep inside a <text> gets here; no real export does that.
        raise ParseError(_("The file nests markup too deeply to be read.")) from None


def write_moodle_xml(questions: Iterable[Question]) -> bytes:
    """Write questions as a Moodle XML `<quiz>` document (UTF-8, with an XML declaration).

    A category entry (`$course$/top/...`) comes before the first question whose category differs from the one
    before it; questions at the top before any other category get none, so Moodle files them where the
    importer chooses. The output depends only on the questions, so the same list always gives the same bytes.
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    category: tuple[str, ...] = ()
    for question in questions:
        if question.category != category:
            category = question.category
            lines += ['  <question type="category">', *_text_block("category", _path_from_category(category), 2)]
            lines.append("  </question>")
        lines += _question_lines(question)
    lines.append("</quiz>")
    return ("\n".join(lines) + "\n").encode("utf-8")


# Reading


def _read_quiz(root: Element) -> ImportReport:
    questions: list[Question] = []
    lines: list[int] = []
    issues: list[ImportIssue] = []
    category: tuple[str, ...] = ()
    question_elements = (child for child in root if child.tag == "question")
    for position, element in enumerate(question_elements, start=1):
        kind = (element.get("type") or "").strip().lower()
        if kind == "category":
            path = _text(element.find("category"))
            if path:
                category = _category_from_path(path)
            else:
                message = _("A category entry has no path; the questions after it stay in the previous category.")
                issues.append(ImportIssue(message=message, line=position, skipped=False))
            continue
        title = _text(element.find("name"))
        warnings: list[str] = []
        try:
            question = _read_question(element, kind, title=title, category=category, warnings=warnings)
        except _Skip as skip:
            issues.append(ImportIssue(message=str(skip), line=position, title=title))
            continue
        questions.append(question)
        lines.append(position)
        issues.extend(
            ImportIssue(message=warning, line=position, title=title, skipped=False)
            for warning in dict.fromkeys(warnings)
        )
    return ImportReport(questions=tuple(questions), issues=tuple(issues), lines=tuple(lines))


def _parse(data: bytes) -> Element:
    if not data.strip():
        raise ParseError(_("The file is empty."))
    try:
        root = safe_etree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden as refused:
        raise ParseError(
            _(
                "The file contains a document type declaration (<!DOCTYPE %(name)s>), which is refused: its "
                "entities could expand without limit or read files on the server. Moodle exports never have one.",
                name=refused.name,
            )
        ) from None
    except DefusedXmlException:
        raise ParseError(_("The file declares entities, which are refused for safety.")) from None
    except XmlSyntaxError as error:
        line = error.position[0] if error.position else None
        reason = str(error).split(":")[0]
        if reason == "undefined entity":
            message = _(
                "The file is not well-formed XML: undefined entity. HTML entities such as &nbsp; must be inside "
                "CDATA or written as numeric references such as &#160;."
            )
        else:
            message = _("The file is not well-formed XML: %(reason)s.", reason=reason)
        raise ParseError(message, line=line) from None
    if root.tag != "quiz":
        raise ParseError(_("This is not a Moodle XML question file: its root is <%(tag)s>, not <quiz>.", tag=root.tag))
    return root


def _read_question(
    element: Element, kind: str, *, title: str, category: tuple[str, ...], warnings: list[str]
) -> Question:
    if not kind:
        raise _Skip(_("The question has no type."))
    reader = _READERS.get(kind)
    if reader is None:
        raise _Skip(
            _(
                "Moodle question type “%(type)s” is not supported (supported: multichoice, truefalse, "
                "shortanswer, numerical, matching, essay, description).",
                type=kind,
            )
        )
    question_text = element.find("questiontext")
    if question_text is None:
        raise _Skip(_("The question has no question text (<questiontext>)."))
    common: dict[str, Any] = {
        "title": title,
        "text": _text(question_text),
        "text_format": _text_format(question_text, warnings),
        "general_feedback": _text(element.find("generalfeedback")),
        "category": category,
        "idnumber": (element.findtext("idnumber") or "").strip() or None,
        "tags": tuple(tag for tag in (_text(tag) for tag in element.findall("tags/tag")) if tag),
    }
    raw_grade = (element.findtext("defaultgrade") or "").strip()
    if raw_grade:
        default_mark = _finite_number(raw_grade)
        if default_mark is None or default_mark < 0:
            raise _Skip(_("The default mark “%(mark)s” is not a number of zero or more.", mark=raw_grade))
        common["default_mark"] = default_mark
    try:
        question = reader(element, common, warnings)
    except ValidationError as invalid:
        raise _Skip(_("The question could not be read: %(reason)s", reason=invalid.errors()[0]["msg"])) from None
    if _mentions_embedded_files(element):
        warnings.append(_("Embedded files (@@PLUGINFILE@@) were not imported; the text still refers to them."))
    return question


def _read_choice(element: Element, common: dict[str, Any], warnings: list[str]) -> Question:
    answers = _answers(element, warnings)
    if len(answers) < 2:
        raise _Skip(_("A multiple-choice question needs at least two answers."))
    shuffle = _flag(element, "shuffleanswers", default=True)
    # Moodle treats a missing <single> as single-answer.
    if _flag(element, "single", default=True):
        _warn_without_full_marks(answers, warnings)
        return SingleChoice(**common, answers=answers, shuffle_answers=shuffle)
    positive_total = math.fsum(max(answer.fraction, 0.0) for answer in answers)
    if not math.isclose(positive_total, 1.0, abs_tol=_FULL_MARKS_MARGIN):
        total = _percent_text(positive_total)
        warnings.append(_("The positive answer grades add up to %(total)s%%, not 100%%.", total=total))
    return MultipleChoice(**common, answers=answers, shuffle_answers=shuffle)


def _read_true_false(element: Element, common: dict[str, Any], warnings: list[str]) -> Question:
    given: dict[str, tuple[float, str]] = {}
    for answer in element.findall("answer"):
        side = _text(answer).lower()
        if side in ("true", "false") and side not in given:
            given[side] = (_fraction(answer), _text(answer.find("feedback")))
    if not given:
        raise _Skip(_("A true/false question needs the answers “true” and “false”."))
    true_fraction, feedback_true = given.get("true", (0.0, ""))
    false_fraction, feedback_false = given.get("false", (0.0, ""))
    true_is_right = math.isclose(true_fraction, 1.0, abs_tol=_FULL_MARKS_MARGIN)
    false_is_right = math.isclose(false_fraction, 1.0, abs_tol=_FULL_MARKS_MARGIN)
    if true_is_right == false_is_right:
        raise _Skip(_("Exactly one of the answers “true” and “false” must give full marks."))
    return TrueFalse(**common, correct=true_is_right, feedback_true=feedback_true, feedback_false=feedback_false)


def _read_short_answer(element: Element, common: dict[str, Any], warnings: list[str]) -> Question:
    answers = _answers(element, warnings)
    if not answers:
        raise _Skip(_("A short-answer question needs at least one accepted answer."))
    _warn_without_full_marks(answers, warnings)
    return ShortAnswer(**common, answers=answers, case_sensitive=_flag(element, "usecase", default=False))


def _read_numerical(element: Element, common: dict[str, Any], warnings: list[str]) -> Question:
    answers: list[NumericalAnswer] = []
    for answer in element.findall("answer"):
        raw_value = _text(answer)
        if not raw_value:
            continue
        value = None if raw_value == "*" else _finite_number(raw_value)
        if value is None and raw_value != "*":
            raise _Skip(_("The numerical answer “%(answer)s” is not a number.", answer=raw_value))
        raw_tolerance = (answer.findtext("tolerance") or "").strip() or "0"
        tolerance = _finite_number(raw_tolerance)
        if tolerance is None:
            raise _Skip(_("The tolerance “%(tolerance)s” is not a number.", tolerance=raw_tolerance))
        feedback = _text(answer.find("feedback"))
        # A tolerance is ± either way, so a negative one means the same as its size.
        answers.append(
            NumericalAnswer(value=value, tolerance=abs(tolerance), fraction=_fraction(answer), feedback=feedback)
        )
    if not any(answer.value is not None for answer in answers):
        raise _Skip(_("A numerical question needs at least one numeric answer."))
    if element.find("units/unit") is not None:
        warnings.append(_("Units were not imported: only the bare number is accepted."))
    return Numerical(**common, answers=tuple(answers))


def _read_matching(element: Element, common: dict[str, Any], warnings: list[str]) -> Question:
    pairs: list[MatchPair] = []
    for item in element.findall("subquestion"):
        prompt, answer = _text(item), _text(item.find("answer"))
        if not answer:
            if prompt:
                raise _Skip(_("The matching item “%(prompt)s” has no answer.", prompt=prompt[:80]))
            continue
        pairs.append(MatchPair(prompt=prompt, answer=answer))
    if sum(1 for pair in pairs if pair.prompt) < 2:
        raise _Skip(_("A matching question needs at least two items to match."))
    return Matching(**common, pairs=tuple(pairs), shuffle_answers=_flag(element, "shuffleanswers", default=True))


def _read_essay(element: Element, common: dict[str, Any], warnings: list[str]) -> Question:
    attachments = (element.findtext("attachments") or "").strip()
    if attachments not in ("", "0"):
        warnings.append(_("File attachments are not supported: learners answer in text only."))
    return Essay(
        **common,
        grader_info=_text(element.find("graderinfo")),
        response_template=_text(element.find("responsetemplate")),
    )


def _read_description(element: Element, common: dict[str, Any], warnings: list[str]) -> Question:
    return Description(**common)


_READERS: dict[str, Callable[[Element, dict[str, Any], list[str]], Question]] = {
    "multichoice": _read_choice,
    "truefalse": _read_true_false,
    "shortanswer": _read_short_answer,
    "numerical": _read_numerical,
    "matching": _read_matching,
    "essay": _read_essay,
    "description": _read_description,
}


def _answers(element: Element, warnings: list[str]) -> tuple[Answer, ...]:
    answers: list[Answer] = []
    for answer in element.findall("answer"):
        text, fraction, feedback = _text(answer), _fraction(answer), _text(answer.find("feedback"))
        if not text:
            # Moodle leaves blank answer slots out too; only say so when the blank carried something.
            if fraction or feedback:
                warnings.append(_("An answer without text was left out."))
            continue
        answers.append(Answer(text=text, fraction=fraction, feedback=feedback))
    return tuple(answers)


def _mentions_embedded_files(element: Element) -> bool:
    # Attributes count too: XHTML straight in <text> carries the marker in <img src="@@PLUGINFILE@@/...">.
    for node in element.iter():
        parts = (node.text or "", node.tail or "", *node.attrib.values())
        if node.tag == "file" or any(_EMBEDDED_FILE_MARKER in part for part in parts):
            return True
    return False


def _warn_without_full_marks(answers: Iterable[Answer], warnings: list[str]) -> None:
    if not any(math.isclose(answer.fraction, 1.0, abs_tol=_FULL_MARKS_MARGIN) for answer in answers):
        warnings.append(_("No answer gives full marks."))


def _text(element: Element | None) -> str:
    """The content of an element's `<text>` child (or its own text in old exports), trimmed as Moodle does."""
    if element is None:
        return ""
    source = element.find("text")
    if source is None:
        source = element
        if len(source):
            # Old exports put the text straight in the element, before children such as <feedback>.
            return (source.text or "").strip()
    # XHTML written straight into <text> is kept as markup.
    inner = (source.text or "") + "".join(tostring(child, encoding="unicode") for child in source)
    return inner.strip()


def _text_format(element: Element, warnings: list[str]) -> TextFormat:
    moodle_format = (element.get("format") or "moodle_auto_format").strip().lower()
    text_format = _FORMAT_FROM_MOODLE.get(moodle_format)
    if text_format is None:
        warnings.append(_("Unknown text format “%(format)s”; it was read as Moodle auto-format.", format=moodle_format))
        return "moodle"
    return text_format


def _flag(element: Element, tag: str, *, default: bool) -> bool:
    raw = (element.findtext(tag) or "").strip().lower()
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    return default


def _finite_number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _fraction(answer: Element) -> float:
    """An answer's `fraction` attribute is a percentage; decimal arithmetic keeps 33.33333 as 0.3333333 exactly."""
    raw = (answer.get("fraction") or "0").strip()
    try:
        percent = Decimal(raw)
    except InvalidOperation:
        percent = Decimal("NaN")
    if not percent.is_finite() or abs(percent) > 100:
        raise _Skip(_("The answer grade “%(grade)s” is not a percentage between -100 and 100.", grade=raw))
    return float(percent / 100)


def _category_from_path(path: str) -> tuple[str, ...]:
    names = [name.replace("//", "/").strip() for name in _PATH_SEPARATOR.split(path.strip())]
    if names and _CONTEXT_PART.match(names[0]):
        names = names[1:]
    if names and names[0] == "top":
        names = names[1:]
    return tuple(name for name in names if name)


# Writing


def _path_from_category(category: tuple[str, ...]) -> str:
    return "/".join(["$course$", "top", *(name.replace("/", "//") for name in category)])


def _question_lines(question: Question) -> list[str]:
    text_format = _FORMAT_TO_MOODLE[question.text_format]
    lines = [f'  <question type="{_TYPE_TO_MOODLE[question.type]}">']
    lines += _text_block("name", question.title, 2)
    lines += _text_block("questiontext", question.text, 2, text_format)
    lines += _text_block("generalfeedback", question.general_feedback, 2, text_format)
    lines.append(f"    <defaultgrade>{_number_text(question.default_mark)}</defaultgrade>")
    lines.append(f"    <idnumber>{_xml_text(question.idnumber or '')}</idnumber>")
    if question.tags:
        lines.append("    <tags>")
        for tag in question.tags:
            lines += ["      <tag>", f"        <text>{_xml_text(tag)}</text>", "      </tag>"]
        lines.append("    </tags>")
    lines += _type_lines(question, text_format)
    lines.append("  </question>")
    return lines


def _type_lines(question: Question, text_format: str) -> list[str]:
    lines: list[str] = []
    match question:
        case SingleChoice() | MultipleChoice():
            lines.append(f"    <single>{_bool_text(isinstance(question, SingleChoice))}</single>")
            lines.append(f"    <shuffleanswers>{_bool_text(question.shuffle_answers)}</shuffleanswers>")
            for answer in question.answers:
                lines += _answer_lines(answer.text, answer.fraction, answer.feedback, text_format, text_format)
        case TrueFalse():
            for side, feedback in (("true", question.feedback_true), ("false", question.feedback_false)):
                fraction = 1.0 if question.correct == (side == "true") else 0.0
                lines += _answer_lines(side, fraction, feedback, _PLAIN_ANSWER_FORMAT, text_format)
        case ShortAnswer():
            lines.append(f"    <usecase>{int(question.case_sensitive)}</usecase>")
            for answer in question.answers:
                lines += _answer_lines(answer.text, answer.fraction, answer.feedback, _PLAIN_ANSWER_FORMAT, text_format)
        case Numerical():
            for answer in question.answers:
                value = "*" if answer.value is None else _number_text(answer.value)
                tolerance = f"      <tolerance>{_number_text(answer.tolerance)}</tolerance>"
                lines += _answer_lines(
                    value, answer.fraction, answer.feedback, _PLAIN_ANSWER_FORMAT, text_format, tolerance
                )
        case Matching():
            lines.append(f"    <shuffleanswers>{_bool_text(question.shuffle_answers)}</shuffleanswers>")
            for pair in question.pairs:
                lines += [f'    <subquestion format="{text_format}">', f"      <text>{_xml_text(pair.prompt)}</text>"]
                lines += _text_block("answer", pair.answer, 3)
                lines.append("    </subquestion>")
        case Essay():
            lines += _text_block("graderinfo", question.grader_info, 2, text_format)
            lines += _text_block("responsetemplate", question.response_template, 2, text_format)
    return lines


def _answer_lines(
    text: str, fraction: float, feedback: str, answer_format: str, feedback_format: str, *extra: str
) -> list[str]:
    return [
        f'    <answer fraction="{_percent_text(fraction)}" format="{answer_format}">',
        f"      <text>{_xml_text(text)}</text>",
        *extra,
        *_text_block("feedback", feedback, 3, feedback_format),
        "    </answer>",
    ]


def _text_block(tag: str, text: str, depth: int, text_format: str | None = None) -> list[str]:
    indent = "  " * depth
    attribute = f' format="{text_format}"' if text_format else ""
    return [f"{indent}<{tag}{attribute}>", f"{indent}  <text>{_xml_text(text)}</text>", f"{indent}</{tag}>"]


def _xml_text(text: str) -> str:
    """Markup goes in CDATA as Moodle writes it; a carriage return cannot survive CDATA, so it forces escaping."""
    text = _NOT_XML_CHARACTERS.sub("", text)
    if "\r" in text or not ("<" in text or "&" in text):
        return escape(text, {"\r": "&#13;"})
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _percent_text(fraction: float) -> str:
    return _trimmed((Decimal(repr(fraction)) * 100).quantize(_PERCENT_PLACES))


def _number_text(value: float) -> str:
    """The shortest decimal that reads back as the same float, without an exponent."""
    return _trimmed(Decimal(repr(value)))


def _trimmed(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
